using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using Translator.Machine.Instructions;

namespace Translator.Vmm.Devices;

/// <summary>Executes one resolved guest instruction.</summary>
internal delegate void DecodedOpExecutor(ref DecodedOp op);

/// <summary>
/// The VMM's instruction emulator for accesses to its device pages (KVM's MMIO emulation): a guest instruction that
/// touched a page one of the VMM's devices decodes exited (EPT violation) or trapped (a not-present shadow entry),
/// and is executed here once, by the processor's own instruction semantics, with that one linear page translated to
/// the device's physical page. The host memory's MMIO decoding is the VMM's platform, so the access reaches the
/// VMM's device and nothing else; no mapping is left behind, so the next access exits again.
/// </summary>
internal sealed unsafe class DeviceAccessEmulator(X86Cpu cpu)
{
    /// <summary>Guest instructions emulated because they touched a device page.</summary>
    public long Emulated { get; private set; }

    /// <summary>
    /// Executes <paramref name="instruction"/> (at the CPU's EIP) with linear page <paramref name="linear"/> mapped
    /// to device address <paramref name="guestPhysical"/>. EIP moves past it; a fault propagates with EIP at the
    /// instruction, as a fault of the instruction itself.
    /// </summary>
    public void Execute(in Instruction instruction, uint linear, uint guestPhysical) =>
        Execute(in instruction, linear, guestPhysical, execute: null);

    /// <summary>
    /// As above, but the instruction runs through <paramref name="execute"/> (a deprivileging VMM's execution at the
    /// guest's virtual privilege, for a privileged instruction such as LTR whose operand is on the device page);
    /// null: the processor's handler at the current privilege.
    /// </summary>
    public void Execute(in Instruction instruction, uint linear, uint guestPhysical, DecodedOpExecutor? execute)
    {
        DecodedOp op = BlockDecoder.Resolve(in instruction, overrides: null);
        uint eip = cpu.Eip;
        cpu.Mmu.OpenDeviceWindow(linear, guestPhysical);
        try
        {
            cpu.Eip = op.NextIp;
            if (execute is null)
            {
                InstructionTable.For(op.Instruction.Code)(cpu, ref op);
            }
            else
            {
                execute(ref op);
            }

            Emulated++;
        }
        catch (GuestFault)
        {
            cpu.Eip = eip;
            throw;
        }
        finally
        {
            cpu.Mmu.CloseDeviceWindow();
        }
    }

    public void CollectEvents(IDictionary<string, long> events)
    {
        if (Emulated > 0)
        {
            events["vmm.deviceAccesses"] = Emulated;
        }
    }
}
