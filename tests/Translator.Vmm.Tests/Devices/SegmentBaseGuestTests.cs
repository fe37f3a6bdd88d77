using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static Translator.Vmm.Tests.Devices.ApicGuest;

namespace Translator.Vmm.Tests.Devices;

/// <summary>
/// FS and GS with a base (per-CPU data, as kvm-unit-tests and 32-bit Linux use them): an FS/GS operand adds the
/// base, LEA does not, every other segment stays flat; the same on every backend.
/// </summary>
public sealed class SegmentBaseGuestTests
{
    public static TheoryData<string> Configurations => LocalApicGuestTests.Configurations;

    private const uint Gdt = 0x5000, Gdtr = 0x5FF0, Base = 0x0001_2000;
    private const byte Fs = 0x64, Gs = 0x65;

    /// <summary>Null, flat code 0x08, flat data 0x10, and at 0x18 a 4 GiB data segment based at <see cref="Base"/>.</summary>
    private static void LoadGdtWithBasedSegment(Assembler a)
    {
        uint[] words = [0, 0, 0x0000_FFFF, 0x00CF_9A00, 0x0000_FFFF, 0x00CF_9200,
            ((Base & 0xFFFF) << 16) | 0xFFFF, (Base & 0xFF00_0000) | 0x00CF_9200 | ((Base >> 16) & 0xFF)];
        for (int i = 0; i < words.Length; i++)
        {
            a.mov(__dword_ptr[Gdt + ((uint)i * 4)], words[i]);
        }

        a.mov(__word_ptr[Gdtr], (ushort)((words.Length * 4) - 1));
        a.mov(__dword_ptr[Gdtr + 2], Gdt);
        a.lgdt(__[Gdtr]);
        a.mov(ax, 0x18);
        a.mov(gs, ax);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void FsAndGsOperandsAddTheSegmentBase(string configuration)
    {
        byte[] image = Build((a, putc) =>
        {
            LoadGdtWithBasedSegment(a);
            a.db(Gs);
            a.mov(__dword_ptr[0x10], 0xABCD_1234);
            a.mov(eax, __dword_ptr[Base + 0x10]);        // the flat view of the same byte
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(__dword_ptr[Base + 0x20], 0x5566_7788);
            a.db(Gs);
            a.mov(eax, __dword_ptr[0x20]);
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.db(Gs);
            a.lea(eax, __[0x20]);                          // an offset: no base
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.push(gs);
            a.pop(fs);
            a.db(Fs);
            a.add(__dword_ptr[0x10], 1);                  // read-modify-write through FS
            a.mov(eax, __dword_ptr[Base + 0x10]);
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(ax, 0x10);
            a.mov(gs, ax);                                // flat again
            a.db(Gs);
            a.mov(eax, __dword_ptr[Base + 0x20]);
            PrintHex(a, putc);
        });

        LocalApicGuestTests.AssertPrints("ABCD1234 55667788 00000020 ABCD1235 55667788", image, configuration);
    }

    /// <summary>A based segment as a string instruction's source is refused by name (exit 4), not silently flat.</summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void ABasedStringSourceIsRefusedByName(string configuration)
    {
        byte[] image = Build((a, _) =>
        {
            LoadGdtWithBasedSegment(a);
            a.mov(esi, 0x10);
            a.db(Gs);
            a.lodsd();
        });

        VmRunResult run = LocalApicGuestTests.Run(image, configuration);
        Assert.Equal(4, run.ExitCode);
        Assert.Contains("FS/GS base on a string", run.Result.Message, StringComparison.Ordinal);
    }
}
