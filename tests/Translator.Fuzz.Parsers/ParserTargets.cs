using System.CommandLine;
using System.CommandLine.Parsing;
using System.Security.Cryptography;
using System.Text;
using Translator.Cli;
using Translator.Machine.Loader;
using Translator.Machine.Memory;
using Translator.Fuzz;
using Translator.Vmm;
using Translator.Vmm.Backends.Pv;

namespace Translator.Fuzz.Parsers;

/// <summary>
/// One parser of untrusted input as a fuzz target: <see cref="Consume"/> feeds it one input and lets through only the
/// exceptions the parser documents as its refusal of bad input; any other exception is a crash afl-fuzz records.
/// </summary>
internal sealed record ParserTarget(string Name, string Description, Action<byte[]> Consume);

/// <summary>The targets, by the names <c>scripts/fuzz.sh --afl TARGET</c> takes.</summary>
internal static class ParserTargets
{
    // One guest RAM for all inputs of a process: allocating 4 MiB pinned per input would dominate the run.
    private static readonly Lazy<PhysicalMemory> s_memory = new(() => new PhysicalMemory(4));

    public static IReadOnlyList<ParserTarget> All { get; } =
    [
        new("elf", "the multiboot loader on ELF32 kernels, and the crash report's symbol reader", LoadImage),
        new("flat", "the multiboot loader on flat images (header address fields) and the PV image header", LoadFlat),
        new("host-config", "translator host's CONFIG.json", ParseHostConfig),
        new("snapshot", "translator resume's snapshot files (checksum re-sealed, then read and resumed for 2,000 instructions)", ResumeSnapshot),
        new("options", "the command line (one argument a line): --cost NAME=CYCLES, --stats, --memory, every command's options", ParseCommandLine),
    ];

    public static ParserTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    private static void LoadImage(byte[] input)
    {
        Refused<InvalidImageException>(() => MultibootLoader.Load(input, s_memory.Value, "console=ttyS0"));
        GuestImageMap map = GuestImageMap.Read(input);
        _ = map.Describe(0x10_0000);
    }

    private static void LoadFlat(byte[] input)
    {
        Refused<InvalidImageException>(() => MultibootLoader.Load(input, s_memory.Value));
        Refused<InvalidImageException>(() => ParavirtImage.Parse(input, 4u << 20));
    }

    private static void ParseHostConfig(byte[] input)
    {
        string json = Encoding.UTF8.GetString(input);
        Refused<HostConfigException>(() => HostConfig.Parse(json, "/nonexistent/fuzz"));
    }

    /// <summary>
    /// The input is a snapshot's body; its SHA-256 is appended here, so mutations get past the checksum (which would
    /// otherwise refuse nearly all of them) into the sections' parser and the machine state's restore.
    /// </summary>
    private static void ResumeSnapshot(byte[] input)
    {
        byte[] sealedSnapshot = [.. input, .. SHA256.HashData(input)];
        VmSnapshot? snapshot = null;
        Refused<SnapshotException>(() => snapshot = VmSnapshot.Read(sealedSnapshot));
        if (snapshot is null)
        {
            return;
        }

        BackendKind backend = VmOptions.Parse(snapshot.Backend) ?? BackendKind.Native;
        var options = new VmOptions { Backend = backend, Translation = TranslationSource.InterpreterOnly, MaxInstructions = 2_000 };
        Refused<SnapshotException>(() =>
        {
            VirtualMachine machine = VirtualMachine.Resume(snapshot, options);
            machine.Run(snapshot.Retired + 2_000);
        });
    }

    private static void ParseCommandLine(byte[] input)
    {
        string[] args = Encoding.UTF8.GetString(input).Split('\n');
        RootCommand root = TranslatorCommandLine.Create();
        ParseResult parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0)
        {
            _ = TranslatorCommandLine.Describe(parsed);
            return;
        }

        // Every option's value, as the command's action would read it (custom parsers such as --cost's run here).
        foreach (OptionResult option in parsed.CommandResult.Children.OfType<OptionResult>())
        {
            _ = option.GetValueOrDefault<object?>();
        }
    }

    private static void Refused<TRefusal>(Action parse)
        where TRefusal : Exception
    {
        try
        {
            parse();
        }
        catch (TRefusal)
        {
            // The parser's documented answer to bad input: a message, which the CLI prints with exit code 2.
        }
    }
}
