using Iced.Intel;
using Translator.Machine.Devices;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static Translator.Vmm.Tests.Devices.ApicGuest;

namespace Translator.Vmm.Tests.Devices;

/// <summary>
/// The I/O APIC, fw_cfg, the debug console and pc-testdev as a guest sees them, identically on every backend.
/// </summary>
public sealed class PlatformDeviceGuestTests
{
    public static TheoryData<string> Configurations => LocalApicGuestTests.Configurations;

    private const uint IoApicBase = 0xFEC0_0000;
    private static readonly PcDeviceOptions TestDevice = new() { TestDevice = true };

    private static void IoApicWrite(Assembler a, uint register, uint value)
    {
        a.mov(__dword_ptr[IoApicBase], register);
        a.mov(__dword_ptr[IoApicBase + 0x10], value);
    }

    private static void IoApicRead(Assembler a, uint register)
    {
        a.mov(__dword_ptr[IoApicBase], register);
        a.mov(eax, __dword_ptr[IoApicBase + 0x10]);
    }

    /// <summary>
    /// The PIT's IRQ 0 arrives on I/O APIC pin 2 (QEMU's wiring) with the 8259 and LINT0 masked; a level-triggered
    /// pin (driven by pc-testdev's line 10) is delivered once until the EOI clears its remote IRR, then again while
    /// it stays asserted.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void IoApicRoutesIsaIrqsAndCompletesLevelInterruptsWithTheEoi(string configuration)
    {
        byte[] image = Build((a, putc) =>
        {
            Label waitTimer = a.CreateLabel(), waitLevel = a.CreateLabel();
            a.cli();
            IoApicRead(a, 0x01);
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(al, 0xFF);                      // every 8259 line masked
            a.@out(0x21, al);
            a.mov(Reg(LvtLint0), 0x1_8700);
            a.mov(al, 0x34);                      // PIT: mode 2, count 100
            a.@out(0x43, al);
            a.mov(al, 100);
            a.@out(0x40, al);
            a.mov(al, 0);
            a.@out(0x40, al);
            IoApicWrite(a, 0x10 + (2 * 2) + 1, 0);        // pin 2 to APIC ID 0
            IoApicWrite(a, 0x10 + (2 * 2), 0x30);         // pin 2: vector 0x30, fixed, edge, unmasked
            a.sti();
            a.Label(ref waitTimer);
            a.cmp(__dword_ptr[Counter(0x30)], 0);
            a.je(waitTimer);
            a.cli();
            IoApicWrite(a, 0x10 + (2 * 2), 0x1_0030);     // masked again
            Print(a, putc, "T ");

            IoApicWrite(a, 0x10 + (10 * 2), 0x8031);      // pin 10: vector 0x31, level, unmasked
            a.mov(dx, 0x200A);
            a.mov(al, 1);
            a.@out(dx, al);                        // assert line 10
            a.sti();
            a.Label(ref waitLevel);
            a.cmp(__dword_ptr[Counter(0x31)], 3);
            a.jb(waitLevel);
            a.cli();
            IoApicRead(a, 0x10 + (10 * 2));
            PrintHex(a, putc);                     // remote IRR clear once the last EOI went out
        },
        (0x30, (_, _) => { }),
        (0x31, (a, _) =>
        {
            // Remote IRR is set while the level interrupt is in service.
            IoApicRead(a, 0x10 + (10 * 2));
            a.and(eax, 0x4000);
            a.mov(__dword_ptr[0x6900], eax);
            Label keep = a.CreateLabel();
            a.cmp(__dword_ptr[Counter(0x31)], 3);
            a.jb(keep);
            a.mov(dx, 0x200A);
            a.mov(al, 0);
            a.@out(dx, al);                        // the third time: deassert, so no fourth delivery
            a.Label(ref keep);
        }));

        LocalApicGuestTests.AssertPrints("00170020 T 00008031", image, configuration, TestDevice);
    }

    /// <summary>fw_cfg answers as QEMU's: the signature, one CPU, the guest's RAM size, and 0 for a key it does not have.</summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void FwCfgReportsSignatureCpuCountAndRamSize(string configuration)
    {
        static void Select(Assembler a, ushort key)
        {
            a.mov(dx, FwCfg.SelectorPort);
            a.mov(ax, key);
            a.@out(dx, ax);
            a.mov(dx, FwCfg.DataPort);
        }

        byte[] image = Build((a, putc) =>
        {
            Select(a, FwCfg.Signature);
            for (int i = 0; i < 4; i++)
            {
                a.@in(al, dx);
                a.call(putc);
            }

            Print(a, putc, " ");
            Select(a, FwCfg.CpuCount);
            a.@in(ax, dx);                         // a 16-bit read takes two consecutive bytes
            a.movzx(eax, ax);
            PrintHex(a, putc);
            Print(a, putc, " ");
            Select(a, FwCfg.RamSize);
            a.@in(eax, dx);
            PrintHex(a, putc);
            Print(a, putc, " ");
            Select(a, 0x7777);
            a.@in(eax, dx);
            PrintHex(a, putc);
        });

        LocalApicGuestTests.AssertPrints("QEMU 00000001 01000000 00000000", image, configuration);
    }

    /// <summary>
    /// pc-testdev's scratch register keeps byte lanes per port; its memory page holds what was written; without
    /// <c>--device isa-debugcon</c> port 0xE9 is an undriven bus, with it a read returns 0xE9.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void TestDeviceScratchRegisterAndMemory(string configuration)
    {
        byte[] image = Build((a, putc) =>
        {
            a.mov(eax, 0x1122_3344);
            a.@out(0xE0, eax);
            a.mov(al, 0xAA);
            a.@out(0xE2, al);
            a.@in(eax, 0xE0);
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(__dword_ptr[PcTestDevice.MemoryBase + 0x100], 0xCAFE_F00D);
            a.mov(eax, __dword_ptr[PcTestDevice.MemoryBase + 0x100]);
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.@in(al, (byte)DebugConsole.Port);
            a.movzx(eax, al);
            PrintHex(a, putc);
        });

        LocalApicGuestTests.AssertPrints("11AA3344 CAFEF00D 000000FF", image, configuration, TestDevice);
    }

    /// <summary>The debug console's bytes go to its own output, not to COM1; a read returns 0xE9.</summary>
    [Fact]
    public void DebugConsoleBytesGoToTheVmmsOutputNotCom1()
    {
        var debug = new List<byte>();
        byte[] image = Build((a, putc) =>
        {
            foreach (char ch in "dbg")
            {
                a.mov(al, (byte)ch);
                a.@out((byte)DebugConsole.Port, al);
            }

            a.@in(al, (byte)DebugConsole.Port);
            a.movzx(eax, al);
            PrintHex(a, putc);
        });

        foreach (string configuration in new[] { "native", "hw-ept", "trap" })
        {
            debug.Clear();
            VmRunResult run = LocalApicGuestTests.Run(image, configuration, devices: new PcDeviceOptions { DebugConsole = true, DebugOutput = debug.Add });
            Assert.Equal("000000E9", System.Text.Encoding.ASCII.GetString(run.Console));
            Assert.Equal("dbg", System.Text.Encoding.ASCII.GetString([.. debug]));
        }
    }

    /// <summary>
    /// A hostile guest selects every I/O APIC register and writes garbage through the window, selects random
    /// fw_cfg keys and reads far past their items, and toggles every pc-testdev IRQ line, with interrupts off:
    /// the host is unharmed and the guest reaches its exit.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void GarbageToIoApicFwCfgAndTestDeviceIsHarmless(string configuration)
    {
        byte[] image = Build((a, putc) =>
        {
            Label ioapic = a.CreateLabel(), fwcfg = a.CreateLabel(), lines = a.CreateLabel();
            a.cli();
            a.mov(edi, 0x1234_5678);
            a.xor(ecx, ecx);
            a.Label(ref ioapic);
            a.imul(edi, edi, 0x0019_660D);
            a.add(edi, 0x3C6E_F35F);
            a.mov(__dword_ptr[IoApicBase], ecx);
            a.mov(__dword_ptr[IoApicBase + 0x10], edi);
            a.mov(eax, __dword_ptr[IoApicBase + 0x10]);
            a.mov(__byte_ptr[IoApicBase + 0x13], 0x5A);
            a.inc(ecx);
            a.cmp(ecx, 0x100);
            a.jb(ioapic);

            a.xor(ecx, ecx);
            a.Label(ref fwcfg);
            a.imul(edi, edi, 0x0019_660D);
            a.add(edi, 0x3C6E_F35F);
            a.mov(dx, FwCfg.SelectorPort);
            a.mov(eax, edi);
            a.@out(dx, ax);
            a.mov(dx, FwCfg.DataPort);
            a.@in(eax, dx);
            a.@in(eax, dx);
            a.@in(eax, dx);
            a.@out(dx, eax);
            a.inc(ecx);
            a.cmp(ecx, 0x200);
            a.jb(fwcfg);

            a.mov(edx, (uint)PcTestDevice.IrqPorts);
            a.Label(ref lines);
            a.mov(al, 1);
            a.@out(dx, al);
            a.mov(al, 0);
            a.@out(dx, al);
            a.inc(edx);
            a.cmp(edx, (uint)PcTestDevice.IrqPorts + 0x40);
            a.jb(lines);
            Print(a, putc, "OK");
        });

        LocalApicGuestTests.AssertPrints("OK", image, configuration, TestDevice);
    }
}
