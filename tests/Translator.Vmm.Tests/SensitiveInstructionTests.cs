using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static Translator.Vmm.Tests.DeprivilegedHarness;

namespace Translator.Vmm.Tests;

/// <summary>
/// Every privileged and every sensitive unprivileged instruction (Robin and Irvine's list), at ring 0 and at ring 3:
/// under <c>bt</c> the deprivileged guest observes exactly what bare metal shows it (values stored, exception frames
/// on its stacks, faults and their vectors, console, exit code). Under <c>trap</c> the Robin and Irvine ones are
/// left alone, and the same observations show the holes.
/// </summary>
public sealed class SensitiveInstructionTests
{
    private static readonly Dictionary<string, Action<Assembler>> s_snippets = new()
    {
        ["sgdt"] = a => a.sgdt(__[Results]),
        ["sidt"] = a => a.sidt(__[Results]),
        ["sldt"] = a => { a.mov(eax, -1); a.sldt(ax); Store(a, 0, eax); },
        ["str"] = a => { a.mov(eax, -1); a.str(ax); Store(a, 0, eax); },
        ["smsw"] = a => { a.smsw(eax); Store(a, 0, eax); },
        ["pushf"] = a => { a.pushfd(); a.pop(eax); Store(a, 0, eax); },
        ["popf"] = a =>
        {
            // Try to flip IF and raise IOPL to 3: only ring 0 may do both, ring 3 neither (silently).
            a.pushfd();
            a.pop(ebx);
            a.mov(eax, ebx);
            a.xor(eax, 0x3200);
            a.push(eax);
            a.popfd();
            a.pushfd();
            a.pop(ecx);
            Store(a, 0, ecx);
            a.push(ebx);
            a.popfd();
            a.pushfd();
            a.pop(ecx);
            Store(a, 1, ecx);
        },
        ["lar"] = a => Probe(a, (r, s) => a.lar(r, s), KernelCode, KernelData, UserCode, TaskState),
        ["lsl"] = a => Probe(a, (r, s) => a.lsl(r, s), KernelCode, KernelData, UserData, TaskState),
        ["verr"] = a => Verify(a, s => a.verr(s), KernelCode, KernelData, UserCode, UserData),
        ["verw"] = a => Verify(a, s => a.verw(s), KernelCode, KernelData, UserCode, UserData),
        ["push_sreg"] = a =>
        {
            a.push(cs);
            a.push(ss);
            a.push(ds);
            a.push(es);
            a.push(fs);
            a.push(gs);
            for (int slot = 0; slot < 6; slot++)
            {
                a.pop(eax);
                Store(a, slot, eax);
            }
        },
        ["mov_from_sreg"] = a =>
        {
            a.mov(eax, cs);
            Store(a, 0, eax);
            a.mov(eax, ss);
            Store(a, 1, eax);
            a.mov(__word_ptr[Results + 8], cs);
        },
        ["mov_to_sreg"] = a =>
        {
            a.mov(eax, ss); // the stack selector of the current ring, RPL included
            a.mov(ds, ax);
            a.mov(ss, ax);
            a.mov(ebx, ds);
            Store(a, 0, ebx);
            a.mov(ebx, ss);
            Store(a, 1, ebx);
            a.mov(ax, KernelData);
            a.mov(fs, ax); // #GP at ring 3 (DPL 0 data)
            a.mov(ebx, fs);
            Store(a, 2, ebx);
        },
        ["pop_sreg"] = a =>
        {
            a.push(ss);
            a.pop(es);
            a.mov(eax, es);
            Store(a, 0, eax);
            a.push(ss);
            a.pop(ss);
            a.mov(eax, ss);
            Store(a, 1, eax);
        },
        ["far_pointer_loads"] = a =>
        {
            a.mov(eax, ss);
            a.mov(__word_ptr[FarPointer + 4], ax);
            a.mov(__dword_ptr[FarPointer], esp);
            a.lss(esp, __[FarPointer]);
            a.lds(ebx, __[FarPointer]);
            a.les(ebx, __[FarPointer]);
            a.lfs(ebx, __[FarPointer]);
            a.lgs(ebx, __[FarPointer]);
            a.mov(eax, ss);
            Store(a, 0, eax);
            a.mov(eax, gs);
            Store(a, 1, eax);
        },
        ["far_jmp"] = a => WithAddressOf(
            a,
            target =>
            {
                target.mov(eax, cs);
                Store(target, 0, eax);
            },
            jump =>
            {
                StoreFarPointer(jump);
                jump.jmp(__fword_ptr[FarPointer]);
            }),
        ["far_call_ret"] = a => WithAddressOf(
            a,
            routine =>
            {
                routine.mov(eax, __dword_ptr[esp + 4]); // the pushed CS
                Store(routine, 0, eax);
                routine.retf();
            },
            call =>
            {
                StoreFarPointer(call);
                call.call(__fword_ptr[FarPointer]);
                call.mov(eax, cs);
                Store(call, 1, eax);
            }),
        ["int"] = a =>
        {
            a.@int(0x40);
            a.mov(eax, cs);
            Store(a, 0, eax);
            a.pushfd();
            a.pop(eax);
            Store(a, 1, eax);
        },
        ["int3"] = a => a.int3(),
        ["into"] = a => { a.mov(al, 0x7F); a.add(al, 1); a.into(); },
        ["iret"] = a => WithAddressOf(
            a,
            after =>
            {
                after.mov(eax, cs);
                Store(after, 0, eax);
            },
            frame =>
            {
                frame.pushfd();
                frame.push(cs);
                frame.push(eax);
                frame.iretd();
            }),
        ["cli_sti"] = a =>
        {
            a.cli();
            a.pushfd();
            a.pop(eax);
            Store(a, 0, eax);
            a.sti();
            a.pushfd();
            a.pop(eax);
            Store(a, 1, eax);
        },
        ["hlt"] = a => { a.cli(); a.hlt(); },
        ["single_step"] = a =>
        {
            // TF set by POPF: the #DB trap comes after the next instruction, a sensitive one (#GP first at ring 3).
            a.pushfd();
            a.pop(eax);
            a.or(eax, 0x100);
            a.push(eax);
            a.popfd();
            a.cli();
            a.nop();
        },
        ["in_out"] = a =>
        {
            a.@in(al, 0x21);
            Store(a, 0, eax);
            a.mov(al, 0xFB);
            a.@out(0x21, al);
            a.@in(al, 0x21);
            Store(a, 1, eax);
        },
        ["string_io"] = a =>
        {
            a.mov(dx, 0x21);
            a.mov(edi, Results + 0x10);
            a.mov(ecx, 4);
            a.rep.insb();
            a.mov(esi, Results + 0x10);
            a.outsb();
        },
        ["mov_cr"] = a =>
        {
            a.mov(eax, cr0);
            Store(a, 0, eax);
            a.mov(eax, 0x1234_5000);
            a.mov(cr2, eax);
            a.mov(ebx, cr2);
            Store(a, 1, ebx);
            a.mov(eax, cr3);
            a.mov(cr3, eax);
            Store(a, 2, eax);
            a.mov(eax, cr4);
            a.or(eax, 0x10);
            a.mov(cr4, eax);
            a.mov(eax, cr4);
            Store(a, 3, eax);
        },
        ["mov_dr"] = a =>
        {
            a.mov(eax, 0x0010_2000);
            a.mov(dr0, eax);
            a.mov(ebx, dr0);
            Store(a, 0, ebx);
            a.mov(ebx, dr7);
            Store(a, 1, ebx);
        },
        ["descriptor_table_loads"] = a =>
        {
            a.lgdt(__[Gdtr]);
            a.lidt(__[HwHarness.IdtrAddress]);
            a.xor(eax, eax);
            a.lldt(ax);
            a.sgdt(__[Results]);
            a.sidt(__[Results + 8]);
        },
        ["lmsw_clts"] = a =>
        {
            a.smsw(eax);
            a.or(eax, 8);
            a.lmsw(ax);
            a.smsw(ebx);
            Store(a, 0, ebx);
            a.clts();
            a.smsw(ebx);
            Store(a, 1, ebx);
        },
        ["invlpg_wbinvd_invd"] = a =>
        {
            a.invlpg(__[Results]);
            a.wbinvd();
            a.invd();
            a.mov(eax, 1);
            Store(a, 0, eax);
        },
        ["msr"] = a =>
        {
            a.mov(ecx, 0x174); // IA32_SYSENTER_CS
            a.mov(eax, 0x10);
            a.xor(edx, edx);
            a.wrmsr();
            a.rdmsr();
            Store(a, 0, eax);
            a.mov(ecx, 0x1234); // no such MSR: #GP
            a.rdmsr();
        },
    };

    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (string name in s_snippets.Keys)
        {
            data.Add(name, false);
            data.Add(name, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void UnderBtTheGuestSeesWhatBareMetalShows(string instruction, bool ring3) =>
        AssertBtShowsBareMetal(instruction, ring3, TranslationSource.InterpreterOnly);

    /// <summary>
    /// Translated code reaches the same callouts: the snippet's image is translated (the sensitive instruction sits
    /// inside a translated region, between translated instructions) and must still show what bare metal shows.
    /// </summary>
    [Theory]
    [InlineData("sgdt", false)]
    [InlineData("pushf", true)]
    [InlineData("popf", false)]
    [InlineData("mov_to_sreg", false)]
    [InlineData("far_call_ret", false)]
    [InlineData("int", true)]
    [InlineData("lar", true)]
    public void TranslatedCodeReachesTheSameCallouts(string instruction, bool ring3)
    {
        Observation bt = AssertBtShowsBareMetal(instruction, ring3, TranslationSource.Cached);
        Assert.True(bt.InstructionsInRegions > 0, $"{instruction}: no guest instruction ran in translated code");
    }

    private static Observation AssertBtShowsBareMetal(string instruction, bool ring3, TranslationSource translation)
    {
        Observation native = DeprivilegedHarness.Run(BackendKind.Native, ring3, s_snippets[instruction]);
        Observation bt = DeprivilegedHarness.Run(BackendKind.BinaryTranslation, ring3, s_snippets[instruction], translation: translation);
        Assert.True(native.ExitCode is not (4 or 6), $"{instruction}: the harness itself failed on bare metal: {native.Message}");
        Assert.Equal(native.ExitCode, bt.ExitCode);
        Assert.Equal(native.Console, bt.Console);
        Assert.Equal(Convert.ToHexString(native.Results), Convert.ToHexString(bt.Results));
        Assert.Equal(Convert.ToHexString(native.Stacks), Convert.ToHexString(bt.Stacks));
        return bt;
    }

    /// <summary>The same observations are not blind: trap-and-emulate leaves these instructions alone and they show it.</summary>
    [Theory]
    [InlineData("sgdt", false)]
    [InlineData("sidt", true)]
    [InlineData("str", false)]
    [InlineData("pushf", false)]
    [InlineData("popf", false)]
    [InlineData("lar", false)]
    [InlineData("push_sreg", false)]
    [InlineData("mov_from_sreg", false)]
    public void UnderTrapTheHoleShows(string instruction, bool ring3)
    {
        Observation native = DeprivilegedHarness.Run(BackendKind.Native, ring3, s_snippets[instruction]);
        Observation trap = DeprivilegedHarness.Run(BackendKind.TrapAndEmulate, ring3, s_snippets[instruction]);
        Assert.Equal(native.ExitCode, trap.ExitCode);
        Assert.NotEqual(Convert.ToHexString(native.Results), Convert.ToHexString(trap.Results));
    }

    /// <summary>Trap-and-emulate completes a trapped instruction for the processor, single-step trap included.</summary>
    [Fact]
    public void UnderTrapSingleSteppingATrappedInstructionTrapsAfterIt()
    {
        Observation native = DeprivilegedHarness.Run(BackendKind.Native, ring3: false, s_snippets["single_step"]);
        Observation trap = DeprivilegedHarness.Run(BackendKind.TrapAndEmulate, ring3: false, s_snippets["single_step"]);
        Assert.Equal(HwHarness.HandlerReport(1), (uint)native.ExitCode >> 1);
        Assert.Equal(native.ExitCode, trap.ExitCode);
        Assert.Equal(Convert.ToHexString(native.Stacks), Convert.ToHexString(trap.Stacks)); // the #DB frame: EIP after CLI
    }

    [Fact]
    public void EverySensitiveMnemonicIsExercised()
    {
        var exercised = new HashSet<string>();
        foreach (Action<Assembler> snippet in s_snippets.Values)
        {
            var a = new Assembler(32);
            snippet(a);
            foreach (Instruction i in a.Instructions)
            {
                if (Backends.Deprivileged.SensitiveInstructions.IsSensitive(i.Code))
                {
                    exercised.Add(Backends.Deprivileged.SensitiveInstructions.CounterName(i.Code));
                }
            }
        }

        string[] required =
        [
            "sgdt", "sidt", "sldt", "str", "smsw", "pushfd", "popfd", "lar", "lsl", "verr", "verw", "push", "pop", "mov_sreg",
            "lss", "lds", "les", "lfs", "lgs", "jmp", "call", "retf", "int", "int3", "into", "iretd", "cli", "sti", "hlt",
            "in", "out", "insb", "outsb", "mov_cr", "mov_dr", "lgdt", "lidt", "lldt", "lmsw", "clts", "invlpg", "wbinvd",
            "invd", "rdmsr", "wrmsr",
        ];
        Assert.Empty(required.Except(exercised));
    }

    private static void Store(Assembler a, int slot, AssemblerRegister32 register) => a.mov(__dword_ptr[Results + (uint)(slot * 4)], register);

    /// <summary>LAR/LSL of each selector: the value and ZF, in consecutive slots.</summary>
    private static void Probe(Assembler a, Action<AssemblerRegister32, AssemblerRegister32> instruction, params ushort[] selectors)
    {
        for (int i = 0; i < selectors.Length; i++)
        {
            a.mov(ecx, selectors[i]);
            a.mov(eax, -1);
            instruction(eax, ecx);
            a.setz(bl);
            a.movzx(ebx, bl);
            Store(a, 2 * i, eax);
            Store(a, (2 * i) + 1, ebx);
        }
    }

    private static void Verify(Assembler a, Action<AssemblerRegister16> instruction, params ushort[] selectors)
    {
        for (int i = 0; i < selectors.Length; i++)
        {
            a.mov(ecx, selectors[i]);
            instruction(cx);
            a.setz(bl);
            a.movzx(ebx, bl);
            Store(a, i, ebx);
        }
    }

    /// <summary>A far pointer to the address in EAX in the current code segment (RPL as the CPU shows it).</summary>
    private static void StoreFarPointer(Assembler a)
    {
        a.mov(__dword_ptr[FarPointer], eax);
        a.mov(eax, cs);
        a.mov(__word_ptr[FarPointer + 4], ax);
    }
}
