using Translator.Machine;
using Translator.Machine.Cpu;
using Translator.Machine.Devices;
using Translator.Machine.Loader;
using Translator.Machine.Memory;

namespace Translator.Vmm.Devices;

/// <summary>
/// The devices a VMM gives its guest: the same PC platform as bare metal (16550 on COM1, the 8259 pair, the 8254,
/// isa-debug-exit at 0xF4, fw_cfg, the local and I/O APICs; <see cref="PcBoard"/>), but these instances belong to the VMM. The guest reaches
/// them only through VM exits (or traps) the VMM emulates against this I/O bus and MMIO bus; the host machine's
/// own buses are never exposed.
/// </summary>
public sealed class VirtualPlatform
{
    public VirtualPlatform(VirtualClock clock, Action<byte> console, int guestMiB = 128, PcDeviceOptions? devices = null)
    {
        Board = new PcBoard(clock, (ulong)guestMiB << 20, console, value => DebugExitValue ??= value, devices);
    }

    /// <summary>The guest's devices (see <see cref="PcBoard"/>).</summary>
    public PcBoard Board { get; }

    public IoBus Io => Board.Io;

    /// <summary>The guest-physical addresses the VMM's devices decode (the APIC pages): accesses exit and are emulated.</summary>
    public MmioBus Mmio => Board.Mmio;

    public Pic8259Pair Pic => Board.Pic;

    public Pit8254 Pit => Board.Pit;

    /// <summary>The guest's local APIC, which also arbitrates the guest's INTR between its vectors and the 8259.</summary>
    public LocalApic Apic => Board.Apic;

    /// <summary>The 8254 and the APIC timer: the earliest deadline is the one the VMM arms its host timer for.</summary>
    public PlatformTimers Timers => Board.Timers;

    /// <summary>The value the guest wrote to isa-debug-exit, once it has.</summary>
    public uint? DebugExitValue { get; private set; }

    /// <summary>
    /// Boots <paramref name="image"/> as the guest's multiboot firmware would: loaded first into memory of exactly the
    /// guest's size (so it is accepted or rejected as on bare metal and the boot information reports the guest's RAM,
    /// not the host's), then into <paramref name="host"/>, with the processor in the loader's hand-over state.
    /// </summary>
    public void Boot(ReadOnlySpan<byte> image, int guestMiB, X86Cpu cpu, PhysicalMemory host, string? commandLine = null)
    {
        var guestSized = new PhysicalMemory(guestMiB);
        MultibootBootState boot = MultibootLoader.Load(image, guestSized, commandLine);
        MultibootLoader.Load(image, host, commandLine);
        guestSized.Span(0, (int)MultibootLoader.LowestLoadAddress).CopyTo(host.Span(0, (int)MultibootLoader.LowestLoadAddress));

        cpu.Reset();
        InitializeLikeFirmware(cpu, host);
        cpu.SetRegister(X86Cpu.EAX, MultibootLoader.BootMagic);
        cpu.SetRegister(X86Cpu.EBX, boot.InfoAddress);
        cpu.Eip = boot.Entry;
    }

    /// <summary>
    /// Why a VMM's run loop must stop before resuming the guest, if it must: the guest's debug exit, a verdict the
    /// VMM reached (<paramref name="stopped"/>), or the instruction budget.
    /// </summary>
    public MachineResult? StopVerdict(MachineResult? stopped, X86Cpu cpu, ulong maxInstructions)
    {
        if (DebugExitValue is uint value)
        {
            return MachineResult.DebugExit(value);
        }

        if (stopped is not null)
        {
            return stopped;
        }

        return cpu.Retired >= maxInstructions ? MachineResult.BudgetExhausted(maxInstructions, cpu.Eip) : null;
    }

    /// <summary>The state the guest's firmware leaves: PICs at 0x08/0x70 masked, PIT in mode 2, the boot GDT (as on bare metal).</summary>
    public void InitializeLikeFirmware(X86Cpu cpu, PhysicalMemory guestMemory)
    {
        PcMachine.InstallBootGdt(cpu, guestMemory);
        Board.InitializeLikeFirmware();
    }
}
