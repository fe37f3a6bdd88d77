using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using Translator.Machine.Instructions;
using Translator.Machine.Memory;

namespace Translator.Vmm.Devices;

/// <summary>Executes one resolved guest instruction.</summary>
internal delegate void DecodedOpExecutor(ref DecodedOp op);

/// <summary>
/// The VMM's instruction emulator for accesses to its device pages (KVM's MMIO emulation): a guest instruction that
/// touched a page one of the VMM's devices decodes exited (EPT violation) or trapped (a not-present shadow entry),
/// and is executed here once, by the processor's own instruction semantics, with that one linear page translated to
/// the device's physical page. The host memory's MMIO decoding is the VMM's platform, so the access reaches the
/// VMM's device and nothing else; no mapping is left behind, so the next access exits again. An instruction that
/// also reaches a second device page (a 2-byte access straddling two of them, REP INS crossing from one into the
/// next) gets a second window once the VMM's <see cref="SecondDeviceWindow"/> finds the guest's translation allows
/// it; a third device page is the instruction's #PF, so the work per exit stays bounded (one instruction, two pages).
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
    public void Execute(in Instruction instruction, uint linear, uint guestPhysical, SecondDeviceWindow second) =>
        Execute(in instruction, linear, guestPhysical, second, execute: null);

    /// <summary>
    /// As above, but the instruction runs through <paramref name="execute"/> (a deprivileging VMM's execution at the
    /// guest's virtual privilege, for a privileged instruction such as LTR whose operand is on the device page);
    /// null: the processor's handler at the current privilege.
    /// </summary>
    public void Execute(in Instruction instruction, uint linear, uint guestPhysical, SecondDeviceWindow second, DecodedOpExecutor? execute)
    {
        DecodedOp op = BlockDecoder.Resolve(in instruction, overrides: null);
        uint eip = cpu.Eip;
        cpu.Mmu.OpenDeviceWindow(linear, guestPhysical, second);
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
