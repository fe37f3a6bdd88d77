using System.Globalization;
using System.Text;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static Translator.Vmm.Tests.Devices.ApicGuest;

namespace Translator.Vmm.Tests.Devices;

/// <summary>
/// The firmware's ACPI tables, the PM timer they point at, and IA32_MISC_ENABLE, as a guest sees them on bare metal
/// and under every VMM: the same answers everywhere, the SDM's and the ACPI specification's.
/// </summary>
public sealed class AcpiGuestTests
{
    public static TheoryData<string> Configurations => LocalApicGuestTests.Configurations;

    /// <summary>
    /// The guest finds the RSDP by scanning 0xE0000-0xFFFFF (as kvm-unit-tests and Linux do), follows the RSDT to the
    /// FADT, reads PM_TMR_BLK, and counts PM-timer ticks across 1 ms of APIC-timer time spent in HLT: 3.579545 MHz
    /// gives 3579 ticks plus the few instructions around the reads.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void GuestFindsThePmTimerThroughTheFadtAndItCountsAt3579545Hz(string configuration)
    {
        byte[] image = Build((a, putc) =>
        {
            Label scan = a.CreateLabel(), found = a.CreateLabel(), wait = a.CreateLabel();
            a.cli();
            a.mov(ebx, 0xE0000 - 16);
            a.Label(ref scan);
            a.add(ebx, 16);
            a.cmp(__dword_ptr[ebx], 0x20445352);          // "RSD "
            a.jne(scan);
            a.cmp(__dword_ptr[ebx + 4], 0x20525450);      // "PTR "
            a.jne(scan);
            a.Label(ref found);
            a.mov(eax, __dword_ptr[ebx + 16]);             // RSDT
            a.mov(eax, __dword_ptr[eax + 36]);             // its first entry: the FADT
            a.mov(eax, __dword_ptr[eax + 76]);             // PM_TMR_BLK
            a.mov(__dword_ptr[0x5000], eax);
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(Reg(TimerDivide), 0xB);                  // divide by 1: one count per virtual ns
            a.mov(Reg(LvtTimer), 0x40);                    // one-shot, vector 0x40
            a.mov(edx, __dword_ptr[0x5000]);
            a.@in(eax, dx);
            a.mov(esi, eax);
            a.mov(Reg(TimerInitial), 1_000_000);          // 1 ms
            a.sti();
            a.Label(ref wait);
            a.hlt();
            a.cmp(__dword_ptr[Counter(0x40)], 0);
            a.je(wait);
            a.cli();
            a.mov(edx, __dword_ptr[0x5000]);
            a.@in(eax, dx);
            a.sub(eax, esi);
            PrintHex(a, putc);
        },
        (0x40, (_, _) => { }));

        VmRunResult run = LocalApicGuestTests.Run(image, configuration);
        string console = Encoding.ASCII.GetString(run.Console);
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message}), console '{console}'");
        Assert.StartsWith("00000608 ", console, StringComparison.Ordinal);
        uint ticks = uint.Parse(console[9..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.InRange(ticks, 3579u, 3581u);
    }

    /// <summary>
    /// IA32_MISC_ENABLE (SDM Vol. 4 table 2-2, for this CPUID): reads fast strings on and BTS/PEBS unavailable
    /// (0x1801); bit 0 is writable, the read-only bit 7 keeps its value; bit 16 (EIST, which CPUID does not report)
    /// is reserved: #GP. An MSR this processor does not have (0x1A1) is #GP to read.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void MiscEnableKeepsItsWritableBitsAndFaultsOnReservedOnes(string configuration)
    {
        const int GeneralProtection = 13;
        byte[] image = Build((a, putc) =>
        {
            void ReadAndPrint(uint msr)
            {
                a.mov(ecx, msr);
                a.rdmsr();
                PrintHex(a, putc);
                Print(a, putc, " ");
            }

            void Write(uint low)
            {
                a.mov(ecx, 0x1A0);
                a.mov(eax, low);
                a.xor(edx, edx);
                a.wrmsr();
            }

            ReadAndPrint(0x1A0);
            Write(0x1800);                             // fast strings off
            ReadAndPrint(0x1A0);
            Write(0x1881);                             // fast strings on; bit 7 is read-only
            ReadAndPrint(0x1A0);
            Write(0x1_1801);                           // bit 16: #GP, nothing written
            a.mov(ecx, 0x1A1);
            a.rdmsr();                                 // no such MSR: #GP
            ReadAndPrint(0x1A0);
            a.mov(eax, __dword_ptr[Counter(GeneralProtection)]);
            PrintHex(a, putc);
        },
        (GeneralProtection, (a, _) =>
        {
            // Step over the 2-byte RDMSR/WRMSR, then drop the error code under the PUSHAD frame so IRETD finds EIP.
            a.add(__dword_ptr[esp + 36], 2);
            for (int offset = 28; offset >= 0; offset -= 4)
            {
                a.mov(eax, __dword_ptr[esp + offset]);
                a.mov(__dword_ptr[esp + offset + 4], eax);
            }

            a.add(esp, 4);
        }));

        LocalApicGuestTests.AssertPrints("00001801 00001800 00001801 00001801 00000002", image, configuration);
    }
}
