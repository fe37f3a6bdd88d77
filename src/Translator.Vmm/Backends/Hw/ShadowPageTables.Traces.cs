namespace Translator.Vmm.Backends.Hw;

/// <summary>
/// Traces, VMware's way of keeping shadow page tables coherent (used by the deprivileging VMMs): every guest
/// page-table page a shadow entry was derived from is write-protected in the shadow, so the guest's own write to it
/// faults into the VMM, which drops exactly the shadow entries derived from that page and lets the write proceed.
/// Because a traced shadow never goes stale, it survives CR3 switches: one shadow context is kept per guest address
/// space (up to <see cref="_contextCr3"/>'s length), and switching back to a known CR3 costs no refill.
/// <para>
/// Dropping shadow state is always safe (it is a cache), missing a drop is not, so the bookkeeping is conservative:
/// derivations of a recycled context stay recorded (dropping them later only drops more). A page table the guest
/// writes through its own mapping (an identity-mapped kernel editing its PTEs: write-protecting it would re-trace
/// the very page written, forever) stays writable and is marked <em>unsynced</em>, KVM's term: the shadow state
/// derived from it is dropped at the next INVLPG or CR3 load, exactly when a TLB would drop the translation.
/// </para>
/// </summary>
internal sealed partial class ShadowPageTables
{
    /// <summary>For each traced guest page-table frame, the shadow state derived from it: (context, directory index), index -1 for a whole directory.</summary>
    private readonly Dictionary<uint, List<(int Context, int Index)>> _derived = [];

    /// <summary>For each guest frame, shadow PTEs that map it writable (host address of the entry, linear address it maps).</summary>
    private readonly Dictionary<uint, List<(uint Entry, uint Linear)>> _writableMappings = [];

    /// <summary>Traced frames left writable because the guest writes them through a mapping derived from themselves.</summary>
    private readonly HashSet<uint> _unsynced = [];

    private readonly uint[] _contextCr3 = [];
    private readonly bool[] _contextValid = [];
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
        if (!DropDerived(guestPhysical & 0xFFFF_F000))
        {
            return false;
        }

        TraceHits++;
        _cpu.InvalidateTranslations();
        return true;
    }

    /// <summary>Drops the shadow state derived from <paramref name="frame"/> and stops tracing it.</summary>
    private bool DropDerived(uint frame)
    {
        if (!_derived.Remove(frame, out List<(int Context, int Index)>? derivations))
        {
            return false;
        }

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

        return true;
    }

    /// <summary>INVLPG or a CR3 load: the shadow state derived from unsynced page tables goes, as a TLB's would.</summary>
    private void SyncUnsynced()
    {
        if (_unsynced.Count == 0)
        {
            return;
        }

        foreach (uint frame in _unsynced)
        {
            DropDerived(frame);
        }

        _unsynced.Clear();
        _cpu.InvalidateTranslations();
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
        Trace(directoryFrame, (_current, -1));
        if (tableFrame is uint table)
        {
            Trace(table, (_current, index));
        }

        if (target == directoryFrame || target == tableFrame)
        {
            _unsynced.Add(target); // the guest edits this table through itself: see the class remarks
            return false;
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
        SyncUnsynced();
        int found = Array.FindIndex(_contextCr3, c => c == cr3);
        if (found >= 0 && _contextValid[found])
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
        _derived.Clear();
        _unsynced.Clear();
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
