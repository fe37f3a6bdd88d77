using System.Text.Json;
using Iced.Intel;
using Translator.Tests.Shared;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Cli.Tests;

/// <summary>
/// <c>translator host</c>: a bad config is exit 2 with a message naming the field; a fleet of mixed backends run twice
/// gives the same consoles and counts; the exit code counts the VMs that ended badly.
/// </summary>
public sealed class HostCommandTests
{
    /// <summary>Prints "ok\n" a few times while counting, then exits with value 0 (code 1).</summary>
    private static readonly byte[] s_worker = MultibootImage.Build(a =>
    {
        Label top = a.CreateLabel();
        Label quiet = a.CreateLabel();
        a.xor(ecx, ecx);
        a.Label(ref top);
        a.inc(ecx);
        a.test(ecx, 0x3FFF);
        a.jnz(quiet);
        MultibootImage.EmitPrint(a, "ok\n");
        a.Label(ref quiet);
        a.cmp(ecx, 60_000);
        a.jne(top);
        MultibootImage.EmitExit(a, 0);
    });

    private static readonly byte[] s_crasher = MultibootImage.Build(a => a.ud2());

    public static TheoryData<string, string> MalformedConfigs => new()
    {
        { "{\"vms\": [", "not valid JSON" },
        { "[]", "must be a JSON object" },
        { "{}", "vms: missing" },
        { "{\"vms\": []}", "vms: needs 1" },
        { "{\"vms\": [{\"backend\": \"hw\"}]}", "vms[0].image: missing" },
        { "{\"vms\": [{\"image\": \"IMAGE\", \"wieght\": 3}]}", "vms[0].wieght: unknown field (did you mean 'weight'?)" },
        { "{\"vms\": [{\"image\": \"IMAGE\", \"weight\": \"x\"}]}", "vms[0].weight: must be a whole number" },
        { "{\"vms\": [{\"image\": \"IMAGE\", \"weight\": 0}]}", "vms[0].weight: must be a whole number from 1" },
        { "{\"vms\": [{\"image\": \"IMAGE\", \"cap\": 101}]}", "vms[0].cap:" },
        { "{\"vms\": [{\"image\": \"IMAGE\", \"backend\": \"vmx\"}]}", "vms[0].backend: must be one of" },
        { "{\"vms\": [{\"image\": \"IMAGE\", \"paging\": \"shadow\"}]}", "vms[0].paging: applies to the hw backend only" },
        { "{\"vms\": [{\"image\": \"IMAGE\", \"name\": \"a/b\"}]}", "vms[0].name:" },
        { "{\"vms\": [{\"image\": \"IMAGE\", \"name\": \"a\"}, {\"image\": \"IMAGE\", \"name\": \"a\"}]}", "vms[1].name: 'a' is already" },
        { "{\"vms\": [{\"image\": \"no-such-image.bin\"}]}", "vms[0].image:" },
        { "{\"vms\": [{\"image\": \"IMAGE\", \"backend\": \"pv\"}]}", "vms[0].image: cannot run on pv" },
        { "{\"cpus\": 0, \"vms\": [{\"image\": \"IMAGE\"}]}", "cpus: must be a whole number" },
        { "{\"console\": \"tty\", \"vms\": [{\"image\": \"IMAGE\"}]}", "console: must be one of prefix, files" },
    };

    [Theory]
    [MemberData(nameof(MalformedConfigs))]
    public void AMalformedConfigIsExitTwoNamingTheField(string config, string message)
    {
        string image = TranslatorProcess.WriteTemp(s_worker);
        string path = TranslatorProcess.WriteTemp(System.Text.Encoding.UTF8.GetBytes(config.Replace("IMAGE", Path.GetFileName(image), StringComparison.Ordinal)), ".json");
        TranslatorProcess.Result run = TranslatorProcess.Run("host", path);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
    }

    [Fact]
    public void AFleetRunTwiceGivesTheSameConsolesAndCountsAndItsExitCodeCountsTheBadEndings()
    {
        string worker = TranslatorProcess.WriteTemp(s_worker), crasher = TranslatorProcess.WriteTemp(s_crasher);
        string[] backends = ["native", "hw", "bt", "trap"];
        var vms = new List<object>();
        for (int i = 0; i < 8; i++)
        {
            object vm = backends[i % 4] == "bt"
                ? new { name = $"w{i}", image = worker, backend = "bt", translation = "interpreter", memory = 4, weight = 128 << (i % 2) }
                : new { name = $"w{i}", image = worker, backend = backends[i % 4], memory = 4, weight = 128 << (i % 2) };
            vms.Add(vm);
        }

        vms.Add(new { name = "crash", image = crasher, backend = "hw", memory = 4 });
        string config = TranslatorProcess.WriteTemp(JsonSerializer.SerializeToUtf8Bytes(new { cpus = 2, periodInstructions = 10_000, vms }), ".json");

        (TranslatorProcess.Result first, string firstStats) = RunHost(config);
        (TranslatorProcess.Result second, string secondStats) = RunHost(config);

        Assert.Equal(101, first.ExitCode); // one VM (the crasher) ended badly
        Assert.Equal(first.Stdout, second.Stdout);
        Assert.Contains("[w0] ok\n", first.StdoutText, StringComparison.Ordinal);
        foreach (string name in Enumerable.Range(0, 8).Select(i => $"w{i}").Append("crash"))
        {
            JsonElement a = JsonDocument.Parse(File.ReadAllText(Path.Combine(firstStats, name + ".json"))).RootElement;
            JsonElement b = JsonDocument.Parse(File.ReadAllText(Path.Combine(secondStats, name + ".json"))).RootElement;
            Assert.Equal(a.GetProperty("guestInstructions").GetUInt64(), b.GetProperty("guestInstructions").GetUInt64());
            Assert.Equal(a.GetProperty("host").GetProperty("owed").GetUInt64(), b.GetProperty("host").GetProperty("owed").GetUInt64());
            Assert.Equal(name == "crash" ? 4 : 1, a.GetProperty("exitCode").GetInt32());
        }

        Assert.True(File.Exists(Path.Combine(firstStats, "host.json")));
    }

    private static (TranslatorProcess.Result Run, string Stats) RunHost(string config)
    {
        string stats = Path.Combine(Path.GetTempPath(), $"translator-host-{Guid.NewGuid():N}");
        return (TranslatorProcess.Run("host", config, "--stats", stats), stats);
    }
}
