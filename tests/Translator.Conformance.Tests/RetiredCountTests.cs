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
    private static readonly string[] Configurations = ["native", "native-interpreter", "hw-ept", "hw-shadow", "bt", "native-translated", "hw-ept-translated", "hw-shadow-translated"];

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
        byte[] image = RepStosb(0x2001);
        ulong reference = Run(image, "native");
        Assert.All(Configurations, c => Assert.Equal(reference, Run(image, c)));
        Assert.Equal(2UL, reference - Run(RepStosb(1), "native")); // the same program with one execution of REP
    }

    /// <summary>mov edi, 0x20000; mov ecx, count; xor eax, eax; rep stosb; then isa-debug-exit.</summary>
    private static byte[] RepStosb(uint count) => MultibootImage.Build(a =>
    {
        a.mov(AssemblerRegisters.edi, 0x20000);
        a.mov(AssemblerRegisters.ecx, count);
        a.xor(AssemblerRegisters.eax, AssemblerRegisters.eax);
        a.rep.stosb();
        MultibootImage.EmitExit(a, 0);
    });

    private static ulong Run(byte[] image, string configuration)
    {
        VirtualMachine vm = VirtualMachine.Create(image, BackendConfigurations.Options(configuration, _ => { }));
        vm.Backend.Run();
        return vm.Backend.GuestInstructions;
    }
}
