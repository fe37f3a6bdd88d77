using System.Collections.Generic;
using Iced.Intel;
using Translator.Translation.Loading;

namespace Translator.Translation.Discovery;

/// <summary>
/// The code of one translated method: found in one 4 KiB page of linear addresses, or in a page and the next one
/// where a function begins in the first and runs on into the second (both then one physically contiguous load).
/// </summary>
internal sealed class PageCode
{
    public PageCode(uint page, uint physicalPage, List<DecodedInstruction> instructions, SortedSet<uint> entries)
    {
        Page = page;
        PhysicalPage = physicalPage;
        Instructions = instructions;
        Entries = entries;
    }

    public uint Page { get; }

    /// <summary>Where <see cref="Page"/> was loaded; a second page follows it in physical memory too.</summary>
    public uint PhysicalPage { get; }

    /// <summary>The physical address the image loaded <paramref name="ip"/> at.</summary>
    public uint PhysicalOf(uint ip) => PhysicalPage + (ip - Page);

    /// <summary>By address.</summary>
    public List<DecodedInstruction> Instructions { get; }

    /// <summary>Addresses control may arrive at from outside the page's method (calls, returns, other pages, the interpreter).</summary>
    public SortedSet<uint> Entries { get; }
}

/// <summary>
/// Recursive descent from the known entry points: the image entry, function symbols, extra entries (an earlier
/// run's interpreter fallbacks, interrupt handlers), then every direct branch and call target and every call's
/// fall-through. Indirect targets are only known at run time; they run on the interpreter until recorded.
/// </summary>
internal sealed class CodeDiscovery
{
    /// <summary>A page with more instructions than this is data that happens to decode; it is left to the interpreter.</summary>
    public const int MaxInstructionsPerPage = 2048;

    private readonly GuestImage _image;
    private readonly Dictionary<uint, DecodedInstruction?> _decoded = new Dictionary<uint, DecodedInstruction?>();
    private readonly HashSet<uint> _entries = new HashSet<uint>();
    private readonly HashSet<uint> _functionStarts = new HashSet<uint>();
    private readonly Stack<uint> _work = new Stack<uint>();
    private readonly List<string> _warnings;

    public CodeDiscovery(GuestImage image, List<string> warnings)
    {
        _image = image;
        _warnings = warnings;
    }

    /// <param name="entries">Where discovery starts.</param>
    /// <param name="functionStarts">
    /// Addresses known to begin functions (the image's entry, its function symbols); every direct call's target is
    /// added. Methods are cut where functions begin, so a function's loops and jump tables stay inside one method.
    /// </param>
    public List<PageCode> Discover(IEnumerable<uint> entries, IEnumerable<uint> functionStarts)
    {
        _functionStarts.UnionWith(functionStarts);
        foreach (uint entry in entries)
        {
            AddEntry(entry);
        }

        while (_work.Count > 0)
        {
            Walk(_work.Pop());
        }

        return GroupByPage();
    }

    private void AddEntry(uint address)
    {
        if (_entries.Add(address))
        {
            _work.Push(address);
        }
    }

    /// <summary>Follows straight-line code and direct branches from <paramref name="start"/>, queueing calls' targets and return points.</summary>
    private void Walk(uint start)
    {
        var pending = new Stack<uint>();
        pending.Push(start);
        while (pending.Count > 0)
        {
            uint ip = pending.Pop();
            while (true)
            {
                if (_decoded.ContainsKey(ip))
                {
                    break;
                }

                DecodedInstruction? d = Decode(ip);
                _decoded[ip] = d;
                if (d is null)
                {
                    break;
                }

                uint next = d.NextIp;
                switch (d.Flow)
                {
                    case FlowControl.Next:
                        if (d.IsFallback && d.EndsInterpreterBlock)
                        {
                            AddEntry(next); // translated code leaves after it; the interpreter looks up the next block
                            ip = 0;
                        }
                        else
                        {
                            // Into the next page too: whether that is another method, and so an entry, is decided
                            // once methods are formed (GroupByPage).
                            ip = next;
                        }

                        break;
                    case FlowControl.ConditionalBranch:
                        if (d.DirectTarget is uint taken)
                        {
                            pending.Push(taken);
                        }

                        pending.Push(next);
                        ip = 0;
                        break;
                    case FlowControl.UnconditionalBranch:
                        if (d.DirectTarget is uint target && !_image.InHypercallPage(target))
                        {
                            pending.Push(target);
                        }

                        ip = 0;
                        break;
                    case FlowControl.Call:
                        if (d.DirectTarget is uint callee && !_image.InHypercallPage(callee))
                        {
                            AddEntry(callee);
                            _functionStarts.Add(callee);
                        }

                        AddEntry(next);
                        ip = 0;
                        break;
                    case FlowControl.IndirectCall:
                    case FlowControl.Interrupt:
                        AddEntry(next);
                        ip = 0;
                        break;
                    default:
                        ip = 0; // returns, indirect jumps, exceptions (UD2, INT3 ... continue where the guest says)
                        break;
                }

                if (ip == 0)
                {
                    break;
                }
            }
        }
    }

    /// <summary>The instruction at <paramref name="ip"/>, or null when it is not wholly inside one loaded range and one page.</summary>
    private DecodedInstruction? Decode(uint ip)
    {
        if (_image.InHypercallPage(ip) || !_image.TryLocate(ip, out LoadedRange range, out int offset))
        {
            return null;
        }

        int available = System.Math.Min(range.Bytes.Length - offset, 4096 - (int)(ip & 0xFFF));
        if (available <= 0)
        {
            return null;
        }

        int window = System.Math.Min(available, 15);
        var bytes = new byte[window];
        System.Array.Copy(range.Bytes, offset, bytes, 0, window);
        var decoder = Decoder.Create(32, new ByteArrayCodeReader(bytes), ip, DecoderOptions.None);
        decoder.Decode(out Instruction instruction);
        if (decoder.LastError == DecoderError.NoMoreBytes)
        {
            return null; // straddles the page or the end of the loaded bytes: the interpreter fetches it
        }

        var exact = new byte[instruction.Length];
        System.Array.Copy(bytes, exact, exact.Length);
        return new DecodedInstruction(instruction, exact);
    }

    /// <summary>
    /// Groups the code by page, a function that runs on into the next page taking its tail along (when both pages
    /// are one physically contiguous load), cuts each group into methods, and makes every address that control
    /// reaches from another method an entry of its own.
    /// </summary>
    private List<PageCode> GroupByPage()
    {
        var byPage = new SortedDictionary<uint, List<DecodedInstruction>>();
        foreach (KeyValuePair<uint, DecodedInstruction?> pair in _decoded)
        {
            if (pair.Value is null)
            {
                continue;
            }

            uint page = pair.Key & 0xFFFF_F000;
            if (!byPage.TryGetValue(page, out List<DecodedInstruction>? list))
            {
                list = new List<DecodedInstruction>();
                byPage[page] = list;
            }

            list.Add(pair.Value);
        }

        var groups = new SortedDictionary<uint, List<DecodedInstruction>>();
        var starts = new List<uint>(_functionStarts);
        starts.Sort();
        foreach (KeyValuePair<uint, List<DecodedInstruction>> pair in byPage)
        {
            if (pair.Value.Count > MaxInstructionsPerPage)
            {
                _warnings.Add($"page 0x{pair.Key:X8}: {pair.Value.Count} instructions decoded, more than {MaxInstructionsPerPage}; left to the interpreter");
                continue;
            }

            pair.Value.Sort((a, b) => a.Ip.CompareTo(b.Ip));

            // The code before the page's first function start belongs to the function before it: when that one
            // begins in the previous page, the tail joins the previous page's group.
            uint previous = pair.Key - 0x1000;
            int k = starts.BinarySearch(pair.Key);
            int firstHere = k >= 0 ? k : ~k;
            bool joins = firstHere > 0 && (starts[firstHere - 1] & 0xFFFF_F000) == previous && groups.ContainsKey(previous)
                && OneLoad(previous, pair.Key);
            uint tailEnd = !joins ? pair.Key : firstHere < starts.Count ? starts[firstHere] : uint.MaxValue;
            foreach (DecodedInstruction d in pair.Value)
            {
                uint owner = d.Ip < tailEnd ? previous : pair.Key;
                if (!groups.TryGetValue(owner, out List<DecodedInstruction>? group))
                {
                    group = new List<DecodedInstruction>();
                    groups[owner] = group;
                }

                group.Add(d);
            }
        }

        var chunks = new List<(uint Page, List<DecodedInstruction> Code)>();
        foreach (KeyValuePair<uint, List<DecodedInstruction>> pair in groups)
        {
            foreach (List<DecodedInstruction> chunk in Split(pair.Value))
            {
                chunks.Add((pair.Key, chunk));
            }
        }

        var chunkOf = new Dictionary<uint, int>();
        for (int c = 0; c < chunks.Count; c++)
        {
            foreach (DecodedInstruction d in chunks[c].Code)
            {
                chunkOf[d.Ip] = c;
            }
        }

        var entries = new SortedSet<uint>[chunks.Count];
        for (int c = 0; c < chunks.Count; c++)
        {
            entries[c] = new SortedSet<uint>();
        }

        for (int c = 0; c < chunks.Count; c++)
        {
            foreach (DecodedInstruction d in chunks[c].Code)
            {
                if (_entries.Contains(d.Ip))
                {
                    entries[c].Add(d.Ip);
                }

                // Control that passes to another method enters it there.
                foreach (uint successor in new[] { d.NextIp, d.DirectTarget ?? d.NextIp })
                {
                    if (chunkOf.TryGetValue(successor, out int other) && other != c)
                    {
                        entries[other].Add(successor);
                    }
                }
            }
        }

        var pages = new List<PageCode>();
        for (int c = 0; c < chunks.Count; c++)
        {
            _image.TryLocate(chunks[c].Code[0].Ip, out LoadedRange range, out _);
            uint physicalPage = (range.Physical + (chunks[c].Page - range.Linear)) & 0xFFFF_F000;
            pages.Add(new PageCode(chunks[c].Page, physicalPage, chunks[c].Code, entries[c]));
        }

        return pages;
    }

    /// <summary>Whether two adjacent pages of linear addresses come from one loaded range (so are physically adjacent too).</summary>
    private bool OneLoad(uint page, uint nextPage) =>
        _image.TryLocate(page | 0xFFF, out LoadedRange first, out _) && _image.TryLocate(nextPage, out LoadedRange second, out _)
        && ReferenceEquals(first, second);

    /// <summary>
    /// The size of method aimed at, in <see cref="Weight"/> units (about 128 instructions): the JIT optimises large
    /// methods less, Roslyn compiles them slowly.
    /// </summary>
    public const int MethodWeight = 128;

    /// <summary>
    /// The largest method, in <see cref="Weight"/> units. The JIT compiles a method of over 2,000 basic blocks
    /// without optimizations when it compiles it at run time (the direct IL back end's groups); a memory access is
    /// several blocks (the TLB probe, its slow path, the reload after it), so it weighs two.
    /// </summary>
    public const int MaxMethodWeight = 3 * MethodWeight;

    /// <summary>What an instruction adds to its method's size: two for one that accesses memory or may fault, else one.</summary>
    private static int Weight(DecodedInstruction d) => d.CanFault ? 2 : 1;

    /// <summary>
    /// Cuts a page's code into methods of about <see cref="MethodWeight"/> where functions begin: a function of up
    /// to <see cref="MaxMethodWeight"/> stays whole, so its loops, and the targets of its jump tables, are gotos
    /// inside one method rather than chains between two (an indirect jump to another method goes through the image's
    /// dispatch and that method's entry switch). A longer function is cut where control does not fall through (after
    /// a return or a jump).
    /// </summary>
    private List<List<DecodedInstruction>> Split(List<DecodedInstruction> code)
    {
        var chunks = new List<List<DecodedInstruction>>();
        var current = new List<DecodedInstruction>();
        int weight = 0;
        int k = 0;
        while (k < code.Count)
        {
            int end = k + 1, length = Weight(code[k]);
            while (end < code.Count && !_functionStarts.Contains(code[end].Ip))
            {
                length += Weight(code[end]);
                end++;
            }

            if (current.Count > 0 && (weight >= MethodWeight || weight + length > MaxMethodWeight))
            {
                chunks.Add(current);
                current = new List<DecodedInstruction>();
                weight = 0;
            }

            if (length <= MaxMethodWeight)
            {
                current.AddRange(code.GetRange(k, end - k));
                weight += length;
            }
            else
            {
                for (int j = k; j < end; j++)
                {
                    DecodedInstruction d = code[j];
                    if (current.Count > 0)
                    {
                        DecodedInstruction previous = current[current.Count - 1];
                        bool boundary = previous.NextIp != d.Ip || previous.Flow is FlowControl.Return or FlowControl.UnconditionalBranch or FlowControl.IndirectBranch;
                        if ((boundary && weight >= MethodWeight) || weight + Weight(d) > MaxMethodWeight)
                        {
                            chunks.Add(current);
                            current = new List<DecodedInstruction>();
                            weight = 0;
                        }
                    }

                    current.Add(d);
                    weight += Weight(d);
                }
            }

            k = end;
        }

        chunks.Add(current);
        return chunks;
    }
}
