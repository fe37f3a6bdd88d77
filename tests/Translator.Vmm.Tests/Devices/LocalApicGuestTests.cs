using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static Translator.Vmm.Tests.Devices.ApicGuest;

namespace Translator.Vmm.Tests.Devices;

/// <summary>
/// The local APIC as a guest sees it (Intel SDM Vol. 3 ch. 11), on bare metal and under every VMM that runs an
/// unmodified guest: each guest prints what it observed, which must be what the SDM says, identically everywhere
/// (under hw and shadow paging every access is an exit the VMM emulates; under bt and trap a not-present shadow
/// entry the VMM emulates).
/// </summary>
public sealed class LocalApicGuestTests
{
    public static TheoryData<string> Configurations => new() { "native", "hw-ept", "hw-shadow", "bt", "bt-translated", "trap" };

    internal static VmRunResult Run(byte[] image, string configuration, ulong maxInstructions = 50_000_000,
        Translator.Machine.Devices.PcDeviceOptions? devices = null, int memoryMiB = 16, string? commandLine = null)
    {
        VmOptions options = configuration switch
        {
            "native" => new VmOptions { Backend = BackendKind.Native },
            "hw-ept" => new VmOptions { Backend = BackendKind.HardwareAssisted, Paging = MemoryVirtualization.NestedPaging },
            "hw-shadow" => new VmOptions { Backend = BackendKind.HardwareAssisted, Paging = MemoryVirtualization.ShadowPaging },
            "bt" => new VmOptions { Backend = BackendKind.BinaryTranslation, Translation = TranslationSource.InterpreterOnly },
            "bt-translated" => new VmOptions
            {
                Backend = BackendKind.BinaryTranslation,
                TranslationCacheDirectory = Path.Combine(Path.GetTempPath(), $"apic-bt-{Environment.ProcessId}"),
            },
            "trap" => new VmOptions { Backend = BackendKind.TrapAndEmulate },
            _ => throw new ArgumentOutOfRangeException(nameof(configuration)),
        };
        return VirtualMachine.Create(image, options with { MemoryMiB = memoryMiB, MaxInstructions = maxInstructions, Devices = devices ?? new(), KernelCommandLine = commandLine }).Run();
    }

    internal static void AssertPrints(string expected, byte[] image, string configuration, Translator.Machine.Devices.PcDeviceOptions? devices = null)
    {
        VmRunResult run = Run(image, configuration, devices: devices);
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message}), console '{System.Text.Encoding.ASCII.GetString(run.Console)}'");
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(run.Console));
    }

    /// <summary>
    /// SDM 11.8.3: a fixed interrupt is accepted only when its priority class is above the PPR's; PPR is the TPR or
    /// the class in service, whichever is higher; pending vectors are serviced highest first, a lower one waiting in
    /// the IRR until the TPR lets it through; EOI clears the highest ISR bit.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void TaskPriorityHoldsLowerClassesAndServiceFollowsPriority(string configuration)
    {
        static Action<Assembler, Label> Handler(char name) => (a, putc) =>
        {
            Print(a, putc, name.ToString());
            a.mov(eax, Reg(Ppr));
            a.shr(eax, 4);
            PrintNibble(a, putc);
        };

        byte[] image = Build((a, putc) =>
        {
            a.cli();
            a.mov(Reg(Tpr), 0x50);
            SelfIpi(a, 0x41);
            SelfIpi(a, 0x61);
            SelfIpi(a, 0x71);
            a.mov(eax, Reg(Irr + 0x20)); // vectors 0x40-0x5F
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(eax, Reg(Irr + 0x30)); // vectors 0x60-0x7F
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.sti();
            a.nop();
            a.cli();
            Print(a, putc, "|");
            a.mov(eax, Reg(Irr + 0x20));
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(Reg(Tpr), 0);
            a.sti();
            a.nop();
            a.cli();
            Print(a, putc, " ");
            a.mov(eax, Reg(Isr + 0x20));
            a.or(eax, Reg(Isr + 0x30));
            a.or(eax, Reg(Irr + 0x20));
            PrintHex(a, putc);
        }, (0x41, Handler('A')), (0x61, Handler('B')), (0x71, Handler('C')));

        // 0x71 first (PPR 0x70 while in service), then 0x61 (PPR 0x60); 0x41 waits for the TPR to drop (PPR 0x40).
        AssertPrints("00000002 00020002 C7B6|00000002 A4 00000000", image, configuration);
    }

    /// <summary>
    /// SDM 11.5.4: one-shot mode counts down once and raises one interrupt, leaving the current count at 0; periodic
    /// mode reloads and raises one per period; masking the LVT entry stops the interrupts, not the count.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void TimerOneShotFiresOnceAndPeriodicRepeats(string configuration)
    {
        byte[] image = Build((a, putc) =>
        {
            Label waitOneShot = a.CreateLabel(), settle = a.CreateLabel(), waitPeriodic = a.CreateLabel();
            a.mov(Reg(TimerDivide), 0xB);        // divide by 1
            a.mov(Reg(LvtTimer), 0x42);          // one-shot, vector 0x42
            a.mov(Reg(TimerInitial), 5000);
            a.sti();
            a.Label(ref waitOneShot);
            a.cmp(__dword_ptr[Counter(0x42)], 0);
            a.je(waitOneShot);
            a.mov(ecx, 20_000);
            a.Label(ref settle);                 // long past a second period: still one interrupt
            a.dec(ecx);
            a.jnz(settle);
            a.mov(eax, __dword_ptr[Counter(0x42)]);
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(eax, Reg(TimerCurrent));
            PrintHex(a, putc);
            Print(a, putc, " ");

            a.mov(Reg(LvtTimer), 0x2_0043);      // periodic, vector 0x43
            a.mov(Reg(TimerInitial), 3000);
            a.Label(ref waitPeriodic);
            a.cmp(__dword_ptr[Counter(0x43)], 4);
            a.jb(waitPeriodic);
            a.mov(Reg(LvtTimer), 0x3_0043);      // masked
            a.mov(eax, Reg(LvtTimer));
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(eax, Reg(TimerCurrent));       // still counting: 0 < count <= 3000
            Label bad = a.CreateLabel(), done = a.CreateLabel();
            a.test(eax, eax);
            a.jz(bad);
            a.cmp(eax, 3000);
            a.ja(bad);
            Print(a, putc, "counting");
            a.jmp(done);
            a.Label(ref bad);
            Print(a, putc, "stopped");
            a.Label(ref done);
        }, (0x42, (_, _) => { }), (0x43, (_, _) => { }));

        AssertPrints("00000001 00000000 00030043 counting", image, configuration);
    }

    /// <summary>
    /// The 8259 reaches the processor through LINT0 in ExtINT mode (SDM 11.5.1): masking LINT0 holds its interrupt
    /// back; unmasked, it arrives. A pending APIC vector is taken before the 8259's (the INTA cycle asks the APIC
    /// first, as QEMU's board does).
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void ThePicInterruptsThroughLint0InExtIntMode(string configuration)
    {
        const uint snapshot = 0x6800;
        byte[] image = Build((a, putc) =>
        {
            Label spin = a.CreateLabel(), waitPic = a.CreateLabel(), pending = a.CreateLabel();
            byte[] icws = [0x11, 0x20, 0x04, 0x01];
            a.mov(al, icws[0]);
            a.@out(0x20, al);
            foreach (byte icw in icws[1..])
            {
                a.mov(al, icw);
                a.@out(0x21, al);
            }

            a.mov(al, 0xFE);                     // IRQ 0 only
            a.@out(0x21, al);
            a.mov(al, 0x34);                     // PIT channel 0, mode 2, count 100 (about 84 us)
            a.@out(0x43, al);
            a.mov(al, 100);
            a.@out(0x40, al);
            a.mov(al, 0);
            a.@out(0x40, al);

            a.mov(Reg(LvtLint0), 0x1_8700);      // masked
            a.sti();
            a.mov(ecx, 200_000);
            a.Label(ref spin);
            a.dec(ecx);
            a.jnz(spin);
            a.cli();
            a.mov(eax, __dword_ptr[Counter(0x20)]);
            PrintHex(a, putc);
            Print(a, putc, " ");

            a.mov(Reg(LvtLint0), 0x8700);        // ExtINT, unmasked
            a.sti();
            a.Label(ref waitPic);
            a.cmp(__dword_ptr[Counter(0x20)], 0);
            a.je(waitPic);
            a.cli();
            Print(a, putc, "E ");

            // With the PIT's request waiting in the 8259 and an APIC vector pending, the APIC's comes first.
            a.mov(ecx, 200_000);
            a.Label(ref pending);
            a.dec(ecx);
            a.jnz(pending);
            a.mov(eax, __dword_ptr[Counter(0x20)]);
            a.mov(__dword_ptr[snapshot], eax);
            SelfIpi(a, 0x50);
            a.sti();
            a.nop();
            a.cli();
        },
        (0x20, (a, _) =>
        {
            a.mov(al, 0x20);                     // non-specific EOI to the 8259 (the APIC's ISR is untouched by ExtINT)
            a.@out(0x20, al);
        }),
        (0x50, (a, putc) =>
        {
            Label same = a.CreateLabel(), done = a.CreateLabel();
            a.mov(eax, __dword_ptr[Counter(0x20)]);
            a.cmp(eax, __dword_ptr[snapshot]);
            a.je(same);
            Print(a, putc, "pic-first");
            a.jmp(done);
            a.Label(ref same);
            Print(a, putc, "apic-first");
            a.Label(ref done);
        }));

        AssertPrints("00000000 E apic-first", image, configuration);
    }

    /// <summary>
    /// Software disable (SVR bit 8 clear, SDM 11.4.7.2) masks every LVT entry and keeps them masked; errors latch in
    /// the ESR on the next write to it (an illegal register address, a self-IPI with a reserved vector, SDM 11.5.3);
    /// the version register and IA32_APIC_BASE read as after reset.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void SoftwareDisableMasksTheLvtAndErrorsLatchInTheEsr(string configuration)
    {
        byte[] image = Build((a, putc) =>
        {
            a.cli();
            a.mov(eax, Reg(VersionRegister));
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(ecx, LocalApicBaseMsr);
            a.rdmsr();
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(Reg(Svr), 0xFF);               // software-disabled
            a.mov(Reg(LvtTimer), 0x42);          // an attempt to unmask
            a.mov(eax, Reg(LvtLint0));
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(eax, Reg(LvtTimer));
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(Reg(Svr), 0x1FF);
            a.mov(eax, Reg(0x3F0));              // no register there
            a.mov(Reg(Esr), 0);
            a.mov(eax, Reg(Esr));
            PrintHex(a, putc);
            Print(a, putc, " ");
            SelfIpi(a, 5);                       // vectors 0-15 are illegal
            a.mov(Reg(Esr), 0);
            a.mov(eax, Reg(Esr));
            PrintHex(a, putc);
            Print(a, putc, " ");
            a.mov(Reg(Esr), 0);
            a.mov(eax, Reg(Esr));
            PrintHex(a, putc);
        });

        AssertPrints("00050014 FEE00900 00018700 00010042 00000080 00000020 00000000", image, configuration);
    }

    private const uint LocalApicBaseMsr = 0x1B;

    /// <summary>
    /// A hostile guest writes garbage of every size to every byte offset of the APIC page (and reads it back),
    /// with interrupts off: the host neither crashes nor hangs and the guest gets to its exit.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void GarbageWrittenEverywhereInThePageIsHarmless(string configuration)
    {
        byte[] image = Build((a, putc) =>
        {
            Label next = a.CreateLabel();
            a.cli();
            a.mov(esi, Apic);
            a.mov(edi, 0x9E37_79B9);
            a.Label(ref next);
            a.imul(edi, edi, 0x0019_660D);
            a.add(edi, 0x3C6E_F35F);
            a.mov(__dword_ptr[esi], edi);
            a.mov(__word_ptr[esi], di);
            a.mov(__byte_ptr[esi], 0xA5);
            a.mov(eax, __dword_ptr[esi]);
            a.mov(ax, __word_ptr[esi]);
            a.inc(esi);
            a.cmp(esi, Apic + 0xFFD);
            a.jb(next);
            Print(a, putc, "OK");
        });

        AssertPrints("OK", image, configuration);
    }
}

/// <summary>Under a VMM every APIC access is the VMM's: it exits (hw) or traps (bt, trap) and is emulated, never mapped.</summary>
public sealed class ApicAccessInterventionTests
{
    private const int Reads = 50;

    private static byte[] ReadTheIdRepeatedly() => Build((a, putc) =>
    {
        Label next = a.CreateLabel();
        a.mov(ecx, Reads);
        a.Label(ref next);
        a.mov(eax, Reg(Id));
        a.dec(ecx);
        a.jnz(next);
        a.mov(ecx, 0x1B);
        a.rdmsr();
        PrintHex(a, putc);
    });

    [Theory]
    [InlineData("hw-ept", "exit.EPT_VIOLATION")]
    [InlineData("hw-shadow", "exit.EXCEPTION_NMI")]
    [InlineData("bt", null)]
    [InlineData("trap", null)]
    public void EveryAccessReachesTheVmmAndTheMsrIsItsToo(string configuration, string? exitCounter)
    {
        VmRunResult run = LocalApicGuestTests.Run(ReadTheIdRepeatedly(), configuration);
        Assert.Equal("FEE00900", System.Text.Encoding.ASCII.GetString(run.Console));
        IReadOnlyDictionary<string, long> events = run.Statistics.Events;
        Assert.Equal(Reads, events.GetValueOrDefault("vmm.deviceAccesses"));
        if (exitCounter is not null)
        {
            Assert.True(events.GetValueOrDefault(exitCounter) >= Reads, $"{exitCounter}: {events.GetValueOrDefault(exitCounter)}");
            Assert.Equal(1, events.GetValueOrDefault("exit.RDMSR"));
        }
    }
}
