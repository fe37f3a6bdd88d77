using System.Text;
using Translator.Machine.Devices;
using Translator.Machine.Execution;
using Translator.Machine.Memory;
using Translator.Machine.Snapshots;
using Xunit;

namespace Translator.Machine.Tests.Devices;

/// <summary>fw_cfg's selected item through a snapshot: restored on a board whose selection is another item of the same length.</summary>
public sealed class FwCfgSnapshotTests
{
    private const uint RamBytes = 2 << 20;

    /// <summary>
    /// The restoring board has the signature selected, and the interface ID is 4 bytes too: the restore used to write
    /// the saved selection into the selected array, which is the board's signature item, so "QEMU" read back as the ID.
    /// </summary>
    [Fact]
    public void ASnapshotTakenWithAnotherItemSelectedLeavesTheItemsIntact()
    {
        (PcBoard board, VirtualClock clock, PhysicalMemory memory) = NewBoard();
        board.FwCfg.Write(FwCfg.SelectorPort, 2, FwCfg.Id);
        MachineState state = MachineState.Capture(new CpuState(), memory, RamBytes, board, clock, new HaltedCpu(board.Pic, board.Pit, clock));

        (PcBoard restored, VirtualClock restoredClock, PhysicalMemory restoredMemory) = NewBoard();
        state.RestoreInto(restoredMemory, RamBytes, restored, restoredClock, new HaltedCpu(restored.Pic, restored.Pit, restoredClock));

        Assert.Equal(1u, restored.FwCfg.Read(FwCfg.DataPort, 4)); // the selection resumes: the ID
        restored.FwCfg.Write(FwCfg.SelectorPort, 2, FwCfg.Signature);
        Assert.Equal("QEMU", Encoding.ASCII.GetString(BitConverter.GetBytes(restored.FwCfg.Read(FwCfg.DataPort, 4))));
    }

    private static (PcBoard Board, VirtualClock Clock, PhysicalMemory Memory) NewBoard()
    {
        var clock = new VirtualClock();
        var board = new PcBoard(clock, RamBytes, _ => { }, _ => { }, new PcDeviceOptions { RtcBase = DateTimeOffset.UnixEpoch });
        return (board, clock, new PhysicalMemory((int)(RamBytes >> 20)));
    }
}
