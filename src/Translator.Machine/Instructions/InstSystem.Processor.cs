using System.Text;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>CPUID, the time-stamp counter and model-specific registers.</summary>
internal static unsafe partial class InstSystem
{
    private const uint MsrTsc = 0x10, MsrSysenterCs = 0x174, MsrSysenterEsp = 0x175, MsrSysenterEip = 0x176;

    // The integer core's features: an i686 with PSE, TSC, MSR, CX8, APIC, CMOV, no SYSENTER; the optional units
    // (CpuFeatures, whose values are their EDX bits) are added per processor. EBX[31:24] is the initial APIC ID (0).
    private const uint FeatureEdx = (1u << 3) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 9) | (1u << 15);

    private static readonly uint[] s_vendor = VendorWords("GenuineIntel");

    private static uint[] VendorWords(string vendor)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(vendor);
        return [BitConverter.ToUInt32(bytes, 0), BitConverter.ToUInt32(bytes, 4), BitConverter.ToUInt32(bytes, 8)];
    }

    // CLFLUSH (CPUID.01H:EDX bit 19) comes with SSE2, as on every SSE2 processor; EBX[15:8] then gives its line size
    // in 8-byte units (8: 64 bytes).
    private const uint Clflush = 1u << 19;

    private static uint ClflushBit(CpuFeatures features) => (features & CpuFeatures.Sse2) != 0 ? Clflush : 0;

    private static uint LeafOneEbx(CpuFeatures features) => (features & CpuFeatures.Sse2) != 0 ? 8u << 8 : 0;

    // Leaf 7 subleaf 0, ECX: bit 2 UMIP.
    private const uint StructuredFeatureEcx = 1u << 2;

    internal static (uint, uint, uint, uint) CpuidValues(CpuFeatures features, uint leaf, uint subleaf = 0) => leaf switch
    {
        0 => (7u, s_vendor[0], s_vendor[2], s_vendor[1]),
        1 => (0x0000_0633u, LeafOneEbx(features), 0u, FeatureEdx | (uint)features | ClflushBit(features)), // family 6, model 3, stepping 3 (a Pentium II class core)
        7 when subleaf == 0 => (0u, 0u, StructuredFeatureEcx, 0u),
        _ => (0u, 0u, 0u, 0u),
    };

    public static void Cpuid(X86Cpu c, ref DecodedOp op)
    {
        if (c.Vmx is not null)
        {
            c.ExitOnInstruction(ref op, VmExitReason.Cpuid); // CPUID exits unconditionally in VMX non-root mode
            return;
        }

        (uint a, uint b, uint cx, uint d) = CpuidValues(c.Features, c.Reg(X86Cpu.EAX), c.Reg(X86Cpu.ECX));
        c.Reg(X86Cpu.EAX) = a;
        c.Reg(X86Cpu.EBX) = b;
        c.Reg(X86Cpu.ECX) = cx;
        c.Reg(X86Cpu.EDX) = d;
    }

    public static void Rdtsc(X86Cpu c, ref DecodedOp op)
    {
        if ((c.Cr4 & 0x4) != 0 && c.Cpl != 0)
        {
            throw c.GeneralProtection();
        }

        if (c.Vmx is { } vmx && (vmx.Primary & ProcessorControls.RdtscExiting) != 0)
        {
            c.ExitOnInstruction(ref op, VmExitReason.Rdtsc);
            return;
        }

        ulong tsc = c.GuestTsc();
        c.Reg(X86Cpu.EAX) = (uint)tsc;
        c.Reg(X86Cpu.EDX) = (uint)(tsc >> 32);
    }

    public static void Rdmsr(X86Cpu c, ref DecodedOp op)
    {
        c.RequireCpl0();
        if (c.Vmx is not null && c.ExitsOnMsr(ref op, write: false))
        {
            return;
        }

        ulong value = c.Reg(X86Cpu.ECX) switch
        {
            MsrTsc => c.GuestTsc(),
            MsrSysenterCs => c.SysenterCs,
            MsrSysenterEsp => c.SysenterEsp,
            MsrSysenterEip => c.SysenterEip,
            MiscEnableRegister.Index => c.MiscEnable,
            Devices.LocalApic.BaseMsrIndex when c.Apic is { } apic => apic.BaseMsr,
            _ => throw c.GeneralProtection(),
        };
        c.Reg(X86Cpu.EAX) = (uint)value;
        c.Reg(X86Cpu.EDX) = (uint)(value >> 32);
    }

    public static void Wrmsr(X86Cpu c, ref DecodedOp op)
    {
        c.RequireCpl0();
        if (c.Vmx is not null && c.ExitsOnMsr(ref op, write: true))
        {
            return;
        }

        uint low = c.Reg(X86Cpu.EAX);
        ulong value = ((ulong)c.Reg(X86Cpu.EDX) << 32) | low;
        switch (c.Reg(X86Cpu.ECX))
        {
            case MsrTsc:
                c.TscOffset = value - c.Clock.Now;
                break;
            case MsrSysenterCs:
                c.SysenterCs = low;
                break;
            case MsrSysenterEsp:
                c.SysenterEsp = low;
                break;
            case MsrSysenterEip:
                c.SysenterEip = low;
                break;
            case MiscEnableRegister.Index:
                c.MiscEnable = MiscEnableRegister.Written(value, c.MiscEnable) ?? throw c.GeneralProtection();
                break;
            case Devices.LocalApic.BaseMsrIndex when c.Apic is { } apic:
                if (!apic.TryWriteBaseMsr(value))
                {
                    throw c.GeneralProtection();
                }

                c.StopBlock = true; // the APIC may now accept or refuse interrupts: look again before the next instruction
                break;
            default:
                throw c.GeneralProtection();
        }
    }
}
