using System.Text;
using Translator.Machine.Snapshots;
using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// The CMOS RTC and NVRAM (docs/devices.md, "CMOS RTC and NVRAM"): tests/guests/asm/rtc.asm, run with the clock's
/// start fixed, prints what QEMU TCG prints for it (rtc.expected.txt, taken with <c>-rtc base=...,clock=vm</c> and
/// <c>-icount shift=0,sleep=off</c>, whose virtual nanosecond per instruction is this machine's) on every backend
/// that runs the nasm guests (trap cannot, <see cref="TrapDivergenceTests"/>).
/// </summary>
public sealed class RtcTests
{
    public static readonly DateTimeOffset Base = new(2026, 12, 7, 12, 34, 56, TimeSpan.Zero);

    private static string Expected => File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", "rtc.expected.txt"));

    private static VmOptions Options(string configuration, List<byte> console)
    {
        VmOptions options = BackendConfigurations.Options(configuration, console.Add, 400_000_000);
        return options with { Devices = options.Devices with { RtcBase = Base } };
    }

    [Theory]
    [InlineData("native")]
    [InlineData("hw-ept")]
    [InlineData("hw-shadow")]
    [InlineData("bt")]
    public void RtcGuestPrintsQemusTranscript(string configuration)
    {
        var console = new List<byte>();
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("rtc.bin")), Options(configuration, console)).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
        Assert.Equal(Expected, text);

        // IRQ 8 is counted like every line, and the guest's port accesses reach the RTC as the PIT's do: I/O exits
        // under hw, trapped IN/OUT (callouts) under bt.
        Assert.True(run.Statistics.Events.GetValueOrDefault("irq.8") > 100, $"{configuration}: irq.8 = {run.Statistics.Events.GetValueOrDefault("irq.8")}");
        string portEvent = configuration switch
        {
            "hw-ept" or "hw-shadow" => "exit.IO_INSTRUCTION",
            "bt" => "callout.in",
            _ => "io.accesses",
        };
        Assert.True(run.Statistics.Events.GetValueOrDefault(portEvent) > 10_000, $"{configuration}: {portEvent} = {run.Statistics.Events.GetValueOrDefault(portEvent)}");
    }

    /// <summary>Runs rtc.bin under <paramref name="configuration"/> until its NVRAM dump is out, before it writes any RTC register.</summary>
    private static (VirtualMachine Vm, List<byte> Console) RunPastTheNvramDump(string configuration)
    {
        var console = new List<byte>();
        VirtualMachine vm = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("rtc.bin")), Options(configuration, console));
        ulong retired = 0;
        while (true)
        {
            string text = Encoding.ASCII.GetString(console.ToArray());
            int last = text.IndexOf("nvram 70:", StringComparison.Ordinal);
            if (last >= 0 && text.IndexOf('\n', last) >= 0)
            {
                break;
            }

            retired += last >= 0 ? 10UL : 2_000UL; // close to the end of the line, small steps: stop before the next write
            Assert.True(retired < 5_000_000, "rtc.bin never finished its NVRAM dump");
            vm.Run(retired);
        }

        Assert.EndsWith("nvram 70: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n", Encoding.ASCII.GetString(console.ToArray()), StringComparison.Ordinal);
        return (vm, console);
    }

    /// <summary>A snapshot resumed under another technique goes on with the RTC's registers, NVRAM and phase.</summary>
    [Theory]
    [InlineData("native", "hw-ept")]
    [InlineData("hw-shadow", "bt")]
    public void ASnapshotResumesWithTheRtcsState(string from, string to)
    {
        (VirtualMachine vm, List<byte> first) = RunPastTheNvramDump(from);
        VmSnapshot snapshot = VmSnapshot.Read(vm.TakeSnapshot().ToBytes());
        var rest = new List<byte>();
        VmOptions options = Options(to, rest) with { Devices = new() { RtcBase = Base.AddYears(3) } }; // the saved clock wins
        Assert.Equal(1, VirtualMachine.Resume(snapshot, options).Run().ExitCode);
        Assert.Equal(Expected, Encoding.ASCII.GetString([.. first, .. rest]));
    }

    /// <summary>
    /// Format 3 had no RTC: such a snapshot (made here by cutting the RTC from a format-4 one) still loads, and its RTC
    /// starts from the resuming run's base, as if reset at virtual time 0.
    /// </summary>
    [Fact]
    public void AFormat3SnapshotLoadsWithTheRtcFromTheResumingBase()
    {
        (VirtualMachine vm, List<byte> first) = RunPastTheNvramDump("native");
        VmSnapshot current = vm.TakeSnapshot();
        byte[] devices = current.Machine.Devices;
        byte[] rtcEntry = [3, (byte)'r', (byte)'t', (byte)'c', 16];
        int cut = devices.AsSpan().LastIndexOf(rtcEntry);
        Assert.True(cut > 0, "the RTC is the snapshot's last device");
        MachineState machine = current.Machine;
        var older = new VmSnapshot
        {
            Backend = current.Backend, Paging = current.Paging, Image = current.Image, MemoryMiB = current.MemoryMiB,
            Machine = new MachineState
            {
                Cpu = machine.Cpu, Now = machine.Now, FruitlessWakeups = machine.FruitlessWakeups, RamBytes = machine.RamBytes,
                Pages = machine.Pages, PageData = machine.PageData, Devices = devices[..cut],
            },
        };
        byte[] bytes = AsFormat3(older);

        foreach ((DateTimeOffset start, bool same) in new[] { (Base, true), (Base.AddDays(1), false) })
        {
            var rest = new List<byte>();
            VmOptions options = Options("hw-ept", rest) with { Devices = new() { RtcBase = start } };
            VmRunResult run = VirtualMachine.Resume(VmSnapshot.Read(bytes), options).Run();
            string text = Encoding.ASCII.GetString([.. first, .. rest]);
            Assert.True(run.ExitCode == 1, $"{start}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
            Assert.Equal(same, text == Expected);
            Assert.Contains(same ? "base: 2026-12-07 12:34" : "base: 2026-12-08 12:34", text, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The same snapshot as format 3 wrote it: the configuration without the feature set, the CPU state without
    /// XMM0-XMM7 and MXCSR, no FPU section (the RTC is already cut from the devices by the caller).
    /// </summary>
    private static byte[] AsFormat3(VmSnapshot snapshot)
    {
        const uint configuration = 0x464E_4F43, machine = 0x4843_414D, fpu = 0x2055_5046, end = 0x2044_4E45;
        const int simdBytes = 8 * 16 + 4;
        var cpu = new MemoryStream();
        using (var w = new BinaryWriter(cpu, Encoding.UTF8, leaveOpen: true))
        {
            snapshot.Machine.Cpu.Write(w);
        }

        byte[] v4 = snapshot.ToBytes();
        using var reader = new BinaryReader(new MemoryStream(v4, 0, v4.Length - 32), Encoding.UTF8);
        var output = new MemoryStream();
        using (var writer = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(reader.ReadBytes(8)); // magic
            reader.ReadUInt16();
            writer.Write((ushort)3);
            writer.Write(reader.ReadString()); // backend
            writer.Write(reader.ReadString()); // paging
            writer.Write(reader.ReadBytes(32 + 8)); // image hash, retired
            uint tag;
            do
            {
                tag = reader.ReadUInt32();
                byte[] content = reader.ReadBytes((int)reader.ReadInt64());
                content = tag switch
                {
                    configuration => content[..^4], // the feature set
                    machine => [.. content.AsSpan(0, (int)cpu.Length - simdBytes), .. content.AsSpan((int)cpu.Length)],
                    _ => content,
                };
                if (tag != fpu)
                {
                    writer.Write(tag);
                    writer.Write((long)content.Length);
                    writer.Write(content);
                }
            }
            while (tag != end);
        }

        byte[] body = output.ToArray();
        return [.. body, .. System.Security.Cryptography.SHA256.HashData(body)];
    }

    [Fact]
    public void QemuPrintsTheSameTranscript()
    {
        ProcessResult qemu = ProcessRunner.RunQemu(GuestImages.Instance.PathOf("rtc.bin"), TimeSpan.FromSeconds(120), null,
            "-rtc", $"base={Base.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss},clock=vm", "-icount", "shift=0,sleep=off");
        Assert.Equal(1, qemu.ExitCode);
        Assert.Equal(Expected, Encoding.ASCII.GetString(qemu.StandardOutput));
    }
}
