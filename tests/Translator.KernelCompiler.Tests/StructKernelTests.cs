using System.Text.RegularExpressions;
using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// A kernel made of what kernels are made of: a task table of structs walked through pointers, a page directory as a
/// struct of a fixed buffer, an explicit-layout page entry, a struct method, ref locals and out parameters. Its
/// bare-metal image runs identically on every backend and its PV image (the same source) prints the same under
/// pv; the listing of the new lowerings is a committed snapshot.
/// </summary>
public sealed class StructKernelTests
{
    private const string Source = """
        namespace StructTests;
        using System.Runtime.InteropServices;
        using Translator.Guest;

        [StructLayout(LayoutKind.Explicit)]
        public struct PageEntry
        {
            [FieldOffset(0)] public uint Raw;
            [FieldOffset(0)] public byte Flags;
            [FieldOffset(2)] public ushort High;
        }

        public unsafe struct PageDirectory
        {
            public fixed uint Entries[1024];
        }

        [GuestCode]
        public unsafe struct Task
        {
            public int Id;
            public uint Ticks;
            public long Work;
            public Task* Next;
            public fixed byte Name[8];

            public void Run(uint ticks)
            {
                Ticks += ticks;
                Work += (long)ticks * (Id + 1);
            }
        }

        [GuestKernel]
        public static unsafe partial class Structs
        {
            private const int TaskCount = 4;
            private static readonly Task[] Tasks = new Task[TaskCount];

            [Aligned(4096)]
            private static readonly PageDirectory[] Directories = new PageDirectory[2];

            [Entry]
            private static void Main()
            {
                fixed (Task* first = Tasks)
                {
                    for (int i = 0; i < TaskCount; i++)
                    {
                        ref Task t = ref Tasks[i];
                        t.Id = i;
                        t.Name[0] = (byte)('A' + i);
                        t.Next = i + 1 < TaskCount ? first + i + 1 : null;
                    }

                    for (uint round = 1; round <= 3; round++)
                    {
                        for (Task* t = first; t != null; t = t->Next)
                        {
                            t->Run(round * 10);
                        }
                    }

                    for (Task* t = first; t < first + TaskCount; t++)
                    {
                        Console.Write((char)t->Name[0]);
                        Console.Write(' ');
                        Console.WriteDecimal(t->Ticks);
                        Console.Write(' ');
                        Console.WriteDecimal((uint)t->Work);
                        Console.Write('\n');
                    }
                }

                fixed (PageDirectory* directory = Directories)
                {
                    for (int i = 0; i < 4; i++)
                    {
                        PageEntry entry;
                        entry.Raw = (uint)i << 22;
                        entry.Flags = 0x83;
                        directory[1].Entries[i] = entry.Raw;
                    }

                    Split(directory[1].Entries[3], out uint frame, out uint flags);
                    Console.WriteHex(frame);
                    Console.Write(' ');
                    Console.WriteHex(flags);
                    Console.Write(' ');
                    Console.WriteHex((uint)((byte*)&directory[1] - (byte*)directory));
                    Console.Write(' ');
                    Console.WriteHex((uint)sizeof(Task));
                    Console.Write('\n');
                }
            }

            private static void Split(uint raw, out uint frame, out uint flags)
            {
                PageEntry e = default;
                e.Raw = raw;
                frame = (uint)e.High << 16;
                flags = e.Flags;
            }
        }
        """;

    private const string Expected = "A 60 60\nB 60 120\nC 60 180\nD 60 240\n00c00000 00000083 00001000 00000020\n";

    private static GeneratorOutcome Compile()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Source);
        Assert.Empty(outcome.Diagnostics);
        return outcome;
    }

    /// <summary>The bytes of the generated image member (<c>Image</c> or <c>ParavirtImage</c>).</summary>
    internal static byte[] ImageBytes(string generated, string member)
    {
        Match match = Regex.Match(generated, "ReadOnlySpan<byte> " + member + @" => new byte\[\]\s*\{([^}]*)\}");
        Assert.True(match.Success, member + " not emitted");
        return [.. match.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(b => Convert.ToByte(b, 16))];
    }

    [Fact]
    public void EveryBackendAndThePvBuildPrintTheSame()
    {
        string generated = Compile().GeneratedSource("StructTests.Structs.Kernel.g.cs");
        byte[] image = ImageBytes(generated, "Image");
        foreach (VmOptions options in CrashReportTests.BareMetalBackends)
        {
            VmRunResult run = VirtualMachine.Create(image, options).Run();
            Assert.True(Expected == System.Text.Encoding.ASCII.GetString(run.Console), $"{options.Backend} {options.Paging}: {System.Text.Encoding.ASCII.GetString(run.Console)} ({run.Result.Message})");
            Assert.Equal(1, run.ExitCode);
        }

        VmRunResult pv = VirtualMachine.Create(ImageBytes(generated, "ParavirtImage"), new VmOptions { Backend = BackendKind.Paravirtual }).Run();
        Assert.Equal(Expected, System.Text.Encoding.ASCII.GetString(pv.Console));
    }

    [Fact]
    public void StructAndPointerListing()
    {
        string generated = Compile().GeneratedSource("StructTests.Structs.Kernel.g.cs");
        string start = "public const string Listing = @\"";
        int from = generated.IndexOf(start, StringComparison.Ordinal) + start.Length;
        int to = generated.IndexOf("\";\n", from, StringComparison.Ordinal);
        Snapshot.Verify("Structs.Listing", generated.Substring(from, to - from).Replace("\"\"", "\""), "txt");
    }
}
