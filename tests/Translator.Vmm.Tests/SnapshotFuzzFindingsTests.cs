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
}
