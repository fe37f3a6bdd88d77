using Translator.Machine.Cpu;

namespace Translator.Machine.Decoders;

/// <summary>
/// Decoded blocks, keyed by (physical address, linear address) so that two mappings of one page never share
/// branch targets, and indexed by physical page so a guest write into code drops exactly the stale blocks.
/// A small direct-mapped lookup by linear EIP (one per privilege class, like QEMU's tb_jmp_cache) skips the page
/// walk on the hot path; it is cleared whenever the linear-to-physical mapping may have changed.
/// </summary>
internal sealed class CodeCache
{
    private const int LookupSize = 4096;

    private readonly X86Cpu _cpu;
    private readonly BlockDecoder _decoder;
    private readonly Dictionary<ulong, Block> _blocks = [];
    private readonly Dictionary<uint, List<Block>> _byPage = [];
    private readonly Block?[][] _lookup = [new Block?[LookupSize], new Block?[LookupSize]];

    public CodeCache(X86Cpu cpu)
    {
        _cpu = cpu;
        _decoder = new BlockDecoder(cpu);
        cpu.Mmu.CodePageWritten = InvalidatePage;
        cpu.TranslationChanged += FlushLookups;
    }

    public int BlockCount => _blocks.Count;

    public Block Lookup(uint eip)
    {
        Block?[] lookup = _lookup[_cpu.Cpl == 3 ? 1 : 0];
        int slot = (int)((eip ^ (eip >> 12)) & (LookupSize - 1));
        Block? block = lookup[slot];
        if (block is not null && block.LinearIp == eip && block.Valid)
        {
            return block;
        }

        block = Find(eip);
        lookup[slot] = block;
        return block;
    }

    /// <summary>
    /// The block at <paramref name="eip"/> reached from <paramref name="from"/>: a direct link when the same
    /// successor was seen before under the same mappings and privilege class, else a lookup that becomes a link.
    /// </summary>
    public Block Next(Block from, uint eip)
    {
        uint epoch = _cpu.TranslationEpoch;
        Block? link = from.Link0;
        if (link is not null && link.LinearIp == eip && from.Link0Epoch == epoch && link.Valid)
        {
            return link;
        }

        link = from.Link1;
        if (link is not null && link.LinearIp == eip && from.Link1Epoch == epoch && link.Valid)
        {
            return link;
        }

        Block next = Lookup(eip);
        from.Link1 = from.Link0;
        from.Link1Epoch = from.Link0Epoch;
        from.Link0 = next;
        from.Link0Epoch = epoch;
        return next;
    }

    private Block Find(uint eip)
    {
        uint physical = _cpu.Mmu.Translate(eip, write: false, user: _cpu.Cpl == 3);
        ulong key = ((ulong)physical << 32) | eip;
        if (_blocks.TryGetValue(key, out Block? block))
        {
            return block;
        }

        block = _decoder.Decode(eip);
        _blocks[key] = block;
        Track(block, block.PhysicalIp & 0xFFFF_F000);
        if (block.LastPhysicalPage != (block.PhysicalIp & 0xFFFF_F000))
        {
            Track(block, block.LastPhysicalPage);
        }

        return block;
    }

    private void Track(Block block, uint page)
    {
        if (!_byPage.TryGetValue(page, out List<Block>? list))
        {
            list = [];
            _byPage[page] = list;
        }

        list.Add(block);
        _cpu.Mmu.MarkCodePage(page);
    }

    /// <summary>The guest wrote into a page holding decoded code: drop its blocks (self-modifying code stays correct).</summary>
    public void InvalidatePage(uint physical)
    {
        uint page = physical & 0xFFFF_F000;
        if (!_byPage.Remove(page, out List<Block>? list))
        {
            return;
        }

        foreach (Block block in list)
        {
            block.Valid = false;
            ulong key = ((ulong)block.PhysicalIp << 32) | block.LinearIp;
            if (_blocks.TryGetValue(key, out Block? current) && current == block)
            {
                _blocks.Remove(key);
            }
        }

        _cpu.Counters.CodeInvalidations++;

        // The current block may have just rewritten an instruction that follows the store.
        _cpu.StopBlock = true;
    }

    public void FlushLookups()
    {
        Array.Clear(_lookup[0]);
        Array.Clear(_lookup[1]);
    }
}
