using System.CommandLine;
using Translator.Machine.Loader;
using Translator.Vmm;

namespace Translator.Cli;

/// <summary><c>translator resume FILE</c>: continues a VM saved by <c>run --snapshot-at</c>, on its technique or another.</summary>
internal static class ResumeCommand
{
    public static readonly string[] Backends = ["native", "hw", "bt", "trap"];

    public static readonly string[] Examples =
    [
        "translator run tests/guests/build/pit_irq.bin --backend hw --snapshot-at 400000 --snapshot pit.snap",
        "translator resume pit.snap --backend bt --stats resumed.json",
    ];

    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "A snapshot written by translator run --snapshot-at N --snapshot FILE" };
        var backend = new Option<string?>("--backend")
        {
            HelpName = string.Join('|', Backends),
            Description = "The technique that continues the guest (default: the one that saved it); trap only continues trap's own snapshots",
        };
        backend.CompletionSources.Add(Backends);
        backend.Validators.Add(result =>
        {
            if (result.Tokens is [.., { Value: var name }] && !Backends.Contains(name))
            {
                result.AddError($"unknown backend '{name}' for resume (available: {string.Join(", ", Backends)}; pv guests are not snapshotted)");
            }
        });
        var stats = new Option<string?>("--stats") { HelpName = "FILE.json", Description = "Write the resumed run's statistics as JSON (guestInstructions counts from boot)" };
        Option<ulong> maxInstructions = CommonOptions.MaxInstructions();
        Option<MemoryVirtualization> paging = CommonOptions.Choice("--paging", "hw only: nested paging (EPT, the default) or shadow page tables",
            ("ept", MemoryVirtualization.NestedPaging), ("shadow", MemoryVirtualization.ShadowPaging));
        var command = new Command("resume", "Continue a saved VM: stdout is the guest's COM1 bytes from the snapshot on, the exit code as for run")
        {
            file, backend, stats, maxInstructions, paging,
        };
        command.SetAction(parsed =>
        {
            using Stream stdout = Console.OpenStandardOutput();
            return Execute(parsed.GetRequiredValue(file), parsed.GetValue(backend), parsed.GetValue(stats),
                CommonOptions.Budget(parsed.GetValue(maxInstructions)), parsed.GetValue(paging), stdout, Console.Error);
        });
        return command;
    }

    public static int Execute(string path, string? backendName, string? statsPath, ulong maxInstructions, MemoryVirtualization paging, Stream stdout, TextWriter stderr)
    {
        VmSnapshot snapshot;
        try
        {
            snapshot = VmSnapshot.Read(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            stderr.WriteLine($"translator: cannot read '{path}': {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (SnapshotException e)
        {
            stderr.WriteLine($"translator: {path}: {e.Message}");
            return ExitCodes.BadInput;
        }

        string name = backendName ?? snapshot.Backend;
        var console = new BufferedStream(stdout, 4096);
        var options = new VmOptions
        {
            Backend = VmOptions.Parse(name) ?? BackendKind.Native,
            MaxInstructions = maxInstructions,
            Paging = backendName is null && snapshot.Paging == "shadow" ? MemoryVirtualization.ShadowPaging : paging,
            Console = console.WriteByte,
            Devices = new() { DebugOutput = b => stderr.Write((char)b) },
        };
        VirtualMachine vm;
        try
        {
            vm = VirtualMachine.Resume(snapshot, options);
        }
        catch (Exception e) when (e is SnapshotException or ArgumentException or InvalidImageException)
        {
            stderr.WriteLine($"translator: {path} cannot resume under {name}: {e.Message}");
            return ExitCodes.BadInput;
        }

        VmRunResult run = vm.Run();
        console.Flush();
        return RunCommand.Finish(run, statsPath, options.Paging, stderr);
    }
}
