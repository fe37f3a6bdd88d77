// The Translator paravirtual ABI, version 1 (docs/paravirt-abi.md is the document; this file is its header).
// Compiled into every component that speaks the interface (the VMM, the kernel compiler, the translation core and
// the tests) as linked source, so there is one definition of every number and offset. Plain constants only: it must
// build for netstandard2.0 (the generators) and net10.0 alike.
//
// Modeled on Xen's x86-32 PV interface (xen/include/public/xen.h, arch-x86/xen-x86_32.h, event_channel.h, sched.h,
// vcpu.h): where an operation exists in Xen it has Xen's number and argument layout; departures are marked
// "Departure:" here and listed in the document.
namespace Translator.Paravirt.Abi;

/// <summary>The PV image header: the first 48 bytes of a PV image file (a flat image, never a multiboot one).</summary>
internal static class PvImageHeader
{
    /// <summary>"TPV1" read as a little-endian dword.</summary>
    public const uint Magic = 0x3156_5054;
    public const uint AbiVersion = 1;
    public const uint Size = 48;

    // Offsets of the twelve dwords. The checksum makes the twelve dwords sum to 0 (mod 2^32).
    public const int MagicOffset = 0;
    public const int HeaderSizeOffset = 4;
    public const int AbiVersionOffset = 8;
    public const int FlagsOffset = 12;           // reserved, 0
    public const int LoadAddressOffset = 16;     // where file offset 0 is loaded (guest-physical = linear), >= 1 MiB, page-aligned
    public const int LoadEndOffset = 20;         // end of the file's bytes in memory (load + file size at most)
    public const int BssEndOffset = 24;          // end of the zeroed segment
    public const int EntryOffset = 28;           // first instruction, ring 1
    public const int HypercallPageOffset = 32;   // page-aligned address in [load, bss end) the VMM fills with stubs; 0: none
    public const int ReservedOffset1 = 36;
    public const int ReservedOffset2 = 40;
    public const int ChecksumOffset = 44;
}

/// <summary>Hypercall numbers (Xen's, xen.h). Hypercall n: EAX = n, arguments EBX, ECX, EDX, ESI, EDI; result EAX.</summary>
internal static class HypercallNumber
{
    public const int SetTrapTable = 0;
    public const int MmuUpdate = 1;
    public const int SetGdt = 2;
    public const int StackSwitch = 3;
    public const int SetCallbacks = 4;
    public const int FpuTaskswitch = 5;
    public const int Multicall = 13;
    public const int UpdateVaMapping = 14;
    public const int SetTimerOp = 15;
    public const int XenVersion = 17;
    public const int ConsoleIo = 18;
    public const int Iret = 23;
    public const int VcpuOp = 24;
    public const int MmuextOp = 26;
    public const int SchedOp = 29;
    public const int EventChannelOp = 32;
    public const int PhysdevOp = 33;

    /// <summary>The software interrupt of a hypercall; its gate has DPL 1, so ring 3 gets #GP.</summary>
    public const byte Vector = 0x82;

    /// <summary>The hypercall page holds one 32-byte stub per number 0..127: <c>call page + 32 * n</c>.</summary>
    public const int StubBytes = 32;
    public const int StubCount = 128;
}

/// <summary>Errors: a hypercall returns 0 or a non-negative count on success, minus one of these on failure (Xen's = Linux's).</summary>
internal static class PvErrno
{
    public const int EPERM = 1;
    public const int ESRCH = 3;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;
}

/// <summary>
/// The VMM's flat segments, in the reserved top of every GDT (Xen's FLAT_RING1_* and FLAT_RING3_*). The guest may also
/// install its own descriptors (set_gdt) in entries below <see cref="FirstReservedEntry"/>.
/// </summary>
internal static class PvSelectors
{
    public const ushort HypervisorCode = 0xE008;  // ring 0, the VMM's own
    public const ushort Ring1Code = 0xE019;
    public const ushort Ring1Data = 0xE021;
    public const ushort Ring3Code = 0xE02B;
    public const ushort Ring3Data = 0xE033;

    /// <summary>GDT entries 0..7167 (the first 14 pages) are the guest's; entries from 7168 (byte 0xE000) the VMM's.</summary>
    public const int FirstReservedEntry = 0xE000 / 8;
}

/// <summary>
/// The start-info page (Xen's start_info_t, x86-32): where the guest finds its memory, page tables, shared-info page
/// and console. Its address is in ESI at entry; it is guest memory the guest may read and overwrite.
/// </summary>
internal static class StartInfo
{
    /// <summary>The first bytes of <c>magic</c> (NUL-padded to 32): ABI family, version, architecture.</summary>
    public const string MagicText = "translator-pv-1-x86_32";

    public const int Magic = 0;              // char[32]
    public const int NrPages = 32;           // guest frames: frames 0 .. nr_pages-1 are the guest's
    public const int SharedInfo = 36;        // guest-physical (= linear in the initial mapping) address of the shared-info page
    public const int Flags = 40;             // 0
    public const int StoreMfn = 44;          // 0: no xenstore
    public const int StoreEvtchn = 48;       // 0
    public const int ConsoleMfn = 52;        // 0: no ring console, console_io is the console
    public const int ConsoleEvtchn = 56;     // the event channel bound to the console at boot (port 1, masked): raised on console input
    public const int PtBase = 60;            // linear address of the page directory the VMM built and pinned (CR3)
    public const int NrPtFrames = 64;        // frames of the boot page tables: the directory, then the page tables, contiguous
    public const int MfnList = 68;           // 0: frame numbers are guest-physical frame numbers (Departure: no P2M table)
    public const int ModStart = 72;          // 0: no module
    public const int ModLen = 76;            // 0
    public const int CmdLine = 80;           // char[1024], NUL-terminated
    public const int CmdLineBytes = 1024;
    public const int FirstFreePfn = 1104;    // Departure: first frame after everything the VMM placed (pt_base frame + nr_pt_frames)
    public const int Size = 1108;
}

/// <summary>
/// The shared-info page (Xen's shared_info, x86-32, one vCPU). The guest reads and writes it as plain memory; the
/// VMM reads it before every delivery. <c>evtchn_upcall_mask</c> is the guest kernel's IF: CLI and STI are one byte
/// store each, no hypercall and no trap.
/// </summary>
internal static class SharedInfo
{
    // vcpu_info[0] (64 bytes; vcpu_info[1..31] exist in the layout and are unused).
    public const int UpcallPending = 0x00;   // u8: set by the VMM when an unmasked event is pending
    public const int UpcallMask = 0x01;      // u8: 1 = events masked (virtual IF = 0)
    public const int PendingSel = 0x04;      // u32: bit i = some port in evtchn_pending word i may be pending
    public const int Cr2 = 0x08;             // u32: arch.cr2, the faulting linear address of the last page fault bounced
    public const int TimeVersion = 0x20;     // u32: vcpu_time_info.version (odd while the VMM updates it)
    public const int TscTimestamp = 0x28;    // u64
    public const int SystemTime = 0x30;      // u64: virtual ns since boot at the last update
    public const int TscToSystemMul = 0x38;  // u32
    public const int TscShift = 0x3C;        // s8
    public const int VcpuInfoBytes = 64;
    public const int MaxVcpus = 32;

    public const int EvtchnPending = 0x800;  // u32[32]: one bit per port (1024 ports)
    public const int EvtchnMask = 0x880;     // u32[32]: 1 = port masked
    public const int WcVersion = 0x900;
    public const int WcSec = 0x904;
    public const int WcNsec = 0x908;
    public const int Ports = 1024;
}

/// <summary>set_trap_table's trap_info (8 bytes): vector, flags, cs, address; a zero address ends the table.</summary>
internal static class TrapInfo
{
    public const int Vector = 0;     // u8
    public const int Flags = 1;      // u8: bits 0-1 the DPL that may raise it with INT n; bit 2 events masked on entry
    public const int Cs = 2;         // u16: RPL 0 is taken as RPL 1 (Xen's fixup)
    public const int Address = 4;    // u32
    public const int Bytes = 8;
    public const int MaxEntries = 256;
    public const byte FlagDplMask = 3;
    public const byte FlagMaskEvents = 4;

    /// <summary>The system-call vector that gets a direct gate when its entry has DPL 3 and does not mask events (8.4).</summary>
    public const byte SystemCallVector = 0x80;
}

/// <summary>mmu_update's request (16 bytes): the page-table entry's guest-physical address with the command in bits 0-1, the new value.</summary>
internal static class MmuUpdateRequest
{
    public const int Ptr = 0;        // u64 (high half 0)
    public const int Val = 8;        // u64 (high half 0)
    public const int Bytes = 16;
    public const uint NormalPtUpdate = 0;  // the only command supported; MMU_MACHPHYS_UPDATE (1) returns -ENOSYS
    public const uint MachphysUpdate = 1;
    public const uint DomidSelf = 0x7FF0;
}

/// <summary>mmuext_op's operation (12 bytes on x86-32): cmd, arg1 (mfn or linear address), arg2 (nr_ents).</summary>
internal static class MmuextOp
{
    public const int Cmd = 0;
    public const int Arg1 = 4;
    public const int Arg2 = 8;
    public const int Bytes = 12;

    public const uint PinL1Table = 0;
    public const uint PinL2Table = 1;
    public const uint UnpinTable = 4;
    public const uint NewBaseptr = 5;
    public const uint TlbFlushLocal = 6;
    public const uint InvlpgLocal = 7;
    public const uint TlbFlushAll = 10;
    public const uint InvlpgAll = 11;
    public const uint SetLdt = 13;
}

/// <summary>update_va_mapping's flags (EDX).</summary>
internal static class UvmFlags
{
    public const uint None = 0;
    public const uint TlbFlush = 1;
    public const uint Invlpg = 2;
    public const uint FlushMask = 3;
}

/// <summary>multicall's entry (32 bytes): op, result (written by the VMM), args[6].</summary>
internal static class MulticallEntry
{
    public const int Op = 0;
    public const int Result = 4;
    public const int Args = 8;
    public const int Bytes = 32;
    public const int MaxEntries = 64;
}

internal static class ConsoleIoCommand
{
    public const uint Write = 0;
    public const uint Read = 1;
}

internal static class XenVersionCommand
{
    public const uint Version = 0;       // returns major << 16 | minor of this ABI: 1.0
    public const uint ExtraVersion = 1;  // copies 16 bytes, NUL-padded ("-translator")
}

internal static class SchedOpCommand
{
    public const uint Yield = 0;
    public const uint Block = 1;     // unmasks events, sleeps until one is pending (returns at once if one is)
    public const uint Shutdown = 2;  // arg: pointer to u32 reason
    public const uint Poll = 3;      // not supported: -ENOSYS
}

internal static class ShutdownReason
{
    public const uint Poweroff = 0;  // the run ends as "halted for good": exit code 0
    public const uint Reboot = 1;    // not modelled: treated as poweroff
    public const uint Suspend = 2;   // not modelled: -EINVAL
    public const uint Crash = 3;     // the run ends as a guest crash: exit code 4
}

internal static class VcpuOpCommand
{
    public const uint IsUp = 3;
    public const uint SetPeriodicTimer = 6;    // arg: pointer to u64 period_ns (>= MinimumTimerPeriodNs)
    public const uint StopPeriodicTimer = 7;
    public const uint SetSingleshotTimer = 8; // arg: pointer to { u64 timeout_abs_ns; u32 flags }
    public const uint StopSingleshotTimer = 9;
    public const ulong MinimumTimerPeriodNs = 10_000;
}

internal static class EventChannelOpCommand
{
    public const uint BindVirq = 1;  // arg: { u32 virq; u32 vcpu; u32 port (out) }
    public const uint Close = 3;     // arg: { u32 port }
    public const uint Send = 4;      // arg: { u32 port } (a port bound to nothing raises nothing: -EINVAL)
    public const uint Status = 5;    // not supported: -ENOSYS
    public const uint Unmask = 9;    // arg: { u32 port }: clears the mask bit and raises the upcall if the port is pending
}

internal static class Virq
{
    public const uint Timer = 0;
    public const uint Debug = 1;
    public const uint Console = 2;
}

/// <summary>
/// Departure: Translator's sub-operations of physdev_op (33) for the legacy PC ports the VMM still emulates for a PV
/// domain (the isa-debug-exit port, the UART, the PIC and PIT registers). Xen gives a PV domain with I/O privilege
/// the IN/OUT instructions themselves; here the image must hold no privileged instruction, so port access is a call.
/// arg (ECX): pointer to { u16 port; u8 size (1, 2 or 4); u8 pad; u32 value }.
/// </summary>
internal static class PhysdevOpCommand
{
    public const uint PortRead = 0x7F00;
    public const uint PortWrite = 0x7F01;
    public const int Port = 0;
    public const int Size = 2;
    public const int Value = 4;
    public const int Bytes = 8;
}

/// <summary>
/// HYPERVISOR_iret's frame, at ESP when <c>int 0x82</c> executes with EAX = 23 (the hypercall page's iret stub pushes
/// EAX first): EAX, EIP, CS, EFLAGS, then ESP and SS when CS's RPL is 3. EFLAGS.IF becomes the event mask's inverse.
/// </summary>
internal static class IretFrame
{
    public const int Eax = 0;
    public const int Eip = 4;
    public const int Cs = 8;
    public const int Eflags = 12;
    public const int Esp = 16;
    public const int Ss = 20;
}

/// <summary>The boot layout the VMM builds after the image (each item page-aligned, in this order).</summary>
internal static class PvBootLayout
{
    public const int StartInfoPages = 1;
    public const int SharedInfoPages = 1;
    public const int BootStackPages = 4;   // ESP at entry = its top
    // then the page directory (pt_base), then one page table per 4 MiB of guest RAM.
}
