using System.Text;
using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// A kernel that finds the multiboot information through <c>KernelImage.MultibootInfo()</c>, declares it and the
/// memory-map entry as structs and walks the map through pointers, printing each entry formatted: the map every
/// backend prints is the one QEMU's boot loader hands over. The PV build gets Xen's start info instead and says so.
/// </summary>
public sealed class MultibootMapKernelTests
{
    private const string Source = """
        namespace MultibootTests;
        using System.Runtime.InteropServices;
        using Translator.Guest;

        public unsafe struct MultibootInfo
        {
            public uint Flags;
            public uint MemLower;
            public uint MemUpper;
            public uint BootDevice;
            public uint CommandLine;
            public uint ModuleCount;
            public uint ModuleAddress;
            public fixed uint Symbols[4];
            public uint MmapLength;
            public uint MmapAddress;
        }

        // The size field comes first and counts only what follows it, so the 64-bit base sits at offset 4.
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        public struct MemoryMapEntry
        {
            public uint Size;
            public ulong BaseAddress;
            public ulong Length;
            public uint Type;
        }

        [GuestKernel]
        public static unsafe partial class MemoryMap
        {
            private const uint BootMagic = 0x2BADB002;
            private const uint HasMemoryMap = 1u << 6;

            [Entry]
            private static void Main()
            {
                if (KernelImage.MultibootMagic() != BootMagic)
                {
                    Console.WriteLine($"no multiboot information (magic {KernelImage.MultibootMagic():X8})");
                    return;
                }

                MultibootInfo* info = (MultibootInfo*)KernelImage.MultibootInfo();
                Console.WriteLine($"lower {info->MemLower} KiB upper {info->MemUpper} KiB entry size {sizeof(MemoryMapEntry)}");
                if ((info->Flags & HasMemoryMap) == 0)
                {
                    Console.WriteLine("no memory map");
                    return;
                }

                byte* end = (byte*)info->MmapAddress + info->MmapLength;
                for (byte* at = (byte*)info->MmapAddress; at < end; at += ((MemoryMapEntry*)at)->Size + 4)
                {
                    MemoryMapEntry* e = (MemoryMapEntry*)at;
                    ulong start = e->BaseAddress;
                    ulong length = e->Length;
                    uint type = e->Type;
                    Console.WriteLine($"{start:X16} {length:X16} type {type}");
                }
            }
        }
        """;

    // The first lines are the PC's map below 1 MiB, which QEMU's BIOS and our loader both report.
    private const string ExpectedStart =
        "lower 639 KiB upper 129920 KiB entry size 24\n" +
        "0000000000000000 000000000009FC00 type 1\n" +
        "000000000009FC00 0000000000000400 type 2\n" +
        "00000000000F0000 0000000000010000 type 2\n" +
        "0000000000100000 ";

    private static string Generated()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Source);
        Assert.Empty(outcome.Diagnostics);
        return outcome.GeneratedSource("MultibootTests.MemoryMap.Kernel.g.cs");
    }

    [Fact]
    public void EveryBackendPrintsTheMapQemuHandsOver()
    {
        byte[] image = StructKernelTests.ImageBytes(Generated(), "Image");
        string map = Encoding.ASCII.GetString(VirtualMachine.Create(image, new VmOptions { Backend = BackendKind.Native }).Run().Console);
        Assert.StartsWith(ExpectedStart, map);
        foreach (VmOptions options in CrashReportTests.BareMetalBackends)
        {
            VmRunResult run = VirtualMachine.Create(image, options).Run();
            Assert.True(map == Encoding.ASCII.GetString(run.Console), $"{options.Backend} {options.Paging}: {Encoding.ASCII.GetString(run.Console)} ({run.Result.Message})");
        }

        string path = Path.Combine(Path.GetTempPath(), $"multiboot-map-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, image);
        try
        {
            ProcessResult qemu = ProcessRunner.RunQemu(path, TimeSpan.FromSeconds(60));
            Assert.False(qemu.TimedOut, "QEMU timed out");
            Assert.True(map == Encoding.ASCII.GetString(qemu.StandardOutput), "native:\n" + map + "qemu:\n" + Encoding.ASCII.GetString(qemu.StandardOutput));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ThePvBuildHasNoMultibootInformation()
    {
        VmRunResult pv = VirtualMachine.Create(StructKernelTests.ImageBytes(Generated(), "ParavirtImage"), new VmOptions { Backend = BackendKind.Paravirtual }).Run();
        Assert.Equal("no multiboot information (magic 00000000)\n", Encoding.ASCII.GetString(pv.Console));
    }
}
