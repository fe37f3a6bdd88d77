using System.Text.Json;
using Translator.Vmm;

namespace Translator.Cli;

/// <summary>A config that cannot be used: the message names the field at fault (<c>vms[2].weight</c>).</summary>
internal sealed class HostConfigException(string message) : Exception(message);

/// <summary>How the VMs' consoles reach the user.</summary>
internal enum ConsoleMultiplexing
{
    /// <summary>Each complete line on stdout as <c>[name] line</c>, VMs in a fixed order per round.</summary>
    Prefix,

    /// <summary>Each VM's exact COM1 bytes in its own file, <c>DIRECTORY/NAME.console</c>.</summary>
    Files,
}

/// <summary>One VM of the config, before its image is loaded.</summary>
internal sealed record HostedVmEntry(
    int Index, string Name, string Image, string? Kernel, BackendKind Backend, int MemoryMiB, int Weight, int CapPercent,
    ulong MaxInstructions, MemoryVirtualization Paging, ExecutionTier Execution, TranslationSource Translation, int? ExpectedExitCode);

/// <summary>
/// <c>translator host CONFIG.json</c>'s config (docs/host.md): the host's CPUs, period, time limit and console
/// multiplexing, and the list of VMs. Every field is checked; an unknown one is an error too (a typo must not be
/// silently ignored), and every message names the field.
/// </summary>
internal sealed record HostConfig(
    int Cpus, int? Threads, ulong PeriodInstructions, ulong RunFor, ConsoleMultiplexing Console, string ConsoleDirectory,
    IReadOnlyList<HostedVmEntry> Vms)
{
    public const int MaxVms = 1024;

    private static readonly string[] s_hostFields = ["cpus", "threads", "periodInstructions", "runFor", "console", "consoleDirectory", "vms"];

    private static readonly string[] s_vmFields =
        ["name", "image", "kernel", "backend", "memory", "weight", "cap", "maxInstructions", "paging", "execution", "translation", "expectExitCode"];

    /// <summary>Parses the config's text; <paramref name="baseDirectory"/> is where relative paths start.</summary>
    public static HostConfig Parse(string json, string baseDirectory)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new HostConfigException($"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message.Split(" LineNumber:", 2)[0]}");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new HostConfigException("the config must be a JSON object with a \"vms\" list");
            }

            RejectUnknown(root, s_hostFields, "");
            ConsoleMultiplexing console = Choice(root, "console", "", ConsoleMultiplexing.Prefix, ("prefix", ConsoleMultiplexing.Prefix), ("files", ConsoleMultiplexing.Files));
            string consoleDirectory = Path.GetFullPath(Text(root, "consoleDirectory", "") ?? "consoles", baseDirectory);
            if (root.TryGetProperty("consoleDirectory", out _) && console != ConsoleMultiplexing.Files)
            {
                throw new HostConfigException("consoleDirectory applies only with \"console\": \"files\"");
            }

            if (!root.TryGetProperty("vms", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new HostConfigException("vms: missing, or not a list of VMs");
            }

            if (list.GetArrayLength() is 0 or > MaxVms)
            {
                throw new HostConfigException($"vms: needs 1 to {MaxVms} VMs (has {list.GetArrayLength()})");
            }

            var vms = new List<HostedVmEntry>();
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (JsonElement vm in list.EnumerateArray())
            {
                HostedVmEntry entry = ParseVm(vm, vms.Count, baseDirectory);
                if (!names.Add(entry.Name))
                {
                    throw new HostConfigException($"vms[{entry.Index}].name: '{entry.Name}' is already the name of another VM");
                }

                vms.Add(entry);
            }

            return new HostConfig(
                Cpus: (int)Number(root, "cpus", "", 1, 1, 1024),
                Threads: root.TryGetProperty("threads", out _) ? (int)Number(root, "threads", "", 1, 1, 1024) : null,
                PeriodInstructions: Number(root, "periodInstructions", "", 1_000_000, 1_000, 1_000_000_000_000),
                RunFor: Number(root, "runFor", "", ulong.MaxValue, 1, ulong.MaxValue),
                Console: console,
                ConsoleDirectory: consoleDirectory,
                Vms: vms);
        }
    }

    private static HostedVmEntry ParseVm(JsonElement vm, int index, string baseDirectory)
    {
        string at = $"vms[{index}].";
        if (vm.ValueKind != JsonValueKind.Object)
        {
            throw new HostConfigException($"vms[{index}]: a VM must be a JSON object");
        }

        RejectUnknown(vm, s_vmFields, at);
        string name = Text(vm, "name", at) ?? $"vm{index}";
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || name[0] == '.')
        {
            throw new HostConfigException($"{at}name: '{name}' must be 1 to 64 letters, digits, '-', '_' or '.' (it names the VM's files)");
        }

        string image = Text(vm, "image", at) ?? throw new HostConfigException($"{at}image: missing (an image file, a sample's name or a guest project)");
        string resolved = Path.Combine(baseDirectory, image);
        BackendKind backend = Choice(vm, "backend", at, BackendKind.Native,
            RunCommand.Backends.Select(b => (b, VmOptions.Parse(b)!.Value)).ToArray());
        if (vm.TryGetProperty("paging", out _) && backend != BackendKind.HardwareAssisted)
        {
            throw new HostConfigException($"{at}paging: applies to the hw backend only (not '{VmOptions.NameOf(backend)}')");
        }

        if (vm.TryGetProperty("execution", out _) && backend == BackendKind.BinaryTranslation)
        {
            throw new HostConfigException($"{at}execution: applies to the pv, native, hw and trap backends only (not 'bt', whose is \"translation\")");
        }

        if (vm.TryGetProperty("translation", out _) && backend != BackendKind.BinaryTranslation)
        {
            throw new HostConfigException($"{at}translation: applies to the bt backend only (not '{VmOptions.NameOf(backend)}')");
        }

        return new HostedVmEntry(
            index, name, File.Exists(resolved) || Directory.Exists(resolved) ? resolved : image, Text(vm, "kernel", at), backend,
            MemoryMiB: (int)Number(vm, "memory", at, 128, 2, Translator.Machine.Memory.PhysicalMemory.MaxMiB),
            Weight: (int)Number(vm, "weight", at, 256, 1, 65535),
            CapPercent: (int)Number(vm, "cap", at, 0, 0, 100),
            MaxInstructions: Number(vm, "maxInstructions", at, ulong.MaxValue, 1, ulong.MaxValue),
            Paging: Choice(vm, "paging", at, MemoryVirtualization.NestedPaging, ("ept", MemoryVirtualization.NestedPaging), ("shadow", MemoryVirtualization.ShadowPaging)),
            Execution: Choice(vm, "execution", at, ExecutionTier.Tiered,
                ("tiered", ExecutionTier.Tiered), ("interpreter", ExecutionTier.Interpreter), ("translated", ExecutionTier.Translated)),
            Translation: Choice(vm, "translation", at, TranslationSource.Cached, ("cached", TranslationSource.Cached), ("interpreter", TranslationSource.InterpreterOnly)),
            ExpectedExitCode: vm.TryGetProperty("expectExitCode", out _) ? (int)Number(vm, "expectExitCode", at, 0, 0, 255) : null);
    }

    private static void RejectUnknown(JsonElement element, string[] known, string at)
    {
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                throw new HostConfigException($"{at}{property.Name}: unknown field{Spelling.Suggest(property.Name, known)} (known: {string.Join(", ", known)})");
            }
        }
    }

    private static string? Text(JsonElement element, string field, string at)
    {
        if (!element.TryGetProperty(field, out JsonElement value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new HostConfigException($"{at}{field}: must be a non-empty string (got {Shown(value)})");
    }

    private static ulong Number(JsonElement element, string field, string at, ulong fallback, ulong min, ulong max)
    {
        if (!element.TryGetProperty(field, out JsonElement value))
        {
            return fallback;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetUInt64(out ulong number) || number < min || number > max)
        {
            throw new HostConfigException($"{at}{field}: must be a whole number from {min} to {max} (got {Shown(value)})");
        }

        return number;
    }

    private static T Choice<T>(JsonElement element, string field, string at, T fallback, params (string Name, T Value)[] choices)
    {
        if (!element.TryGetProperty(field, out JsonElement value))
        {
            return fallback;
        }

        foreach ((string name, T choice) in choices)
        {
            if (value.ValueKind == JsonValueKind.String && value.GetString() == name)
            {
                return choice;
            }
        }

        throw new HostConfigException($"{at}{field}: must be one of {string.Join(", ", choices.Select(c => c.Name))} (got {Shown(value)})");
    }

    private static string Shown(JsonElement value)
    {
        string raw = value.GetRawText();
        return raw.Length > 40 ? raw[..40] + "…" : raw;
    }
}
