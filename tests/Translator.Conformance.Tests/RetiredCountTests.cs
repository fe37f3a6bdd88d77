using Iced.Intel;
using Translator.Machine;
using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// The same guest retires the same number of instructions under every backend (the contract of
/// <c>guestInstructions</c>). A REP string instruction is the case that once broke it: it runs in chunks, and a fault
/// the guest never sees (an EPT violation, a shadow page fill) restarts the chunk under <c>hw</c> and <c>bt</c>, so chunk
/// ends must depend on the count register alone. elf_hello.elf clears its BSS with <c>rep stosb</c> over 0x2001 bytes.
/// </summary>
public sealed class RetiredCountTests
{
    private static readonly string[] Configurations = ["native", "native-interpreter", "hw-ept", "hw-shadow", "bt"];

    public static TheoryData<string> Images() =>
        new() { "elf_hello.elf", "crc32.elf", "paging.bin", "pagetable_heavy.bin", "exceptions.bin", "gp_ring3.bin" };

    [Theory]
    [MemberData(nameof(Images))]
    public void EveryBackendRetiresTheSameCount(string image)
    {
        byte[] bytes = File.ReadAllBytes(GuestImages.Instance.PathOf(image));
        var counts = Configurations.Select(c => (Configuration: c, Retired: Run(bytes, c))).ToArray();
        ulong native = counts[0].Retired;
        Assert.All(counts, c => Assert.True(c.Retired == native, $"{image}: {c.Configuration} retired {c.Retired}, native {native}"));
    }

    [Fact]
    public void LongRepStosRetiresOneExecutionPer4KiBOfCount()
    {
        // 0x2001 bytes = one chunk of 1 element, then two whole 4 KiB chunks: 3 executions of the REP instruction.
        byte[] image = MultibootImage.Build(a =>
        {
            a.mov(AssemblerRegisters.edi, 0x20000);
            a.mov(AssemblerRegisters.ecx, 0x2001);
            a.xor(AssemblerRegisters.eax, AssemblerRegisters.eax);
            a.rep.stosb();
            MultibootImage.EmitExit(a, 0);
        });
        ulong reference = Run(image, "native");
        Assert.All(Configurations, c => Assert.Equal(reference, Run(image, c)));

        byte[] shorter = MultibootImage.Build(a =>
        {
            a.mov(AssemblerRegisters.edi, 0x20000);
            a.mov(AssemblerRegisters.ecx, 0x1);
            a.xor(AssemblerRegisters.eax, AssemblerRegisters.eax);
            a.rep.stosb();
            MultibootImage.EmitExit(a, 0);
        });
        Assert.Equal(2UL, reference - Run(shorter, "native")); // the same program with one execution of REP
    }

    private static ulong Run(byte[] image, string configuration) => Execute(VirtualMachine.Create(image, Options(configuration)));

    private static ulong Execute(VirtualMachine vm)
    {
        vm.Backend.Run();
        return vm.Backend.GuestInstructions;
    }

    private static VmOptions Options(string configuration) => new()
    {
        Backend = configuration switch
        {
            "hw-ept" or "hw-shadow" => BackendKind.HardwareAssisted,
            "bt" => BackendKind.BinaryTranslation,
            _ => BackendKind.Native,
        },
        Paging = configuration == "hw-ept" ? MemoryVirtualization.NestedPaging : MemoryVirtualization.ShadowPaging,
        Translation = TranslationSource.InterpreterOnly,
        CompileThreshold = configuration == "native-interpreter" ? 0 : new VmOptions().CompileThreshold,
        MaxInstructions = 50_000_000,
        Console = _ => { },
    };
}
