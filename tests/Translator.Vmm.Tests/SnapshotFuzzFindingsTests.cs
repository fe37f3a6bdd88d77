using System.Security.Cryptography;
using Translator.Machine.Snapshots;
using Translator.Tests.Shared;
using Xunit;

namespace Translator.Vmm.Tests;

/// <summary>
/// Snapshot files AFL++ found crashing the reader and the restore (scripts/fuzz.sh --afl snapshot; the harness re-seals
/// the checksum, so a file with a valid SHA-256 and garbled sections is what a buggy or hostile writer produces). Each
/// must end in <see cref="SnapshotException"/>, the refusal `translator resume` prints with exit code 2.
/// </summary>
public sealed class SnapshotFuzzFindingsTests
{
    /// <summary>A backend name whose length prefix never ends (five bytes with the continuation bit): was a FormatException.</summary>
    [Fact]
    public void AnOverlongStringLengthIsRefused()
    {
        byte[] body = [.. "TRNSNAP\x1A"u8, .. BitConverter.GetBytes(VmSnapshot.FormatVersion), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        byte[] file = [.. body, .. SHA256.HashData(body)];
        Assert.Throws<SnapshotException>(() => VmSnapshot.Read(file));
    }

    /// <summary>An intact file whose device section is cut short: was an EndOfStreamException out of the restore.</summary>
    [Fact]
    public void ACutDeviceSectionIsRefused()
    {
        byte[] image = File.ReadAllBytes(Path.Combine(RepositoryRoot.Path, "tests/guests/build/io_heavy.bin"));
        var options = new VmOptions { Backend = BackendKind.TrapAndEmulate, MemoryMiB = 2, Translation = TranslationSource.InterpreterOnly };
        VirtualMachine machine = VirtualMachine.Create(image, options);
        machine.Run(300);
        VmSnapshot snapshot = machine.TakeSnapshot();
        MachineState state = snapshot.Machine;
        var cut = new MachineState
        {
            Cpu = state.Cpu, Now = state.Now, FruitlessWakeups = state.FruitlessWakeups, RamBytes = state.RamBytes,
            Pages = state.Pages, PageData = state.PageData, Devices = state.Devices[..(state.Devices.Length / 2)],
        };
        VmSnapshot damaged = VmSnapshot.Read(new VmSnapshot
        {
            Backend = snapshot.Backend, Image = snapshot.Image, MemoryMiB = snapshot.MemoryMiB, Machine = cut,
        }.ToBytes());
        Assert.Throws<SnapshotException>(() => VirtualMachine.Resume(damaged, options));
    }

    /// <summary>
    /// A header claiming 4096 MiB more than the machine state holds (AFL++, 2026-12-07: 1,703,938 MiB): the check
    /// that the two agree compared them in 32 bits, where the size wrapped to the state's own, and the hw backend then
    /// threw ArgumentException for the size. Both now refuse it.
    /// </summary>
    [Fact]
    public void AGuestMemorySizeThatWrapsIsRefused()
    {
        byte[] image = File.ReadAllBytes(Path.Combine(RepositoryRoot.Path, "tests/guests/build/io_heavy.bin"));
        var options = new VmOptions { Backend = BackendKind.HardwareAssisted, MemoryMiB = 2, Translation = TranslationSource.InterpreterOnly };
        VirtualMachine machine = VirtualMachine.Create(image, options);
        machine.Run(300);
        VmSnapshot snapshot = machine.TakeSnapshot();
        byte[] wrapped = new VmSnapshot
        {
            Backend = snapshot.Backend, Paging = snapshot.Paging, Image = snapshot.Image, MemoryMiB = snapshot.MemoryMiB + 4096, Machine = snapshot.Machine,
        }.ToBytes();
        Assert.Throws<SnapshotException>(() => VmSnapshot.Read(wrapped));

        // A size this machine has but hw cannot give a guest (it keeps 5 MiB for its VMM): the snapshot is refused.
        VmSnapshot tooLarge = new()
        {
            Backend = snapshot.Backend, Paging = snapshot.Paging, Image = snapshot.Image, MemoryMiB = 3070, Machine = snapshot.Machine,
        };
        Assert.Throws<SnapshotException>(() => VirtualMachine.Resume(tooLarge, options));
    }

    /// <summary>
    /// AFL++, 2026-12-07 (pit-divide-by-zero.bin): a PIT channel restored with count 0, where the device keeps 1-65536.
    /// The restore wrote it field by field and the resumed run died with a DivideByZeroException in the channel's
    /// OutAt; the restore now asks each device to check its invariants and refuses the snapshot.
    /// </summary>
    [Fact]
    public void APitCountOfZeroIsRefused()
    {
        (VmSnapshot snapshot, VmOptions options) = IoHeavySnapshot();
        byte[] devices = snapshot.Machine.Devices;
        int count = FieldsOf(devices, "pit") + sizeof(int); // channel 0's Count, after the channel array's length
        Assert.InRange(BitConverter.ToInt64(devices, count), 1, 0x10000);

        SnapshotException e = Assert.Throws<SnapshotException>(() => VirtualMachine.Resume(WithDeviceField(snapshot, "pit", 0, sizeof(int), 0), options));
        Assert.Contains("the pit device's restored state is invalid: channel 0 Count is 0", e.Message);
    }

    /// <summary>
    /// One value out of each other range a device checks after its restore. A case names the device, the scalar
    /// arrays its section starts with (an int32 length and 8 bytes an element each), the byte offset of the field
    /// after them (every field is 8 bytes; the PIT's channels follow their int32 count, 96 bytes each), the hostile
    /// value, and the words the refusal must hold.
    /// </summary>
    [Theory]
    [InlineData("pic", 0, 2 * 8, 8UL, "the master's _priorityAdd is 8")]
    [InlineData("pic", 0, (17 + 6) * 8, 4UL, "the slave's _initState is 4")]
    [InlineData("pic", 0, 17 * 8, 1UL, "the slave's master flag is True")]
    [InlineData("pit", 0, 4 + (2 * 96), 0x10001UL, "channel 2 Count is 65537")]
    [InlineData("pit", 0, 4 + (10 * 8), 8UL, "channel 0 Mode is 8")]
    [InlineData("pit", 0, 4 + 96 + (11 * 8), 2UL, "channel 1 Bcd is 2")]
    [InlineData("pit", 0, 4 + (9 * 8), 4UL, "channel 0 RwMode is 4")]
    [InlineData("pit", 0, 4 + (3 * 8), 4UL, "channel 0 CountLatched is 4")]
    [InlineData("pit", 0, 4 + (6 * 8), 5UL, "channel 0 ReadState is 5")]
    [InlineData("pit", 0, 4 + (7 * 8), 5UL, "channel 0 WriteState is 5")]
    [InlineData("uart", 1, 0, 16UL, "_receiveHead is 16")]
    [InlineData("uart", 1, 8, ulong.MaxValue, "_receiveCount is -1")]
    [InlineData("lapic", 4, 0, 0xFEE0_0D00UL, "IA32_APIC_BASE is 0xFEE00D00")]
    [InlineData("lapic", 4, 15 * 8, 4UL, "the timer's divide configuration is 0x4")]
    [InlineData("ioapic", 2, 0, 0x100UL, "IOREGSEL is 256")]
    [InlineData("fwcfg", 1, 0, ulong.MaxValue, "the read offset is -1")]
    [InlineData("fwcfg", 1, 8, 0x7FFFUL, "the selected item is 4 bytes 51454D55")]
    [InlineData("rtc", 1, 0, 0x80UL, "the index is 128")]
    [InlineData("rtc", 1, 8 * 8, 3UL, "the periodic interrupt's period is 3")]
    public void ADeviceStateItsDeviceCannotReachIsRefused(string device, int scalarArrays, int offset, ulong value, string refusal)
    {
        (VmSnapshot snapshot, VmOptions options) = IoHeavySnapshot();
        VirtualMachine.Resume(VmSnapshot.Read(snapshot.ToBytes()), options).Run(snapshot.Retired + 300); // intact, it resumes and runs

        SnapshotException e = Assert.Throws<SnapshotException>(() => VirtualMachine.Resume(WithDeviceField(snapshot, device, scalarArrays, offset, value), options));
        Assert.Contains($"the {device} device's restored state is invalid: {refusal}", e.Message);
    }

    /// <summary>A halted CPU counts its fruitless wakeups up to a limit: a negative count would idle for two billion timer events.</summary>
    [Fact]
    public void ANegativeWakeupCountIsRefused()
    {
        (VmSnapshot snapshot, _) = IoHeavySnapshot();
        MachineState state = snapshot.Machine;
        var hostile = new MachineState
        {
            Cpu = state.Cpu, Now = state.Now, FruitlessWakeups = -1, RamBytes = state.RamBytes, Pages = state.Pages, PageData = state.PageData, Devices = state.Devices,
        };
        SnapshotException e = Assert.Throws<SnapshotException>(() => VmSnapshot.Read(Resealed(snapshot, hostile).ToBytes()));
        Assert.Contains("-1 fruitless wakeups", e.Message);
    }

    /// <summary>
    /// A virtual time near 2^64 ns (AFL++, 2026-12-07: the fork server lost to a resume that never returned): the RTC's
    /// catch-up of its update cycles added a second to a time past 2^64 - 10^9 and wrapped, so it never caught up.
    /// </summary>
    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(MachineState.MaxVirtualTime + 1)]
    public void AVirtualTimeNearTwoToTheSixtyFourIsRefused(ulong now)
    {
        (VmSnapshot snapshot, _) = IoHeavySnapshot();
        MachineState state = snapshot.Machine;
        var hostile = new MachineState
        {
            Cpu = state.Cpu, Now = now, FruitlessWakeups = state.FruitlessWakeups, RamBytes = state.RamBytes, Pages = state.Pages, PageData = state.PageData, Devices = state.Devices,
        };
        SnapshotException e = Assert.Throws<SnapshotException>(() => VmSnapshot.Read(Resealed(snapshot, hostile).ToBytes()));
        Assert.Contains($"virtual time {now} ns", e.Message);
    }

    private static (VmSnapshot Snapshot, VmOptions Options) IoHeavySnapshot()
    {
        byte[] image = File.ReadAllBytes(Path.Combine(RepositoryRoot.Path, "tests/guests/build/io_heavy.bin"));
        var options = new VmOptions { Backend = BackendKind.TrapAndEmulate, MemoryMiB = 2, Translation = TranslationSource.InterpreterOnly };
        VirtualMachine machine = VirtualMachine.Create(image, options);
        machine.Run(300);
        return (machine.TakeSnapshot(), options);
    }

    /// <summary>
    /// The offset of <paramref name="device"/>'s first field in a machine's device section: past its name and its
    /// layout fingerprint, two strings with a one-byte length (the name, then 16 hex digits).
    /// </summary>
    private static int FieldsOf(byte[] devices, string device)
    {
        byte[] name = [(byte)device.Length, .. System.Text.Encoding.ASCII.GetBytes(device), 16];
        for (int at = devices.AsSpan().IndexOf(name); at >= 0; at = NextMatch(devices, name, at))
        {
            int fingerprint = at + name.Length;
            if (fingerprint + 16 <= devices.Length && devices.AsSpan(fingerprint, 16).IndexOfAnyExcept("0123456789ABCDEF"u8) < 0)
            {
                return fingerprint + 16;
            }
        }

        throw new InvalidOperationException($"no {device} device in the snapshot");
    }

    private static int NextMatch(byte[] devices, byte[] name, int after)
    {
        int next = devices.AsSpan(after + 1).IndexOf(name);
        return next < 0 ? -1 : after + 1 + next;
    }

    /// <summary>
    /// <paramref name="snapshot"/> with the 8-byte field <paramref name="offset"/> bytes past <paramref name="device"/>'s
    /// first <paramref name="scalarArrays"/> arrays set to <paramref name="value"/>, sealed again as its writer would.
    /// </summary>
    private static VmSnapshot WithDeviceField(VmSnapshot snapshot, string device, int scalarArrays, int offset, ulong value)
    {
        MachineState state = snapshot.Machine;
        byte[] devices = [.. state.Devices];
        int at = FieldsOf(devices, device);
        for (int i = 0; i < scalarArrays; i++)
        {
            at += sizeof(int) + (BitConverter.ToInt32(devices, at) * sizeof(ulong));
        }

        BitConverter.TryWriteBytes(devices.AsSpan(at + offset, sizeof(ulong)), value);
        var hostile = new MachineState
        {
            Cpu = state.Cpu, Now = state.Now, FruitlessWakeups = state.FruitlessWakeups, RamBytes = state.RamBytes, Pages = state.Pages, PageData = state.PageData, Devices = devices,
        };
        return VmSnapshot.Read(Resealed(snapshot, hostile).ToBytes());
    }

    private static VmSnapshot Resealed(VmSnapshot snapshot, MachineState machine) => new()
    {
        Backend = snapshot.Backend, Paging = snapshot.Paging, Image = snapshot.Image, MemoryMiB = snapshot.MemoryMiB, CpuFeatures = snapshot.CpuFeatures,
        DebugConsole = snapshot.DebugConsole, TestDevice = snapshot.TestDevice, Machine = machine,
    };
}
