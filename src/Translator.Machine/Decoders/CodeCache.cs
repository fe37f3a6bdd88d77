using Translator.Machine.Cpu;
using Translator.Machine.Translation;

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

    /// <summary>Decoded blocks kept at most (about 100 MiB of host memory at the worst).</summary>
    internal const int MaxBlocks = 65_536;

    private readonly X86Cpu _cpu;
    private readonly BlockDecoder _decoder;
    private readonly Dictionary<ulong, Block> _blocks = [];
    private readonly Dictionary<uint, CodePage> _byPage = [];

    /// <summary>
    /// The blocks decoded from one physical page and which 32-byte granules of it they cover, so that a write to
    /// data sharing the page with code (a kernel's variables next to its text) does not throw the code away.
    /// </summary>
    private sealed class CodePage
    {
        public readonly List<Block> Blocks = [];
        public ulong Low;   // granules 0-63
        public ulong High;  // granules 64-127

        public void Cover(int start, int end)
        {
            for (int g = start >> 5; g <= (end - 1) >> 5; g++)
            {
                if (g < 64) Low |= 1UL << g; else High |= 1UL << (g - 64);
            }
        }

        public bool Overlaps(int start, int end)
        {
            for (int g = start >> 5; g <= (end - 1) >> 5; g++)
            {
                if (((g < 64 ? Low >> g : High >> (g - 64)) & 1) != 0) return true;
            }

            return false;
        }
    }
    private readonly Block?[][] _lookup = [new Block?[LookupSize], new Block?[LookupSize]];

    /// <summary>Translated regions by entry address (several when one address was translated for different mappings).</summary>
    private readonly Dictionary<uint, List<TranslatedRegion>> _regions = [];

    /// <summary>Translations attached so far (only a single one, or several of one numbering, chain: see <see cref="X86Cpu.ChainValid"/>).</summary>
    private int _attachedImages;

    /// <summary>The method numbering every attached translation shares (<see cref="TranslatedImage.MethodNumbering"/>), else null.</summary>
    private string? _numbering;

    /// <summary>Method indices the attached translations use (the size <see cref="X86Cpu.ChainValid"/> needs).</summary>
    private int _methods;

    /// <summary>
    /// Blocks whose region spans two pages and was not attached because its other page (the key, physical) held no
    /// decoded code yet: dropped when that page gets some, so the next lookup attaches the region.
    /// </summary>
    private readonly Dictionary<uint, List<Block>> _waiting = [];

    /// <summary>Block addresses without a matching region while a translation is attached (entries for the next translation).</summary>
    private readonly HashSet<uint> _untranslated = [];

    public IReadOnlyCollection<uint> UntranslatedEntries => _untranslated;

    /// <summary>Makes blocks decoded from now on run <paramref name="image"/>'s regions where their guest bytes match.</summary>
    public void Attach(TranslatedImage image)
    {
        // Method indices of two translations would collide: with more than one attached, nothing chains, unless all
        // share one numbering (groups of hot code of one image and entry set).
        _attachedImages++;
        bool shared = _attachedImages == 1 || (_numbering is not null && _numbering == image.MethodNumbering);
        _numbering = shared ? image.MethodNumbering : null;
        int methods = _methods;
        foreach (TranslatedRegion region in image.Regions)
        {
            methods = Math.Max(methods, region.Method + 1);
            if (!_regions.TryGetValue(region.LinearStart, out List<TranslatedRegion>? list))
            {
                list = [];
                _regions[region.LinearStart] = list;
            }

            list.Add(region);
        }

        _methods = methods;
        _cpu.ChainValid = _attachedImages == 1 || _numbering is not null ? new uint[methods] : [];
        FlushAll();
    }

    /// <summary>
    /// Makes <paramref name="image"/> the only attached translation: every region attached before is dropped (a
    /// tiered run's translation of all its hot code so far, replacing the previous one), then as <see cref="Attach"/>.
    /// </summary>
    public void Replace(TranslatedImage image)
    {
        _regions.Clear();
        _attachedImages = 0;
        _numbering = null;
        _methods = 0;
        Attach(image);
    }

    /// <summary>
    /// Linear addresses of valid blocks that run without a translated region although they proved hot: they reached
    /// <paramref name="executions"/> runs or the block compiler compiled them (what tiered translation compiles next).
    /// </summary>
    public List<uint> HotUntranslatedBlocks(int executions)
    {
        var hot = new List<uint>();
        foreach (Block block in _blocks.Values)
        {
            if (block.Valid && block.Translated is null && (block.Compiled is not null || block.Executions >= executions))
            {
                hot.Add(block.LinearIp);
            }
        }

        return hot;
    }

    public CodeCache(X86Cpu cpu)
    {
        _cpu = cpu;
        _decoder = new BlockDecoder(cpu);
        cpu.Mmu.CodePageWritten = CodeWritten;
        cpu.TranslationChanged += FlushLookups;
    }

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
        ulong key = KeyOf(physical, eip);
        if (_blocks.TryGetValue(key, out Block? block))
        {
            if (block.OtherLinearPage == Block.NoOtherPage
                || (_cpu.Mmu.PeekFetch(block.OtherLinearPage, _cpu.Cpl == 3) == block.OtherPhysicalPage) != block.AwaitsOtherPage)
            {
                return block;
            }

            // Its other page maps elsewhere now (or, for a block whose region waits for it, where the region needs it):
            // decode afresh, fetching from there as the CPU would, and attach what matches now.
            block.Valid = false;
            _blocks.Remove(key);
        }

        if (_blocks.Count >= MaxBlocks)
        {
            // A guest that keeps generating new code must not grow host memory without bound: start afresh.
            FlushAll();
        }

        block = _decoder.Decode(eip);
        _blocks[key] = block;
        if (_regions.Count > 0)
        {
            AttachRegion(block);
        }

        uint firstPage = block.PhysicalIp & 0xFFFF_F000;
        int start = (int)(block.PhysicalIp & 0xFFF);
        int length = (int)(block.Ops[^1].NextIp - block.LinearIp);
        if (block.LastPhysicalPage == firstPage)
        {
            Track(block, firstPage, start, start + length);
        }
        else
        {
            Track(block, firstPage, start, 4096);
            Track(block, block.LastPhysicalPage, 0, start + length - 4096);
            block.OtherLinearPage = (block.LinearIp & 0xFFFF_F000) + 0x1000;
            block.OtherPhysicalPage = block.LastPhysicalPage;
        }

        return block;
    }

    /// <summary>
    /// Gives <paramref name="block"/> the region translated for its address, if the region's guest bytes are still
    /// what memory holds at the same physical place; the region's bytes are then tracked like the block's, so a
    /// write into any of them drops the block and its region (self-modifying code). A region whose code spans two
    /// pages is attached only while the other page maps where the image put it (the next physical page) and once
    /// code has been decoded there (so it is marked as code when it would be on the interpreter), and the block
    /// remembers that page so a lookup after a change of mappings checks it again.
    /// </summary>
    private void AttachRegion(Block block)
    {
        if (_regions.TryGetValue(block.LinearIp, out List<TranslatedRegion>? candidates))
        {
            foreach (TranslatedRegion region in candidates)
            {
                uint codePhysical = block.PhysicalIp - (region.LinearStart - region.CodeStart);
                int length = Math.Max(region.GuestBytes.Length, 1);
                if (region.PhysicalStart != block.PhysicalIp || !_cpu.Mmu.Physical.IsBacked(codePhysical, region.GuestBytes.Length)
                    || !_cpu.Mmu.Physical.Span(codePhysical, region.GuestBytes.Length).SequenceEqual(region.GuestBytes))
                {
                    continue;
                }

                uint firstLinear = region.CodeStart & 0xFFFF_F000, lastLinear = (region.CodeStart + (uint)length - 1) & 0xFFFF_F000;
                uint ownLinear = block.LinearIp & 0xFFFF_F000;
                if (firstLinear != lastLinear)
                {
                    uint otherLinear = ownLinear == firstLinear ? lastLinear : firstLinear;
                    uint otherPhysical = codePhysical + (otherLinear - region.CodeStart);
                    if (lastLinear - firstLinear != 0x1000 || (otherPhysical & 0xFFF) != 0
                        || block.OtherLinearPage != Block.NoOtherPage && block.OtherLinearPage != otherLinear)
                    {
                        continue;
                    }

                    block.OtherLinearPage = otherLinear;
                    block.OtherPhysicalPage = otherPhysical;
                    if (_cpu.Mmu.PeekFetch(otherLinear, _cpu.Cpl == 3) != otherPhysical)
                    {
                        // Not mapped there now (a shadow entry not filled yet, a remapped page): a lookup once it is
                        // decodes the block afresh and attaches the region.
                        block.AwaitsOtherPage = true;
                        continue;
                    }

                    if (!_byPage.ContainsKey(otherPhysical))
                    {
                        // Not before the guest runs code there: marking the page as code now would send its data
                        // writes down the slow path (page walks) earlier than on the interpreter. Decoded afresh then.
                        if (!_waiting.TryGetValue(otherPhysical, out List<Block>? waiting))
                        {
                            waiting = [];
                            _waiting[otherPhysical] = waiting;
                        }

                        waiting.Add(block);
                        continue;
                    }
                }

                // Tracked page by page: the bytes may run on into the next one.
                for (uint at = codePhysical, end = codePhysical + (uint)length; at < end; at = (at & 0xFFFF_F000) + 0x1000)
                {
                    int start = (int)(at & 0xFFF);
                    Track(block, at & 0xFFFF_F000, start, (int)Math.Min(4096, start + (end - at)));
                }

                block.Translated = region.Code;
                if ((uint)region.Method < (uint)_cpu.ChainValid.Length)
                {
                    block.TranslatedMethod = region.Method;
                }

                return;
            }
        }

        _untranslated.Add(block.LinearIp);
    }

    private void Track(Block block, uint page, int start, int end)
    {
        if (!_byPage.TryGetValue(page, out CodePage? code))
        {
            code = new CodePage();
            _byPage[page] = code;
            if (_waiting.Remove(page, out List<Block>? waiting))
            {
                // Their regions may attach now: the next lookup decodes them afresh.
                foreach (Block stale in waiting)
                {
                    ulong key = KeyOf(stale.PhysicalIp, stale.LinearIp);
                    if (stale != block && _blocks.TryGetValue(key, out Block? current) && current == stale)
                    {
                        stale.Valid = false;
                        _blocks.Remove(key);
                    }
                }
            }
        }

        code.Blocks.Add(block);
        code.Cover(start, end);
        _cpu.Mmu.MarkCodePage(page);
    }

    /// <summary>
    /// The dictionary key of a block. Not simply physical:linear: ulong's hash folds the two halves together, and
    /// with paging off (linear == physical) every block would hash alike.
    /// </summary>
    private static ulong KeyOf(uint physical, uint linear) => ((ulong)linear << 32) | (linear ^ physical);

    /// <summary>
    /// The guest wrote <paramref name="size"/> bytes at <paramref name="physical"/> in a page holding decoded code.
    /// When the write touches bytes that were decoded, every block of the page is dropped (self-modifying code
    /// stays correct); a write to data elsewhere in the page changes nothing.
    /// </summary>
    public void CodeWritten(uint physical, int size)
    {
        uint page = physical & 0xFFFF_F000;
        int offset = (int)(physical & 0xFFF);
        if (_byPage.TryGetValue(page, out CodePage? code) && code.Overlaps(offset, Math.Min(offset + size, 4096)))
        {
            InvalidatePage(page);
        }
    }

    /// <summary>Drops every block decoded from <paramref name="physical"/>'s page.</summary>
    public void InvalidatePage(uint physical)
    {
        uint page = physical & 0xFFFF_F000;
        _cpu.Mmu.UnmarkCodePage(page);
        if (!_byPage.Remove(page, out CodePage? code))
        {
            return;
        }

        foreach (Block block in code.Blocks)
        {
            block.Valid = false;
            if (block.TranslatedMethod >= 0)
            {
                _cpu.ChainValid[block.TranslatedMethod] = 0;
            }

            ulong key = KeyOf(block.PhysicalIp, block.LinearIp);
            if (_blocks.TryGetValue(key, out Block? current) && current == block)
            {
                _blocks.Remove(key);
            }
        }

        _cpu.Counters.CodeInvalidations++;

        // The current block may have just rewritten an instruction that follows the store.
        _cpu.StopBlock = true;
    }

    /// <summary>Drops every block (each page's code tracking included).</summary>
    public void FlushAll()
    {
        foreach (uint page in _byPage.Keys)
        {
            _cpu.Mmu.UnmarkCodePage(page);
        }

        foreach (Block block in _blocks.Values)
        {
            block.Valid = false;
        }

        _blocks.Clear();
        _byPage.Clear();
        _waiting.Clear();
        Array.Clear(_cpu.ChainValid);
        FlushLookups();
        _cpu.StopBlock = true;
    }

    public void FlushLookups()
    {
        Array.Clear(_lookup[0]);
        Array.Clear(_lookup[1]);
    }
}
