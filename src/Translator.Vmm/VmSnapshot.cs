using System.Security.Cryptography;
using System.Text;
using Translator.Machine.Snapshots;

namespace Translator.Vmm;

/// <summary>
/// A saved VM (docs/snapshots.md): the guest's whole machine at an instruction boundary (<see cref="MachineState"/>),
/// the image it booted (so a resume needs nothing else, and binary translation finds its translation), and the machine's
/// configuration (RAM, optional devices). On disk: a header (magic, format version, the technique that took it, the
/// image's SHA-256, the retired count), tagged sections, and a SHA-256 of everything before it.
/// </summary>
public sealed class VmSnapshot
{
    public const ushort FormatVersion = 4; // 2: IA32_MISC_ENABLE in the CPU state, the ACPI PM device among the devices; 3: NMI latch and blocking (CPU), the APIC's pending NMI; 4: the CPU's features (configuration), XMM0-XMM7 and MXCSR (CPU), the x87/MMX registers (section FPU), the CMOS RTC among the devices

    /// <summary>The oldest format this translator still reads: 3 differs from 4 only by what 4 added, which then takes its reset state (the RTC starts from the resuming run's base time).</summary>
    public const ushort OldestReadableVersion = 3;

    private const int HashBytes = 32;

    private static ReadOnlySpan<byte> Magic => "TRNSNAP\x1A"u8;

    private const uint ConfigurationTag = 0x464E_4F43; // "CONF"
    private const uint ImageTag = 0x4741_4D49;         // "IMAG"
    private const uint MachineTag = 0x4843_414D;       // "MACH"
    private const uint EndTag = 0x2044_4E45;           // "END "
    private const uint FpuTag = 0x2055_5046;           // "FPU "

    /// <summary>The technique that took it (<c>native</c>, <c>hw</c>, <c>bt</c>, <c>trap</c>).</summary>
    public required string Backend { get; init; }

    /// <summary>hw's memory virtualization when it was taken (<c>ept</c> or <c>shadow</c>); empty otherwise. Informational.</summary>
    public string Paging { get; init; } = "";

    public required byte[] Image { get; init; }

    public required int MemoryMiB { get; init; }

    public bool DebugConsole { get; init; }

    /// <summary>The processor's optional units the guest ran with; a resumed guest gets the same.</summary>
    public Translator.Machine.Cpu.CpuFeatures CpuFeatures { get; init; }

    public bool TestDevice { get; init; }

    public required MachineState Machine { get; init; }

    public ulong Retired => Machine.Cpu.Retired;

    public string ImageSha256 => Convert.ToHexStringLower(SHA256.HashData(Image));

    public byte[] ToBytes()
    {
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(Backend);
            writer.Write(Paging);
            writer.Write(SHA256.HashData(Image));
            writer.Write(Retired);
            WriteSection(writer, ConfigurationTag, w =>
            {
                w.Write(MemoryMiB);
                w.Write(DebugConsole);
                w.Write(TestDevice);
                w.Write((uint)CpuFeatures);
            });
            WriteSection(writer, ImageTag, w => w.Write(Image));
            WriteSection(writer, MachineTag, Machine.Write);
            if (Machine.Cpu.Fpu is { } fpu)
            {
                WriteSection(writer, FpuTag, fpu.Write);
            }

            WriteSection(writer, EndTag, _ => { });
        }

        byte[] body = stream.ToArray();
        return [.. body, .. SHA256.HashData(body)];
    }

    private static void WriteSection(BinaryWriter writer, uint tag, Action<BinaryWriter> content)
    {
        var section = new MemoryStream();
        using (var w = new BinaryWriter(section, Encoding.UTF8, leaveOpen: true))
        {
            content(w);
        }

        writer.Write(tag);
        writer.Write(section.Length);
        writer.Write(section.GetBuffer(), 0, (int)section.Length);
    }

    /// <summary>Reads a snapshot; <see cref="SnapshotException"/> for anything that is not a whole, intact snapshot of this format.</summary>
    public static VmSnapshot Read(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < Magic.Length + sizeof(ushort) || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new SnapshotException("not a translator snapshot (its first bytes are not the snapshot magic)");
        }

        ushort version = BitConverter.ToUInt16(bytes, Magic.Length);
        if (version < OldestReadableVersion || version > FormatVersion)
        {
            throw new SnapshotException($"snapshot format version {version}; this translator reads versions {OldestReadableVersion}-{FormatVersion}");
        }

        if (bytes.Length < Magic.Length + sizeof(ushort) + HashBytes
            || !SHA256.HashData(bytes.AsSpan(0, bytes.Length - HashBytes)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashBytes)))
        {
            throw new SnapshotException("checksum mismatch: the snapshot is corrupt or truncated");
        }

        try
        {
            return Parse(version, new BinaryReader(new MemoryStream(bytes, 0, bytes.Length - HashBytes, writable: false), Encoding.UTF8));
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException or ArgumentException or OverflowException or FormatException)
        {
            // The checksum held, so the writer itself produced this: still a clear refusal, never a stack trace.
            throw new SnapshotException($"malformed snapshot: {e.Message}", e);
        }
    }

    private static VmSnapshot Parse(ushort version, BinaryReader reader)
    {
        reader.BaseStream.Position = Magic.Length + sizeof(ushort);
        string backend = reader.ReadString();
        string paging = reader.ReadString();
        byte[] imageHash = reader.ReadBytes(HashBytes);
        ulong retired = reader.ReadUInt64();
        int memoryMiB = 0;
        bool debugConsole = false, testDevice = false, configured = false;
        Translator.Machine.Cpu.CpuFeatures features = default;
        byte[]? image = null;
        MachineState? machine = null;
        Translator.Machine.Snapshots.X87State? fpu = null;
        while (true)
        {
            uint tag = reader.ReadUInt32();
            long length = reader.ReadInt64();
            if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
            {
                throw new InvalidDataException($"section of {length} bytes past the end of the file");
            }

            long end = reader.BaseStream.Position + length;
            switch (tag)
            {
                case ConfigurationTag:
                    memoryMiB = reader.ReadInt32();
                    debugConsole = reader.ReadBoolean();
                    testDevice = reader.ReadBoolean();
                    features = version >= 4 ? (Translator.Machine.Cpu.CpuFeatures)reader.ReadUInt32() : default;
                    configured = true;
                    break;
                case ImageTag:
                    image = reader.ReadBytes((int)length);
                    break;
                case MachineTag:
                    machine = MachineState.Read(reader, withSimd: version >= 4);
                    break;
                case FpuTag:
                    fpu = Translator.Machine.Snapshots.X87State.Read(reader);
                    break;
                case EndTag:
                    break;
                default:
                    reader.BaseStream.Position = end; // a section a later writer added: skipped, as its format allows
                    break;
            }

            if (reader.BaseStream.Position != end)
            {
                throw new InvalidDataException($"section {Encoding.ASCII.GetString(BitConverter.GetBytes(tag))} is {length} bytes but holds {reader.BaseStream.Position - (end - length)}");
            }

            if (tag == EndTag)
            {
                break;
            }
        }

        if (!configured || image is null || machine is null)
        {
            throw new InvalidDataException("a section is missing (configuration, image or machine)");
        }

        machine.Cpu.Fpu = fpu;

        if (!SHA256.HashData(image).AsSpan().SequenceEqual(imageHash))
        {
            throw new InvalidDataException("the image inside does not match the header's SHA-256");
        }

        if (memoryMiB is < 2 or > Translator.Machine.Memory.PhysicalMemory.MaxMiB)
        {
            // Before the comparison below: (uint)memoryMiB << 20 wraps, and 4098 MiB would match a 2-MiB machine (AFL++).
            throw new InvalidDataException($"guest memory of {memoryMiB} MiB; a machine has 2 to {Translator.Machine.Memory.PhysicalMemory.MaxMiB} MiB");
        }

        if (machine.Cpu.Retired != retired || machine.RamBytes != (uint)memoryMiB << 20)
        {
            throw new InvalidDataException("the header and the machine state disagree");
        }

        return new VmSnapshot
        {
            Backend = backend, Paging = paging, Image = image, MemoryMiB = memoryMiB,
            DebugConsole = debugConsole, TestDevice = testDevice, CpuFeatures = features, Machine = machine,
        };
    }
}
