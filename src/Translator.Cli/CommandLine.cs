using System.Globalization;
using Translator.Vmm;

namespace Translator.Cli;

/// <summary>A command-line error: the tool prints the message on one line and exits with code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The parsed arguments of <c>translator run</c>.</summary>
internal sealed record RunArguments(
    string Image,
    string Backend,
    string? StatsPath,
    ulong MaxInstructions,
    int MemoryMiB,
    MemoryVirtualization Paging = MemoryVirtualization.NestedPaging,
    CostParameters? Cost = null,
    ParavirtExecution Execution = ParavirtExecution.Interpreter,
    Translator.Machine.Devices.PcDeviceOptions? Devices = null);

/// <summary>
/// Parses the command line of DESIGN.md by hand: the contract (exit code 2 and one line on stderr for any bad
/// option) is simpler to keep exact than to configure out of a general-purpose parser.
/// </summary>
internal static class CommandLine
{
    public static readonly string[] Backends = ["native", "hw", "bt", "pv", "trap"];

    public const string Usage =
        "usage: translator run IMAGE|SAMPLE --backend native|hw|bt|pv|trap [--stats FILE.json] [--max-instructions N] [--memory MIB]"
        + " [--paging ept|shadow] [--execution interpreter|translated] [--cost NAME=CYCLES]... [--device isa-debugcon|pc-testdev]... | translator compare IMAGE|SAMPLE | translator image SAMPLE|PROJECT [--pv] --out FILE"
        + " | translator translate IMAGE|SAMPLE --out DIR [--compile]";

    /// <summary>Parses <c>translator image SAMPLE|PROJECT [--pv] --out FILE</c> (<c>--pv</c>: the kernel's PV build).</summary>
    public static (string Source, string Output, bool Paravirtual) ParseImage(IReadOnlyList<string> args)
        => ParseSourceAndOutput(args, "SAMPLE or PROJECT", "FILE", flag: "--pv");

    /// <summary>Parses <c>translator translate IMAGE|SAMPLE --out DIR [--compile]</c>.</summary>
    public static (string Source, string Output, bool Compile) ParseTranslate(IReadOnlyList<string> args)
        => ParseSourceAndOutput(args, "IMAGE or SAMPLE", "DIR", flag: "--compile");

    /// <summary>One source (image, sample or project), <c>--out</c> and at most one optional flag: the shape of <c>image</c> and <c>translate</c>.</summary>
    private static (string Source, string Output, bool Flag) ParseSourceAndOutput(IReadOnlyList<string> args, string sourceName, string outputName, string? flag)
    {
        string? source = null, output = null;
        bool flagged = false;
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--out")
            {
                output = Value(args, ref i, "--out");
            }
            else if (flag is not null && args[i] == flag)
            {
                flagged = true;
            }
            else if (args[i].StartsWith('-'))
            {
                throw new UsageException($"unknown option '{args[i]}'");
            }
            else if (source is not null)
            {
                throw new UsageException($"unexpected argument '{args[i]}'");
            }
            else
            {
                source = args[i];
            }
        }

        return (source ?? throw new UsageException($"missing {sourceName}"), output ?? throw new UsageException($"missing --out {outputName}"), flagged);
    }

    public static RunArguments ParseRun(IReadOnlyList<string> args)
    {
        string? image = null, backend = null, stats = null;
        ulong maxInstructions = ulong.MaxValue;
        int memory = 128;
        MemoryVirtualization paging = MemoryVirtualization.NestedPaging;
        string? pagingOption = null;
        string? executionOption = null;
        ParavirtExecution execution = ParavirtExecution.Interpreter;
        CostParameters cost = CostParameters.Default;
        var devices = new Translator.Machine.Devices.PcDeviceOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--backend":
                    backend = Value(args, ref i, arg);
                    break;
                case "--stats":
                    stats = Value(args, ref i, arg);
                    break;
                case "--max-instructions":
                    string budget = Value(args, ref i, arg);
                    if (!ulong.TryParse(budget, NumberStyles.None, CultureInfo.InvariantCulture, out maxInstructions) || maxInstructions == 0)
                    {
                        throw new UsageException($"--max-instructions needs a positive integer, not '{budget}'");
                    }

                    break;
                case "--memory":
                    string mib = Value(args, ref i, arg);
                    if (!int.TryParse(mib, NumberStyles.None, CultureInfo.InvariantCulture, out memory) || memory < 2 || memory > 3072)
                    {
                        throw new UsageException($"--memory needs a size in MiB between 2 and 3072, not '{mib}'");
                    }

                    break;
                case "--paging":
                    pagingOption = Value(args, ref i, arg);
                    paging = Choose(arg, pagingOption, ("ept", MemoryVirtualization.NestedPaging), ("shadow", MemoryVirtualization.ShadowPaging));
                    break;
                case "--execution":
                    executionOption = Value(args, ref i, arg);
                    execution = Choose(arg, executionOption, ("interpreter", ParavirtExecution.Interpreter), ("translated", ParavirtExecution.Translated));
                    break;
                case "--cost":
                    cost = ParseCost(cost, Value(args, ref i, arg));
                    break;
                case "--device":
                    string device = Value(args, ref i, arg);
                    devices = devices.With(device)
                        ?? throw new UsageException($"unknown device '{device}' (available: {string.Join(", ", Translator.Machine.Devices.PcDeviceOptions.Names)})");
                    break;
                default:
                    if (arg.StartsWith('-'))
                    {
                        throw new UsageException($"unknown option '{arg}'");
                    }

                    if (image is not null)
                    {
                        throw new UsageException($"unexpected argument '{arg}' (the image is '{image}')");
                    }

                    image = arg;
                    break;
            }
        }

        if (image is null)
        {
            throw new UsageException("missing IMAGE");
        }

        backend ??= "native";
        if (!Backends.Contains(backend))
        {
            throw new UsageException($"unknown backend '{backend}' (available: {string.Join(", ", Backends)})");
        }

        if (pagingOption is not null && backend != "hw")
        {
            throw new UsageException($"--paging applies to the hw backend only (not '{backend}')");
        }

        if (executionOption is not null && backend != "pv")
        {
            throw new UsageException($"--execution applies to the pv backend only (not '{backend}')");
        }

        return new RunArguments(image, backend, stats, maxInstructions, memory, paging, cost, execution, devices);
    }

    /// <summary><c>--cost NAME=CYCLES</c>: overrides one parameter of the cost model (docs/cost-model.md).</summary>
    private static CostParameters ParseCost(CostParameters cost, string assignment)
    {
        int equals = assignment.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || !ulong.TryParse(assignment.AsSpan(equals + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong cycles))
        {
            throw new UsageException($"--cost needs NAME=CYCLES, not '{assignment}'");
        }

        try
        {
            return cost.With(assignment[..equals], cycles);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message.Split(" (Parameter", 2)[0]);
        }
    }

    /// <summary>The value an option's word names, or a usage error listing the words it takes.</summary>
    private static T Choose<T>(string option, string word, params (string Name, T Value)[] choices)
    {
        foreach ((string name, T value) in choices)
        {
            if (name == word)
            {
                return value;
            }
        }

        throw new UsageException($"{option} needs {string.Join(" or ", choices.Select(c => c.Name))}, not '{word}'");
    }

    private static string Value(IReadOnlyList<string> args, ref int i, string option)
    {
        if (i + 1 >= args.Count)
        {
            throw new UsageException($"option {option} needs a value");
        }

        return args[++i];
    }
}
