namespace Translator.Vmm.Backends.Hw;

/// <summary>
/// Traces, VMware's way of keeping shadow page tables coherent (used by the deprivileging VMMs): every guest
/// page-table page a shadow entry was derived from is write-protected in the shadow, so the guest's own write to it
/// faults into the VMM, which drops exactly the shadow entries derived from that page and lets the write proceed.
/// Because a traced shadow never goes stale, it survives CR3 switches: one shadow context is kept per guest address
/// space (up to <see cref="_contextCr3"/>'s length), and switching back to a known CR3 costs no refill.
/// <para>
/// Dropping shadow state is always safe (it is a cache), missing a drop is not, so the bookkeeping is conservative:
/// derivations of a recycled context stay recorded (dropping them later only drops more), and a guest page table that
/// maps itself (a write through it would re-trace the page it writes) marks its context untraceable: that context
/// falls back to the virtual-TLB discipline (INVLPG and CR3 loads drop entries) and is rebuilt on every switch.
/// </para>
/// </summary>
internal sealed partial class ShadowPageTables
{
    /// <summary>For each traced guest page-table frame, the shadow state derived from it: (context, directory index), index -1 for a whole directory.</summary>
    private readonly Dictionary<uint, List<(int Context, int Index)>> _derived = [];

    /// <summary>For each guest frame, shadow PTEs that map it writable (host address of the entry, linear address it maps).</summary>
    private readonly Dictionary<uint, List<(uint Entry, uint Linear)>> _writableMappings = [];

    private readonly uint[] _contextCr3 = [];
    private readonly bool[] _contextValid = [];
    private readonly bool[] _contextUntraceable = [];
    private int _current;
    private int _nextVictim;

    private bool Traced => _contextCr3.Length > 0;

    /// <summary>Guest writes to traced page-table pages (each dropped the shadow state derived from the page).</summary>
    public long TraceHits { get; private set; }

    /// <summary>CR3 loads that found their address space's shadow still valid.</summary>
    public long ContextReuses { get; private set; }

    private uint DirectoryOf(int context) => _poolBase + ((uint)context << 12);

    /// <summary>True when the write fault hit a traced page: the derived shadow state is dropped and the write may proceed.</summary>
    private bool HitTrace(uint guestPhysical)
    {
        uint frame = guestPhysical & 0xFFFF_F000;
        if (!_derived.Remove(frame, out List<(int Context, int Index)>? derivations))
        {
            return false;
        }

        TraceHits++;
        foreach ((int context, int index) in derivations)
        {
            uint directory = DirectoryOf(context);
            if (index < 0)
            {
                _host.Span(directory, 4096).Clear();
            }
            else
            {
                _host.Write32(directory + ((uint)index << 2), 0);
            }
        }

        _cpu.InvalidateTranslations();
        return true;
    }

    /// <summary>
    /// Records that the shadow entry just filled for <paramref name="linear"/> was derived from the guest's directory
    /// and (for a 4 KiB page) table, write-protecting them; returns whether <paramref name="target"/> (the frame being
    /// mapped) is itself traced, so the new entry must be read-only.
    /// </summary>
    private bool TraceWalk(uint linear, uint target)
    {
        uint directoryFrame = GuestCr3 & 0xFFFF_F000;
        int index = (int)(linear >> 22);
        uint pde = _guest.Read32(directoryFrame + ((uint)index << 2));
        uint? tableFrame = (pde & 0x80) != 0 && Paging.PageSizeExtensions ? null : pde & 0xFFFF_F000;
        target &= 0xFFFF_F000;
        if (target == directoryFrame || target == tableFrame)
        {
            _contextUntraceable[_current] = true; // a page table mapping itself: see the class remarks
            return false;
        }

        Trace(directoryFrame, (_current, -1));
        if (tableFrame is uint table)
        {
            Trace(table, (_current, index));
        }

        return _derived.ContainsKey(target);
    }

    private void Trace(uint frame, (int Context, int Index) derivation)
    {
        if (!_derived.TryGetValue(frame, out List<(int Context, int Index)>? derivations))
        {
            derivations = [];
            _derived[frame] = derivations;
            WriteProtect(frame);
        }

        if (!derivations.Contains(derivation))
        {
            derivations.Add(derivation);
        }
    }

    /// <summary>Takes write permission from every shadow entry that maps <paramref name="frame"/> (it became a traced page).</summary>
    private void WriteProtect(uint frame)
    {
        if (!_writableMappings.Remove(frame, out List<(uint Entry, uint Linear)>? mappings))
        {
            return;
        }

        uint hostFrame = _guest.HostFrameOf(frame);
        foreach ((uint entry, uint _) in mappings)
        {
            uint value = _host.Read32(entry);
            if ((value & 0xFFFF_F000) == hostFrame && (value & Writable) != 0)
            {
                _host.Write32(entry, value & ~Writable);
            }
        }

        // The entries may since map other linear addresses (tables are reused): drop every cached translation.
        _cpu.Mmu.FlushAll();
    }

    private void RecordWritableMapping(uint frame, uint entry, uint linear)
    {
        frame &= 0xFFFF_F000;
        if (!_writableMappings.TryGetValue(frame, out List<(uint Entry, uint Linear)>? mappings))
        {
            mappings = [];
            _writableMappings[frame] = mappings;
        }

        mappings.Add((entry, linear));
    }

    /// <summary>
    /// A CR3 load under traces: the address space's own shadow context when it is still valid, otherwise a recycled
    /// one, emptied. Returns false when the shadow must be flushed instead (the guest does not page).
    /// </summary>
    private void SwitchContext(uint cr3)
    {
        int found = Array.FindIndex(_contextCr3, c => c == cr3);
        if (found >= 0 && _contextValid[found] && !_contextUntraceable[found])
        {
            ContextReuses++;
            _current = found;
        }
        else
        {
            _current = found >= 0 ? found : NextVictim();
            _host.Span(DirectoryOf(_current), 4096).Clear();
            _contextCr3[_current] = cr3;
            _contextValid[_current] = true;
            _contextUntraceable[_current] = false;
            Flushes++;
        }

        _directory = DirectoryOf(_current);
        InstallRealRegisters();
    }

    private int NextVictim()
    {
        int victim = _nextVictim;
        _nextVictim = (_nextVictim + 1) % _contextCr3.Length;
        return victim;
    }

    /// <summary>Forgets every context and trace (a paging-mode change, or the table pool ran out).</summary>
    private void ResetContexts()
    {
        Array.Clear(_contextValid);
        Array.Clear(_contextUntraceable);
        _derived.Clear();
        _writableMappings.Clear();
        for (int context = 0; context < _contextCr3.Length; context++)
        {
            _host.Span(DirectoryOf(context), 4096).Clear();
        }

        _current = 0;
        _nextVictim = 1 % _contextCr3.Length;
        _contextCr3[0] = GuestCr3;
        _contextValid[0] = true;
        _directory = DirectoryOf(0);
    }
}
