using Translator.Machine.Snapshots;

namespace Translator.Vmm.Backends;

/// <summary>
/// A backend whose guest can be saved and restored (docs/snapshots.md): it translates between its processor, which
/// holds the VMM's view where it virtualizes something (ring compression, a shadow CR3), and the guest's state as
/// bare metal would hold it. What is the VMM's own (shadow page tables, EPT, decoded and translated code) is never
/// saved: a restored backend rebuilds it, as it builds it at boot.
/// </summary>
public interface ISnapshotBackend
{
    /// <summary>The guest's whole machine at the boundary where the last <see cref="IExecutionBackend.Run(ulong)"/> stopped.</summary>
    MachineState Capture();

    /// <summary>
    /// Instead of <see cref="IExecutionBackend.Load"/>: the guest continues from <paramref name="state"/>. Throws
    /// <see cref="SnapshotException"/> when this technique cannot represent the state.
    /// </summary>
    void Restore(MachineState state);
}
