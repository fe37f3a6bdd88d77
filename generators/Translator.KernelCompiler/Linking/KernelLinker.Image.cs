using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Iced.Intel;
using Translator.KernelCompiler.CodeGen;
using Translator.KernelCompiler.Model;
using Translator.Paravirt.Abi;
using CodeGenDiagnostics = Translator.KernelCompiler.Diagnostics;

namespace Translator.KernelCompiler.Linking;

internal sealed partial class KernelLinker
{
    private const uint MultibootMagic = 0x1BAD_B002;
    private const uint MultibootAddressFields = 1u << 16;

    private sealed partial class BuildLinker
    {
        /// <summary>Writes the header, code and data (with this build's interrupt table) and builds the symbol map and listing.</summary>
        public LinkedImage Finish(DataAddress interruptTable)
        {
            EncodedCode encoded = Encoded!;
            byte[] data = _linker._data.ToArray();
            WriteInterruptTable(data, interruptTable, encoded);
            uint loadEnd = encoded.DataBase + (uint)data.Length;
            uint bssEnd = encoded.BssBase + _linker._bss.Size;
            if (Paravirtual)
            {
                bssEnd = encoded.HypercallPageBase + 4096;
            }

            var image = new byte[loadEnd - LoadAddress];
            uint entry = encoded.LabelAddress(_start);
            if (Paravirtual)
            {
                WriteParavirtualHeader(image, loadEnd, bssEnd, entry, encoded.HypercallPageBase);
                CheckNoPrivilegedInstruction(encoded);
            }
            else
            {
                WriteMultibootHeader(image, loadEnd, bssEnd, entry);
            }

            Array.Copy(encoded.Bytes, 0, image, encoded.CodeBase - LoadAddress, encoded.Bytes.Length);
            Array.Copy(data, 0, image, encoded.DataBase - LoadAddress, data.Length);

            var symbols = new List<ImageSymbol>();
            var names = new Dictionary<uint, string>();
            for (int i = 0; i < _functionStarts.Count; i++)
            {
                uint address = encoded.InstructionAddress(_functionStarts[i].Instruction);
                uint end = i + 1 < _functionStarts.Count
                    ? encoded.InstructionAddress(_functionStarts[i + 1].Instruction)
                    : encoded.CodeBase + (uint)encoded.Bytes.Length;
                symbols.Add(new ImageSymbol(_functionStarts[i].Name, address, end - address, true));
                names[address] = _functionStarts[i].Name;
            }

            var dataSymbols = _linker._dataSymbols.Select(s => (s.Name, Address: Absolute(encoded, s.Address), s.Size)).ToList();
            if (Paravirtual)
            {
                dataSymbols.Add(("hypercall page", encoded.HypercallPageBase, 4096u));
                foreach ((int number, string name) in ParavirtRuntime.HypercallNames)
                {
                    names[encoded.HypercallPageBase + (uint)(number * HypercallNumber.StubBytes)] = "HYPERVISOR_" + name;
                }
            }

            foreach ((string name, uint absolute, uint size) in dataSymbols)
            {
                symbols.Add(new ImageSymbol(name, absolute, size, false));
                if (!names.ContainsKey(absolute))
                {
                    names[absolute] = name;
                }
            }

            var header = new StringBuilder();
            header.Append("; kernel ").Append(Kernel.Key).Append(Paravirtual ? ", paravirtual build" : "").Append('\n');
            header.Append(Paravirtual ? "; PV image (TPV1 header)" : "; multiboot image").Append(": load 0x").Append(Hex(LoadAddress))
                .Append("-0x").Append(Hex(loadEnd)).Append(", bss to 0x").Append(Hex(bssEnd)).Append(", entry 0x").Append(Hex(entry)).Append('\n');
            header.Append("; code 0x").Append(Hex(encoded.CodeBase)).Append(" (").Append(encoded.Bytes.Length.ToString(CultureInfo.InvariantCulture))
                .Append(" bytes), data 0x").Append(Hex(encoded.DataBase)).Append(" (").Append(data.Length.ToString(CultureInfo.InvariantCulture))
                .Append(" bytes), bss 0x").Append(Hex(encoded.BssBase)).Append(" (").Append(_linker._bss.Size.ToString(CultureInfo.InvariantCulture)).Append(" bytes)\n");
            header.Append(";\n; data\n");
            foreach (ImageSymbol symbol in symbols.Where(s => !s.IsFunction).OrderBy(s => s.Address))
            {
                header.Append(";   ").Append(Hex(symbol.Address)).Append("  ").Append(symbol.Size.ToString(CultureInfo.InvariantCulture).PadLeft(6))
                    .Append("  ").Append(symbol.Name).Append('\n');
            }

            header.Append('\n');
            string listing = _listing.Write(encoded, names, header.ToString());
            byte[] withMap = ImageMap.Append(image, symbols, _listing.LineTable(encoded));
            return new LinkedImage(new EquatableArray<byte>(withMap), entry, symbols.OrderBy(s => s.Address).ToEquatableArray(), listing);
        }

        /// <summary>The table KernelImage.InterruptHandlers returns: (vector, stub, gate flags: bit 0 user-callable, bit 1 trap gate) triples of this build.</summary>
        private void WriteInterruptTable(byte[] data, DataAddress table, EncodedCode encoded)
        {
            WriteWord(data, (int)table.Offset - 4, (uint)_stubs.Count * 3);
            for (int i = 0; i < _stubs.Count; i++)
            {
                int entry = (int)table.Offset + i * 12;
                WriteWord(data, entry, _stubs[i].Handler.Vector);
                WriteWord(data, entry + 4, encoded.LabelAddress(_stubs[i].Stub));
                WriteWord(data, entry + 8, (_stubs[i].Handler.UserCallable ? 1u : 0u) | (_stubs[i].Handler.TrapGate ? 2u : 0u));
            }
        }

        private static void WriteMultibootHeader(byte[] image, uint loadEnd, uint bssEnd, uint entry)
        {
            uint flags = MultibootAddressFields;
            WriteWord(image, 0, MultibootMagic);
            WriteWord(image, 4, flags);
            WriteWord(image, 8, unchecked(0u - MultibootMagic - flags));
            WriteWord(image, 12, LoadAddress);
            WriteWord(image, 16, LoadAddress);
            WriteWord(image, 20, loadEnd);
            WriteWord(image, 24, bssEnd);
            WriteWord(image, 28, entry);
        }

        /// <summary>docs/paravirt-abi.md, "The PV image": twelve dwords summing to 0.</summary>
        private static void WriteParavirtualHeader(byte[] image, uint loadEnd, uint bssEnd, uint entry, uint hypercallPage)
        {
            WriteWord(image, PvImageHeader.MagicOffset, PvImageHeader.Magic);
            WriteWord(image, PvImageHeader.HeaderSizeOffset, PvImageHeader.Size);
            WriteWord(image, PvImageHeader.AbiVersionOffset, PvImageHeader.AbiVersion);
            WriteWord(image, PvImageHeader.LoadAddressOffset, LoadAddress);
            WriteWord(image, PvImageHeader.LoadEndOffset, loadEnd);
            WriteWord(image, PvImageHeader.BssEndOffset, bssEnd);
            WriteWord(image, PvImageHeader.EntryOffset, entry);
            WriteWord(image, PvImageHeader.HypercallPageOffset, hypercallPage);
            uint sum = 0;
            for (int offset = 0; offset < PvImageHeader.ChecksumOffset; offset += 4)
            {
                sum += BitConverter.ToUInt32(image, offset);
            }

            WriteWord(image, PvImageHeader.ChecksumOffset, unchecked(0u - sum));
        }

        /// <summary>
        /// The PV build's promise, checked on its bytes: no instruction that would fault at CPL 1 (or, like POPF's IF,
        /// silently do nothing there). A hit is a compiler bug or an intrinsic without a PV lowering: TRN1004.
        /// </summary>
        private void CheckNoPrivilegedInstruction(EncodedCode encoded)
        {
            var decoder = Iced.Intel.Decoder.Create(32, new ByteArrayCodeReader(encoded.Bytes), encoded.CodeBase);
            var ends = _functionStarts.Select(f => (f.Name, Address: encoded.InstructionAddress(f.Instruction))).ToList();
            while (decoder.IP < encoded.CodeBase + (ulong)encoded.Bytes.Length)
            {
                Instruction instruction = decoder.Decode();
                if (!IsPrivileged(instruction))
                {
                    continue;
                }

                string function = ends.LastOrDefault(f => f.Address <= instruction.IP32).Name ?? "?";
                Diagnostics.Add(DiagnosticInfo.Create(CodeGenDiagnostics.PrivilegedInstructionInPvImage, Kernel.Location, Kernel.Name,
                    instruction.ToString(), Hex(instruction.IP32), function));
                return;
            }
        }

        private static bool IsPrivileged(Instruction instruction) => instruction.Mnemonic switch
        {
            Mnemonic.Cli or Mnemonic.Sti or Mnemonic.Hlt or Mnemonic.In or Mnemonic.Out or Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd
                or Mnemonic.Outsb or Mnemonic.Outsw or Mnemonic.Outsd or Mnemonic.Lgdt or Mnemonic.Lidt or Mnemonic.Ltr or Mnemonic.Lldt
                or Mnemonic.Lmsw or Mnemonic.Clts or Mnemonic.Invlpg or Mnemonic.Invd or Mnemonic.Wbinvd or Mnemonic.Rdmsr
                or Mnemonic.Wrmsr => true, // not IRET: at CPL 1 it returns like any IRET, only IF stays (the event mask is a byte)
            Mnemonic.Mov => instruction.Op0Kind == OpKind.Register && IsControlOrDebug(instruction.Op0Register)
                || instruction.Op1Kind == OpKind.Register && IsControlOrDebug(instruction.Op1Register),
            _ => false,
        };

        private static bool IsControlOrDebug(Register register)
            => register is >= Register.CR0 and <= Register.CR15 or >= Register.DR0 and <= Register.DR15;

        private static uint Absolute(EncodedCode encoded, DataAddress address)
            => (address.Segment == Segment.Data ? encoded.DataBase : encoded.BssBase) + address.Offset;
    }

    private static string Hex(uint value) => value.ToString("x8", CultureInfo.InvariantCulture);

    private static void WriteWord(byte[] image, int offset, uint value)
    {
        image[offset] = (byte)value;
        image[offset + 1] = (byte)(value >> 8);
        image[offset + 2] = (byte)(value >> 16);
        image[offset + 3] = (byte)(value >> 24);
    }
}
