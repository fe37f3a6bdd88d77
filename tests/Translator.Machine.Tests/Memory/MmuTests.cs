using Translator.Machine.Cpu;
using Translator.Machine.Memory;
using Xunit;

namespace Translator.Machine.Tests.Memory;

/// <summary>Two-level paging, permissions, accessed/dirty bits and TLB semantics, driven directly on the MMU.</summary>
public sealed class MmuTests
{
    private const uint Directory = 0x1000, Table = 0x2000, FrameA = 0x10000, FrameB = 0x11000, Linear = 0x0040_0000;
    private const uint Present = 1, Writable = 2, User = 4, Accessed = 0x20, Dirty = 0x40, Large = 0x80;

    private readonly PhysicalMemory _memory = new(4);
    private readonly GuestFault _fault = new();
    private readonly Mmu _mmu;
    private uint _cr2;

    public MmuTests()
    {
        _mmu = new Mmu(_memory, _fault) { SetCr2 = value => _cr2 = value };
        _memory.Write32(Directory + ((Linear >> 22) * 4), Table | Present | Writable | User);
        Map(FrameA, Present | Writable | User);
        _memory.Write32(FrameA, 0xAAAA_AAAA);
        _memory.Write32(FrameB, 0xBBBB_BBBB);
        _mmu.SetPaging(paging: true, writeProtect: true, pse: true, cr3: Directory);
    }

    private void Map(uint frame, uint flags) => _memory.Write32(Table + (((Linear >> 12) & 0x3FF) * 4), frame | flags);

    private uint Pte => _memory.Read32(Table + (((Linear >> 12) & 0x3FF) * 4));

    private GuestFault Faults(Action access)
    {
        GuestFault fault = Assert.Throws<GuestFault>(access);
        Assert.Equal(ExceptionVector.PageFault, fault.Vector);
        return fault;
    }

    [Fact]
    public void ReadSetsAccessedAndWriteSetsDirty()
    {
        Assert.Equal(0xAAAA_AAAAu, _mmu.Read32(Linear));
        Assert.Equal(Accessed, Pte & (Accessed | Dirty));
        Assert.Equal(Accessed, _memory.Read32(Directory + 4) & Accessed);

        // The read filled only the read entry (D was clear), so the first write walks again and sets D.
        _mmu.Write32(Linear, 1);
        Assert.Equal(Accessed | Dirty, Pte & (Accessed | Dirty));
    }

    [Fact]
    public void StaleTranslationSurvivesUntilInvlpg()
    {
        Assert.Equal(0xAAAA_AAAAu, _mmu.Read32(Linear));
        Map(FrameB, Present | Writable | User);

        Assert.Equal(0xAAAA_AAAAu, _mmu.Read32(Linear)); // the TLB still holds frame A, as hardware's would
        _mmu.FlushPage(Linear);
        Assert.Equal(0xBBBB_BBBBu, _mmu.Read32(Linear));
    }

    [Fact]
    public void NotPresentPageFaultsWithCr2AndErrorCode()
    {
        Map(FrameA, 0);
        GuestFault read = Faults(() => _mmu.Read32(Linear + 0x123));
        Assert.Equal(0u, read.ErrorCode);
        Assert.Equal(Linear + 0x123, _cr2);

        GuestFault write = Faults(() => _mmu.Write8(Linear + 7, 1));
        Assert.Equal(2u, write.ErrorCode);
    }

    [Fact]
    public void WriteProtectGovernsSupervisorWritesToReadOnlyPages()
    {
        Map(FrameA, Present | User);
        Assert.Equal(3u, Faults(() => _mmu.Write32(Linear, 5)).ErrorCode);

        _mmu.SetPaging(paging: true, writeProtect: false, pse: true, cr3: Directory);
        _mmu.Write32(Linear, 5);
        Assert.Equal(5u, _memory.Read32(FrameA));
    }

    [Fact]
    public void UserAccessesAreCheckedAgainstBothLevels()
    {
        Map(FrameA, Present | Writable); // supervisor page
        _mmu.SetUserMode(true);
        Assert.Equal(5u, Faults(() => _mmu.Read32(Linear)).ErrorCode);
        Assert.Equal(7u, Faults(() => _mmu.Write32(Linear, 1)).ErrorCode);

        Map(FrameA, Present | User); // user, read-only
        _mmu.FlushAll();
        Assert.Equal(0xAAAA_AAAAu, _mmu.Read32(Linear));
        Assert.Equal(7u, Faults(() => _mmu.Write32(Linear, 1)).ErrorCode);
    }

    [Fact]
    public void LargePagesNeedPse()
    {
        const uint alias = 0xC000_0000;
        _memory.Write32(Directory + ((alias >> 22) * 4), 0x0000_0000 | Present | Writable | Large);
        _mmu.FlushAll();
        Assert.Equal(0xAAAA_AAAAu, _mmu.Read32(alias + FrameA));
        Assert.Equal(Accessed, _memory.Read32(Directory + ((alias >> 22) * 4)) & Accessed);

        // Without CR4.PSE the PS bit is ignored and the entry is walked as a page-table pointer (to frame 0).
        _mmu.SetPaging(paging: true, writeProtect: true, pse: false, cr3: Directory);
        Assert.Equal(ExceptionVector.PageFault, Faults(() => _mmu.Read32(alias + FrameA)).Vector);
    }

    [Fact]
    public void AccessesSplitAcrossPagesCheckBothPages()
    {
        Map(FrameA, Present | Writable | User);
        _memory.Write32(Table + ((((Linear >> 12) + 1) & 0x3FF) * 4), 0); // next page not present
        GuestFault fault = Faults(() => _mmu.Write32(Linear + 0xFFE, 0x1122_3344));
        Assert.Equal(Linear + 0x1000, _cr2);
        Assert.Equal(0u, _memory.Read16(FrameA + 0xFFE)); // nothing was written to the first page
        Assert.Equal(2u, fault.ErrorCode);
    }

    [Fact]
    public void UnbackedPhysicalMemoryReadsZerosAndDropsWrites()
    {
        // QEMU's PC: unassigned memory reads zeros (tests/guests/asm/unassigned.asm checks it against QEMU).
        _mmu.SetPaging(paging: false, writeProtect: false, pse: false, cr3: 0);
        Assert.Equal(0u, _mmu.Read32(0x8000_0000));
        _mmu.Write32(0x8000_0000, 1);
        Assert.Equal(0u, _mmu.Read32(0x8000_0000));
    }
}
