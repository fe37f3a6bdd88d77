using Iced.Intel;
using Translator.Machine.Translation;
using Translator.Tests.Shared;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Translation.Tests;

/// <summary>
/// Small assembled guests for what translated code must get exactly right: self-modifying code, indirect jumps,
/// faults inside a region, flags that stay live across a region exit, interrupts between regions. Each runs
/// translated and on the plain interpreter; output, exit code, retired count and final CPU state must agree.
/// </summary>
public sealed class TranslationBehaviourTests
{
    private const uint Idt = 0x0030_0000;

    private static (MachineRun Native, MachineRun Translated, TranslationResult Result) RunBoth(byte[] image, IReadOnlyCollection<uint>? extra = null)
    {
        (TranslationResult result, TranslatedImage translation) = TranslatedCompiler.Translate(image, extra);
        MachineRun native = MachineRun.Native(image, budget: 50_000_000);
        MachineRun translated = MachineRun.WithTranslation(image, translation, budget: 50_000_000);
        Assert.Equal(native.Console, translated.Console);
        Assert.Equal(native.ExitCode, translated.ExitCode);
        Assert.Equal(native.Retired, translated.Retired);
        Assert.Equal(native.State, translated.State);

        // The same C# compiled by the direct IL back end (tiered runs' groups) behaves the same way.
        MachineRun direct = MachineRun.WithTranslation(image, Translator.Vmm.Backends.Bt.DirectIl.DirectIlImage.Compile(result, null), budget: 50_000_000);
        Assert.Equal((translated.Console, translated.ExitCode, translated.Retired, translated.Translated, translated.State),
            (direct.Console, direct.ExitCode, direct.Retired, direct.Translated, direct.State));
        Assert.Equal(translated.Untranslated.Order(), direct.Untranslated.Order());
        return (native, translated, result);
    }

    /// <summary>Labels by name for <see cref="Build"/>: branch targets, marks, and their addresses as immediates.</summary>
    private sealed class Labels(Assembler assembler, Dictionary<string, uint> addresses)
    {
        public Dictionary<string, Label> ByName { get; } = [];

        public Label L(string name)
        {
            if (!ByName.TryGetValue(name, out Label label))
            {
                label = assembler.CreateLabel(name);
                ByName[name] = label;
            }

            return label;
        }

        public void Mark(string name)
        {
            Label label = L(name);
            assembler.Label(ref label);
            ByName[name] = label;
        }

        public uint Address(string name) => addresses.GetValueOrDefault(name, 0x0010_0000u);
    }

    /// <summary>
    /// Assembles twice so code can use its own labels' addresses as 32-bit immediates: the first pass learns them,
    /// the second (same sizes: such immediates are always 32-bit) uses them.
    /// </summary>
    private static byte[] Build(Action<Assembler, Labels> emit)
    {
        var addresses = new Dictionary<string, uint>();
        for (int pass = 0; ; pass++)
        {
            var a = new Assembler(32);
            var labels = new Labels(a, addresses);
            emit(a, labels);
            using var stream = new MemoryStream();
            AssemblerResult result = a.Assemble(new StreamCodeWriter(stream), MultibootImage.EntryAddress, BlockEncoderOptions.ReturnNewInstructionOffsets);
            if (pass == 1)
            {
                return MultibootImage.Wrap(stream.ToArray(), bssBytes: 0x40_0000);
            }

            foreach ((string name, Label label) in labels.ByName)
            {
                Label marked = label;
                addresses[name] = (uint)result.GetLabelRIP(marked);
            }
        }
    }

    /// <summary>Exits through isa-debug-exit with AL as the value.</summary>
    private static void ExitWithAl(Assembler a)
    {
        a.mov(dx, 0xF4);
        a.@out(dx, al);
        a.hlt();
    }

    /// <summary>Installs a 32-bit interrupt gate for <paramref name="vector"/> at <paramref name="handler"/> and loads IDTR.</summary>
    private static void InstallGate(Assembler a, int vector, uint handler)
    {
        a.mov(eax, handler);
        a.mov(edx, eax);
        a.and(eax, 0xFFFF);
        a.or(eax, 0x0008_0000);
        a.mov(__dword_ptr[Idt + (uint)(vector * 8)], eax);
        a.and(edx, unchecked((int)0xFFFF_0000));
        a.or(edx, 0x8E00);
        a.mov(__dword_ptr[Idt + (uint)(vector * 8) + 4], edx);
        a.mov(__word_ptr[Idt + 0x800], 0x7FF);
        a.mov(__dword_ptr[Idt + 0x802], Idt);
        a.lidt(__fword_ptr[Idt + 0x800]);
    }

    /// <summary>
    /// Identity-maps the first 4 MiB with one 4 KiB page table (the directory at <paramref name="directory"/>, the
    /// table in the next page, EDI left pointing at the directory), leaving <paramref name="notPresent"/>'s page
    /// unmapped when given, and turns paging on.
    /// </summary>
    private static void PageFirst4MiB(Assembler a, Labels g, uint directory, uint notPresent = 0)
    {
        a.mov(edi, directory);
        a.mov(ecx, 0);
        Label fill = g.L("fill");
        g.Mark("fill");
        a.mov(eax, ecx);
        a.shl(eax, 12);
        a.or(eax, 3);
        a.mov(__dword_ptr[edi + ecx * 4 + 0x1000], eax);
        a.inc(ecx);
        a.cmp(ecx, 1024);
        a.jne(fill);
        if (notPresent != 0)
        {
            a.mov(__dword_ptr[edi + 0x1000 + (notPresent >> 12) * 4], 0);
        }

        a.mov(__dword_ptr[edi], (directory + 0x1000) | 3);
        a.mov(cr3, edi);
        a.mov(eax, cr0);
        a.or(eax, unchecked((int)0x8000_0000));
        a.mov(cr0, eax);
    }

    [Fact]
    public void Self_modifying_code_inside_a_running_region_takes_effect_at_the_next_instruction()
    {
        byte[] image = Build((a, g) =>
        {
            Label loop = g.L("loop"), next = g.L("next");
            a.mov(esp, 0x0020_0000);
            a.mov(ecx, 4);
            a.xor(ebx, ebx);
            g.Mark("loop");
            a.mov(eax, 1);                                  // its immediate is rewritten below
            a.add(ebx, eax);
            a.mov(edx, g.Address("loop"));
            a.mov(__dword_ptr[edx + 1], 5);                 // patch an instruction already run in this region
            a.mov(edx, g.Address("next"));
            a.mov(__byte_ptr[edx + 2], 7);                  // patch the very next instruction: add ebx, 7
            g.Mark("next");
            a.add(ebx, 0);
            a.dec(ecx);
            a.jnz(loop);
            a.mov(eax, ebx);
            ExitWithAl(a);
        });
        (MachineRun native, MachineRun translated, _) = RunBoth(image);
        Assert.Equal((int)(((1 + 7) + 3 * (5 + 7)) << 1 | 1), native.ExitCode);
        Assert.True(translated.Translated > 0);
    }

    /// <summary>
    /// Translated code calls into another page's method directly once the code cache has seen that method (a host
    /// call, returned from by the callee's RET); a write into the callee's bytes must end that, so the next call
    /// runs the new instruction, and a call that returns elsewhere than its return address must not resume there.
    /// </summary>
    [Fact]
    public void Calls_into_another_translated_method_stop_at_a_write_into_its_code()
    {
        byte[] image = Build((a, g) =>
        {
            Label main = g.L("main"), f = g.L("f"), loop1 = g.L("loop1"), loop2 = g.L("loop2"), skip = g.L("skip");
            a.jmp(main);
            a.db(new byte[0x1800]);
            g.Mark("f");
            a.mov(eax, 1);                                  // its immediate becomes 3 after the first loop
            a.ret();
            g.Mark("g");
            a.add(__dword_ptr[esp], 2);                     // returns two bytes past its return address
            a.ret();
            a.db(new byte[0x1800]);
            g.Mark("main");
            a.mov(esp, 0x0020_0000);
            a.xor(ebx, ebx);
            a.mov(ecx, 50);
            g.Mark("loop1");
            a.call(f);
            a.add(ebx, eax);
            a.dec(ecx);
            a.jnz(loop1);
            a.mov(edx, g.Address("f"));
            a.mov(__dword_ptr[edx + 1], 3);                 // rewrite the callee's immediate
            a.mov(ecx, 50);
            g.Mark("loop2");
            a.call(f);
            a.add(ebx, eax);
            a.dec(ecx);
            a.jnz(loop2);
            a.call(g.L("g"));
            a.jmp(skip);                                    // two bytes, skipped by g's return
            a.add(ebx, 100);
            g.Mark("skip");
            a.mov(eax, ebx);
            ExitWithAl(a);
        });
        (MachineRun native, MachineRun translated, _) = RunBoth(image);
        Assert.Equal((int)((((50 * 1) + (50 * 3) + 100) & 0xFF) << 1 | 1), native.ExitCode);
        Assert.True(translated.Translated > 0);
    }

    [Fact]
    public void Indirect_jump_target_runs_on_the_interpreter_then_is_translated_once_recorded()
    {
        byte[] image = Build((a, g) =>
        {
            Label target = g.L("target"), loop = g.L("loop");
            a.mov(esp, 0x0020_0000);
            a.xor(ebx, ebx);
            a.mov(eax, g.Address("target"));
            a.jmp(eax);                                     // discovery cannot follow this
            a.nop();
            g.Mark("target");
            a.mov(ecx, 1000);
            g.Mark("loop");
            a.add(ebx, ecx);
            a.dec(ecx);
            a.jnz(loop);
            a.mov(eax, ebx);
            a.shr(eax, 3);
            ExitWithAl(a);
        });
        (_, MachineRun first, TranslationResult result) = RunBoth(image);
        Assert.NotEmpty(first.Untranslated);
        Assert.True(first.Translated > 0);

        // The host records the interpreter's entries and passes them to the next translation.
        (_, MachineRun second, TranslationResult again) = RunBoth(image, first.Untranslated);
        Assert.Empty(second.Untranslated);
        Assert.True(second.Translated > first.Translated);
        Assert.True(again.Instructions > result.Instructions);
    }

    [Fact]
    public void Divide_error_inside_a_region_is_precise()
    {
        byte[] image = Build((a, g) =>
        {
            Label handler = g.L("handler"), after = g.L("after");
            a.mov(esp, 0x0020_0000);
            InstallGate(a, 0, g.Address("handler"));
            a.mov(eax, 100);
            a.mov(ebx, 200);
            a.mov(__dword_ptr[0x0021_0000], 0x1234);        // a store before the fault stays done
            a.cmp(eax, ebx);                                // flags pending when the fault hits
            a.mov(esi, 0x5555);
            a.xor(ecx, ecx);
            a.div(ecx);                                     // #DE: EIP, registers and flags of this point
            a.mov(esi, 0x6666);                             // never reached
            g.Mark("handler");
            a.pop(edi);                                     // saved EIP
            a.pop(ebp);                                     // CS
            a.pop(edx);                                     // saved EFLAGS
            g.Mark("after");
            a.mov(eax, edx);
            a.and(eax, 0x8D5);
            a.add(eax, esi);
            a.add(eax, __dword_ptr[0x0021_0000]);
            ExitWithAl(a);
        });
        (MachineRun native, _, _) = RunBoth(image);
        Assert.Equal(1, native.ExitCode & 1);
    }

    [Fact]
    public void A_register_written_again_later_is_in_the_cpu_at_a_fault_between_the_writes() =>
        // A write that the same straight line overwrites before any observer is not written through to the CPU
        // (RegionEmitter.WriteThrough); one with a fault between it and the next write must be.
        AssertDivideErrorHandlerSees(0x32, a =>
        {
            a.mov(esi, 0x1111);
            a.shl(esi, 4);                                  // the first write of ESI is overwritten at once
            a.mov(edi, 0x2222);                             // not written again before the fault
            a.xor(ecx, ecx);
            a.mov(eax, 7);
            a.xor(edx, edx);
        }, a =>
        {
            a.mov(eax, esi);                                // ESI = 0x11110, EDI = 0x2222
            a.add(eax, edi);                                // 0x13332
        });

    [Fact]
    public void A_register_an_instruction_may_leave_unchanged_is_not_taken_as_written_again() =>
        // SHL by CL with CL = 0 and BSF of zero leave their destination as it was: the write before them must reach
        // the CPU before the fault that follows.
        AssertDivideErrorHandlerSees(0x32, a =>
        {
            a.xor(ecx, ecx);
            a.xor(edx, edx);
            a.mov(eax, 0x1210);
            a.shl(eax, cl);                                 // count 0: EAX unchanged
            a.mov(ebx, 0x22);
            a.bsf(ebx, edx);                                // source 0: EBX unchanged
        }, a => a.add(eax, ebx));                           // 0x1232 when both were kept

    /// <summary>
    /// Runs <paramref name="beforeFault"/>, then DIV ECX (ECX = 0 by then: #DE), whose handler runs
    /// <paramref name="inHandler"/> and exits with AL: the same translated as on the interpreter, AL as expected.
    /// </summary>
    private static void AssertDivideErrorHandlerSees(int al, Action<Assembler> beforeFault, Action<Assembler> inHandler)
    {
        byte[] image = Build((a, g) =>
        {
            a.mov(esp, 0x0020_0000);
            InstallGate(a, 0, g.Address("handler"));
            beforeFault(a);
            a.div(ecx);                                     // #DE
            g.Mark("handler");
            inHandler(a);
            ExitWithAl(a);
        });
        (MachineRun native, MachineRun translated, _) = RunBoth(image);
        Assert.Equal((al << 1) | 1, native.ExitCode);
        Assert.True(translated.Translated > 0, "nothing ran translated");
    }

    [Fact]
    public void Page_fault_inside_a_region_reports_cr2_and_precise_state()
    {
        byte[] image = Build((a, g) =>
        {
            Label handler = g.L("handler");
            a.mov(esp, 0x0020_0000);
            InstallGate(a, 14, g.Address("handler"));
            PageFirst4MiB(a, g, 0x0040_0000, notPresent: 0x0025_0000);
            a.mov(ebx, 0x0025_0010);
            a.mov(ecx, 3);
            a.add(ecx, 4);                                  // flags pending
            a.mov(edx, __dword_ptr[ebx]);                   // #PF, CR2 = 0x00250010
            g.Mark("handler");
            a.mov(eax, cr2);
            a.add(eax, ecx);
            a.add(eax, __dword_ptr[esp]);                   // error code
            ExitWithAl(a);
        });
        RunBoth(image);
    }

    /// <summary>
    /// A function that begins near a page's end and runs on into the next page is one translated method. Its entry
    /// block is keyed by the first page's mapping only; when the guest maps the second page elsewhere, the method
    /// must not run (the interpreter fetches the newly mapped code); it runs translated while the mapping holds, and
    /// again once the guest maps the page back.
    /// </summary>
    [Fact]
    public void A_method_over_two_pages_is_not_used_once_its_second_page_maps_elsewhere()
    {
        const uint FunctionAt = 0x0010_1FF8, SecondPage = 0x0010_2000, OtherCode = 0x0010_3000, PageDirectory = 0x0038_0000, PageTable = 0x0038_1000;
        byte[] image = Build((a, g) =>
        {
            Label function = g.L("function");
            a.mov(esp, 0x0020_0000);
            PageFirst4MiB(a, g, PageDirectory); // the tables lie inside the mapping: the guest edits them later
            a.mov(esi, 0);
            a.mov(ebx, 200);
            Label again = g.L("again");
            g.Mark("again");
            a.call(function);                                  // 1 + 2 while the second page is the image's
            a.add(esi, eax);
            a.dec(ebx);
            a.jne(again);
            a.mov(__dword_ptr[PageTable + (SecondPage >> 12) * 4], OtherCode | 3);
            a.mov(cr3, edi);                                   // flushes the TLB: the second page now shows OtherCode
            a.call(function);                                  // 1 + 40
            a.add(esi, eax);
            a.mov(__dword_ptr[PageTable + (SecondPage >> 12) * 4], SecondPage | 3);
            a.mov(cr3, edi);                                   // the image's mapping again: translated again
            a.mov(ebx, 200);
            Label back = g.L("back");
            g.Mark("back");
            a.call(function);
            a.add(esi, eax);
            a.dec(ebx);
            a.jne(back);
            a.mov(eax, esi);                                   // 400 * 3 + 41 = 1241: AL = 0xD9
            ExitWithAl(a);
            g.Mark("pad");
            a.db(new byte[FunctionAt - g.Address("pad")]);
            g.Mark("function");
            a.mov(eax, 1);                                     // 5 bytes, then 3 more up to the page's end
            a.nop();
            a.nop();
            a.nop();
            a.add(eax, 2);                                     // at SecondPage
            a.ret();
            a.db(new byte[OtherCode - SecondPage - 4]);
            a.add(eax, 40);                                    // at OtherCode: never reached through the image's mapping
            a.ret();
        });
        (MachineRun native, MachineRun translated, TranslationResult result) = RunBoth(image);
        Assert.True(native.ExitCode >> 1 == 0xD9, $"exit {native.ExitCode}: {native.Message} {native.State}");
        Assert.Contains(result.Layout!.Methods, m => m.CodeStart <= FunctionAt && m.CodeStart + (uint)m.GuestBytes.Length > SecondPage);

        // Interpreted: first runs of blocks before their regions attach, and the call under the other mapping; 400
        // calls of six instructions each ran translated (the second 200 only if the method is valid again: its entry
        // after the page-end check revalidates it, and the calls chain into it).
        long interpreted = (long)translated.Retired - translated.Translated;
        Assert.True(interpreted < 600, $"{interpreted} of {translated.Retired} instructions ran interpreted");
    }

    [Fact]
    public void Flags_stay_live_across_calls_returns_and_jumps_between_regions()
    {
        byte[] image = Build((a, g) =>
        {
            Label reader = g.L("reader"), far = g.L("far"), back = g.L("back");
            a.mov(esp, 0x0020_0000);
            a.mov(eax, 5);
            a.cmp(eax, 9);                                  // CF=1, SF=1: read in another region
            a.call(reader);
            a.mov(esi, eax);
            a.sub(eax, 0x7FFF_FFFF);
            a.add(eax, 0x7FFF_FFFF);                        // OF and CF into a jump to another page
            a.jmp(far);
            g.Mark("back");
            a.mov(eax, esi);
            a.add(eax, edi);
            ExitWithAl(a);
            g.Mark("reader");
            a.setb(al);
            a.sets(ah);
            a.movzx(eax, ax);
            a.ret();
            for (int k = 0; k < 4096 / 8; k++)
            {
                a.nop();
                a.nop();
                a.nop();
                a.nop();
                a.nop();
                a.nop();
                a.nop();
                a.nop();
            }

            g.Mark("far");
            a.pushfd();
            a.pop(edi);
            a.and(edi, 0x8D5);
            a.jmp(back);
        });
        (MachineRun native, MachineRun translated, _) = RunBoth(image);
        Assert.True(translated.Translated > 0);
    }

    [Fact]
    public void Timer_interrupts_arrive_between_regions_at_the_interpreters_instruction()
    {
        byte[] image = Build((a, g) =>
        {
            Label handler = g.L("handler"), loop = g.L("loop"), inner = g.L("inner");
            a.mov(esp, 0x0020_0000);
            InstallGate(a, 8, g.Address("handler"));
            a.mov(al, 0x34);
            a.@out(0x43, al);
            a.mov(al, 0x50);                                // PIT period: 0x150 ticks
            a.@out(0x40, al);
            a.mov(al, 0x01);
            a.@out(0x40, al);
            a.mov(al, 0xFA);                                // unmask IRQ0
            a.@out(0x21, al);
            a.mov(__dword_ptr[0x0021_0000], 0);
            a.xor(ebx, ebx);
            a.mov(ecx, 20000);
            a.sti();
            g.Mark("loop");
            a.mov(edx, 7);
            g.Mark("inner");
            a.add(ebx, edx);
            a.xor(ebx, __dword_ptr[0x0021_0000]);           // the interrupt count steers the computation
            a.dec(edx);
            a.jnz(inner);
            a.dec(ecx);
            a.jnz(loop);
            a.cli();
            a.mov(eax, __dword_ptr[0x0021_0000]);
            a.add(eax, ebx);
            ExitWithAl(a);
            g.Mark("handler");
            a.inc(__dword_ptr[0x0021_0000]);
            a.push(eax);
            a.mov(al, 0x20);
            a.@out(0x20, al);
            a.pop(eax);
            a.iretd();
        });
        (MachineRun native, MachineRun translated, _) = RunBoth(image);
        Assert.True((ulong)translated.Translated > translated.Retired / 2, "the loop should run translated");
    }

    [Fact]
    public void A_translation_is_not_used_where_the_loaded_code_differs()
    {
        byte[] Build(int value) => MultibootImage.Build(a =>
        {
            a.mov(esp, 0x0020_0000);
            a.mov(eax, value);
            ExitWithAl(a);
        });
        byte[] original = Build(3), changed = Build(9);
        (_, TranslatedImage translation) = TranslatedCompiler.Translate(original);
        MachineRun native = MachineRun.Native(changed);
        MachineRun translated = MachineRun.WithTranslation(changed, translation);
        Assert.Equal(native.ExitCode, translated.ExitCode);
        Assert.Equal(0, translated.Translated);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', 1, 1, 1 })]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 })]
    public void Malformed_images_are_refused_with_a_clear_message(byte[] image)
    {
        TranslationException e = Assert.Throws<TranslationException>(() => BinaryTranslator.Translate(image, new TranslationOptions()));
        Assert.StartsWith("cannot translate the image: ", e.Message);
    }

    [Fact]
    public void Truncated_elf_program_headers_are_refused()
    {
        byte[] elf = File.ReadAllBytes(Path.Combine(RepositoryRoot.Path, "tests", "guests", "build", "sieve.elf"));
        byte[] truncated = elf.AsSpan(0, 200).ToArray();
        BitConverter.GetBytes(0x7FFF_0000u).CopyTo(truncated, 28); // e_phoff far beyond the file
        Assert.Throws<TranslationException>(() => BinaryTranslator.Translate(truncated, new TranslationOptions()));
    }

    [Fact]
    public void Every_translated_instruction_carries_its_address_and_disassembly()
    {
        byte[] image = GuestImageTests.Load("sieve.elf");
        TranslationResult result = BinaryTranslator.Translate(image, new TranslationOptions { ClassName = "Sieve", RegisterOnLoad = true });
        string[] comments = result.Source.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("// 0x", StringComparison.Ordinal)).ToArray();
        Assert.Equal(result.Instructions, comments.Length);
        Assert.Contains(comments, c => System.Text.RegularExpressions.Regex.IsMatch(c, @"^// 0x[0-9A-F]{8}  (mov|add|cmp|jne|call|ret)\b"));
        Assert.Contains("[ModuleInitializer]", result.Source);
        Assert.Contains("public sealed unsafe class Sieve : TranslatedImage", result.Source);
        Assert.Equal(result.ImageSha256, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(image)).ToLowerInvariant());
    }
}
