using Translator.Machine.Devices;
using Translator.Machine.Execution;
using Translator.Machine.Memory;

namespace Translator.Machine.Snapshots;

/// <summary>
/// A whole guest machine at one instruction boundary, independent of the technique that ran it: the processor
/// (<see cref="CpuState"/>), guest RAM (its non-zero pages), every device of the board with its pending interrupts
/// (the 8259 pair, the 8254, COM1, the local and I/O APICs with the APIC timer, the CMOS RTC, fw_cfg, isa-debug-exit and the
/// optional devices), virtual time, and how long a halted CPU has idled without an interrupt.
/// </summary>
public sealed class MachineState
{
    public const int PageSize = 4096;

    public required CpuState Cpu { get; init; }

    /// <summary>Virtual time in nanoseconds (it runs ahead of the retired count while the CPU halts).</summary>
    public ulong Now { get; init; }

    /// <summary>Timer events a halted CPU has already waited through without an interrupt (see <see cref="HaltedCpu"/>).</summary>
    public int FruitlessWakeups { get; init; }

    public required uint RamBytes { get; init; }

    /// <summary>The page numbers of RAM pages that are not all zeros, ascending; their bytes follow in <see cref="PageData"/>.</summary>
    public required uint[] Pages { get; init; }

    public required byte[] PageData { get; init; }

    /// <summary>The board's devices, each as its fingerprint and its fields (<see cref="DeviceState"/>).</summary>
    public required byte[] Devices { get; init; }

    /// <summary>Takes everything but the processor, which the backend captures in the guest's view (<paramref name="cpu"/>).</summary>
    public static MachineState Capture(CpuState cpu, PhysicalMemory memory, uint ramBytes, PcBoard board, VirtualClock clock, HaltedCpu halted)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(board);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(halted);

        // The RTC brings its flags and schedule up to date lazily; catching up now (what its next access or deadline
        // would do at this same time) makes the saved state independent of when it was last looked at.
        board.Rtc.Advance(clock.Now);
        var pages = new List<uint>();
        var data = new MemoryStream();
        for (uint page = 0; page < ramBytes / PageSize; page++)
        {
            Span<byte> bytes = memory.Span(page * PageSize, PageSize);
            if (bytes.ContainsAnyExcept((byte)0))
            {
                pages.Add(page);
                data.Write(bytes);
            }
        }

        return new MachineState
        {
            Cpu = cpu,
            Now = clock.Now,
            FruitlessWakeups = halted.FruitlessWakeups,
            RamBytes = ramBytes,
            Pages = [.. pages],
            PageData = data.ToArray(),
            Devices = SaveDevices(board),
        };
    }

    /// <summary>
    /// Puts RAM, the devices and time into a freshly built machine (before anything ran on it); the backend then
    /// loads <see cref="Cpu"/> into its processor its own way. Throws <see cref="InvalidDataException"/> when the
    /// state does not fit the machine (another RAM size, another device model).
    /// </summary>
    public void RestoreInto(PhysicalMemory memory, uint ramBytes, PcBoard board, VirtualClock clock, HaltedCpu halted)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(board);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(halted);
        if (ramBytes != RamBytes)
        {
            throw new InvalidDataException($"the snapshot's machine has {RamBytes >> 20} MiB of RAM, this one {ramBytes >> 20} MiB");
        }

        memory.Span(0, (int)ramBytes).Clear();
        for (int i = 0; i < Pages.Length; i++)
        {
            PageData.AsSpan(i * PageSize, PageSize).CopyTo(memory.Span(Pages[i] * PageSize, PageSize));
        }

        clock.AdvanceTo(Now);
        halted.FruitlessWakeups = FruitlessWakeups;
        RestoreDevices(board, Devices);
    }

    /// <summary>The board's devices in a fixed order; the optional ones are present or absent as the board was built.</summary>
    private static IEnumerable<(string Name, object? Device)> DevicesOf(PcBoard board) =>
    [
        ("pic", board.Pic), ("pit", board.Pit), ("uart", board.Uart), ("lapic", board.Apic), ("ioapic", board.IoApic),
        ("fwcfg", board.FwCfg), ("debug-exit", board.DebugExit), ("isa-debugcon", board.DebugConsole), ("pc-testdev", board.TestDevice),
        ("acpi-pm", board.PowerManagement), ("rtc", board.Rtc),
    ];

    /// <summary>Devices a later snapshot format added at the end: an older snapshot ends before them, and they keep the state the board was built with.</summary>
    private static readonly HashSet<string> s_addedLater = ["rtc"];

    private static byte[] SaveDevices(PcBoard board)
    {
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            foreach ((string name, object? device) in DevicesOf(board))
            {
                writer.Write(name);
                writer.Write(device is null ? "" : DeviceState.Fingerprint(device.GetType()));
                if (device is not null)
                {
                    DeviceState.Save(device, writer);
                }
            }
        }

        return stream.ToArray();
    }

    private static void RestoreDevices(PcBoard board, byte[] devices)
    {
        using var reader = new BinaryReader(new MemoryStream(devices, writable: false));
        foreach ((string name, object? device) in DevicesOf(board))
        {
            if (reader.BaseStream.Position == reader.BaseStream.Length && s_addedLater.Contains(name))
            {
                continue; // format 3 had no RTC: it starts from the board's base time
            }

            string savedName = reader.ReadString();
            string fingerprint = reader.ReadString();
            if (savedName != name)
            {
                throw new InvalidDataException($"device '{savedName}' where '{name}' was expected");
            }

            if ((fingerprint.Length == 0) != (device is null))
            {
                throw new InvalidDataException($"the snapshot's machine {(device is null ? "has" : "has no")} {name} device");
            }

            if (device is null)
            {
                continue;
            }

            if (fingerprint != DeviceState.Fingerprint(device.GetType()))
            {
                throw new InvalidDataException($"the {name} device's state was saved by a different version of the device model");
            }

            DeviceState.Restore(device, reader);
            if (device is IRestoredStateCheck check)
            {
                try
                {
                    check.CheckRestoredState();
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"the {name} device's restored state is invalid: {e.Message}", e);
                }
            }
        }

        board.Apic.MoveWindowToBase();
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Cpu.Write(writer);
        writer.Write(Now);
        writer.Write(FruitlessWakeups);
        writer.Write(RamBytes);
        writer.Write(Pages.Length);
        foreach (uint page in Pages)
        {
            writer.Write(page);
        }

        writer.Write(PageData);
        writer.Write(Devices.Length);
        writer.Write(Devices);
    }

    /// <summary>The virtual clock's limit, 2^62 ns: far past any run, and far enough from 2^64 that no device's time arithmetic wraps.</summary>
    public const ulong MaxVirtualTime = 1UL << 62;

    /// <summary>Reads a machine; <paramref name="withSimd"/> false: written before the CPU state held XMM/MXCSR (reset values).</summary>
    public static MachineState Read(BinaryReader reader, bool withSimd = true)
    {
        ArgumentNullException.ThrowIfNull(reader);
        CpuState cpu = CpuState.Read(reader, withSimd);
        ulong now = reader.ReadUInt64();
        int wakeups = reader.ReadInt32();
        uint ramBytes = reader.ReadUInt32();
        int count = reader.ReadInt32();
        if (now > MaxVirtualTime)
        {
            // Devices add their periods (a second, at most) to times at or before now; near 2^64 ns those sums wrap
            // and a catch-up loop never ends (AFL++ found the RTC's update cycles spinning so).
            throw new InvalidDataException($"virtual time {now} ns, past the {MaxVirtualTime} ns (some 146 years) a machine can have run");
        }

        if (wakeups < 0)
        {
            // The halted CPU counts up to its limit from here: a negative count would idle for two billion timer events
            // (a count past the limit is the verdict "halted for good", which a machine can be saved in).
            throw new InvalidDataException($"{wakeups} fruitless wakeups of a halted CPU, where the count starts at 0");
        }

        if (ramBytes == 0 || ramBytes % PageSize != 0 || count < 0 || (uint)count > ramBytes / PageSize)
        {
            throw new InvalidDataException($"{count} pages of a {ramBytes}-byte RAM");
        }

        var pages = new uint[count];
        for (int i = 0; i < count; i++)
        {
            pages[i] = reader.ReadUInt32();
            if (pages[i] >= ramBytes / PageSize || (i > 0 && pages[i] <= pages[i - 1]))
            {
                throw new InvalidDataException($"page {pages[i]} out of order or past RAM");
            }
        }

        byte[] data = ReadExactly(reader, count * PageSize);
        int devicesLength = reader.ReadInt32();
        byte[] devices = ReadExactly(reader, devicesLength);
        return new MachineState { Cpu = cpu, Now = now, FruitlessWakeups = wakeups, RamBytes = ramBytes, Pages = pages, PageData = data, Devices = devices };
    }

    private static byte[] ReadExactly(BinaryReader reader, int length)
    {
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new EndOfStreamException();
        }

        return reader.ReadBytes(length);
    }
}
