using Translator.Paravirt;
using Xunit;

namespace Translator.Hypercalls.Generator.Tests;

/// <summary>The generated dispatcher of Translator.Vmm: registers in, validation before the handler, the result out.</summary>
public sealed class DispatcherTests
{
    [Fact]
    public void AnUnknownNumberIsEnosysWithoutAHandler()
    {
        var handlers = new RecordingHandlers();
        Assert.Equal(-38, HypercallDispatcher.Dispatch(handlers, new Registers(), 99));
        Assert.Equal(-38, HypercallDispatcher.Dispatch(handlers, new Registers(), 0xFFFF_FFFF));
        Assert.Null(handlers.Called);
    }

    [Fact]
    public void ArgumentsArriveInRegisterOrder()
    {
        var handlers = new RecordingHandlers();
        int result = HypercallDispatcher.Dispatch(handlers, new Registers(0, 5, 0x1000), 18);
        Assert.Equal(0, result);
        Assert.Equal("console_io 0 5 0x00001000+5", handlers.Called);
        Assert.Equal("console_io", HypercallDispatcher.NameOf(18));
        Assert.True(HypercallDispatcher.IsNoReturn(23));
    }

    [Fact]
    public void AnUnmappedOrWrappingBufferIsEfaultBeforeTheHandler()
    {
        var handlers = new RecordingHandlers();
        Assert.Equal(-14, HypercallDispatcher.Dispatch(handlers, new Registers(0, 16, 0x9000_0000) { Unmapped = true }, 18));
        Assert.Equal(-14, HypercallDispatcher.Dispatch(handlers, new Registers(0, 0x100, 0xFFFF_FFF0), 18));
        Assert.Null(handlers.Called);
    }

    [Fact]
    public void ACountAboveTheTablesMaximumIsEinval()
    {
        var handlers = new RecordingHandlers();
        Assert.Equal(-22, HypercallDispatcher.Dispatch(handlers, new Registers(0x1000, 100_000, 0, 0x7FF0), 1));
        Assert.Null(handlers.Called);
    }

    [Fact]
    public void SelectorsAreFixedUpOrRefused()
    {
        var handlers = new RecordingHandlers();
        Assert.Equal(0, HypercallDispatcher.Dispatch(handlers, new Registers(0x10, 0x8000), 3));
        Assert.Equal("stack_switch 0x11 0x8000", handlers.Called);
        handlers.Called = null;
        Assert.Equal(-22, HypercallDispatcher.Dispatch(handlers, new Registers(0x12, 0x8000), 3)); // RPL 2
        Assert.Equal(-22, HypercallDispatcher.Dispatch(handlers, new Registers(0x0, 0x8000), 3));  // null selector
        Assert.Null(handlers.Called);
    }

    [Fact]
    public void AnOptionalNullPointerIsPassedAsNull()
    {
        var handlers = new RecordingHandlers();
        Assert.Equal(0, HypercallDispatcher.Dispatch(handlers, new Registers(0, 0) { Unmapped = true }, 17));
        Assert.Equal("xen_version 0 null", handlers.Called);
    }

    private sealed class Registers(params uint[] values) : IHypercallContext
    {
        public bool Unmapped { get; init; }

        public uint Argument(int index) => index < values.Length ? values[index] : 0;

        public bool IsMapped(uint address, uint bytes, bool writable) => !Unmapped;
    }

    private sealed class RecordingHandlers : IHypercalls
    {
        public string? Called { get; set; }

        private int Record(string what)
        {
            Called = what;
            return 0;
        }

        public int SetTrapTable(GuestPointer table) => Record($"set_trap_table {table}");

        public int MmuUpdate(GuestPointer requests, uint count, GuestPointer done, uint domain) => Record($"mmu_update {requests} {count}");

        public int SetGdt(GuestPointer table, uint entries) => Record($"set_gdt {table} {entries}");

        public int StackSwitch(uint stackSegment, uint stackPointer) => Record($"stack_switch 0x{stackSegment:x} 0x{stackPointer:x}");

        public int SetCallbacks(uint eventSelector, uint eventAddress, uint failsafeSelector, uint failsafeAddress) => Record("set_callbacks");

        public int FpuTaskswitch(uint set) => Record("fpu_taskswitch");

        public int Multicall(GuestPointer calls, uint count) => Record("multicall");

        public int UpdateVaMapping(uint linear, uint entry, uint flags) => Record("update_va_mapping");

        public int SetTimerOp(uint timeoutLow, uint timeoutHigh) => Record("set_timer_op");

        public int XenVersion(uint command, GuestPointer buffer) => Record($"xen_version {command} {(buffer.IsNull ? "null" : buffer.ToString())}");

        public int ConsoleIo(uint command, uint count, GuestPointer buffer) => Record($"console_io {command} {count} {buffer}");

        public int Iret() => Record("iret");

        public int VcpuOp(uint command, uint vcpu, GuestPointer argument) => Record("vcpu_op");

        public int MmuextOp(GuestPointer operations, uint count, GuestPointer done, uint domain) => Record("mmuext_op");

        public int SchedOp(uint command, GuestPointer argument) => Record("sched_op");

        public int EventChannelOp(uint command, GuestPointer argument) => Record("event_channel_op");

        public int PhysdevOp(uint command, GuestPointer argument) => Record("physdev_op");
    }
}
