using System.Text;
using Translator.Machine.Devices;
using Translator.Machine.Memory;

namespace Translator.Machine.Loader;

/// <summary>
/// The ACPI table set the PC's firmware leaves in memory (ACPI 6.5 ch. 5; version 1.0 layouts, as SeaBIOS gives a
/// 32-bit guest): the RSDP in the BIOS area where an OS scans for it (16-byte aligned in 0xE0000-0xFFFFF), an RSDT
/// naming the FADT and the MADT, the FADT with the fixed-hardware blocks of <see cref="AcpiPowerManagement"/>, a
/// FACS (64-byte aligned; its waking vector is the guest's to write) and an empty DSDT. All of it lies in
/// 0xF1000-0xF11FF, inside the memory map's reserved BIOS range (so no guest takes it for free RAM) and clear of
/// the boot GDT at 0xF0000.
/// </summary>
public static class AcpiTables
{
    public const uint RsdpAddress = 0xF1000;
    public const uint FacsAddress = 0xF1040, RsdtAddress = 0xF1080, FadtAddress = 0xF10C0, DsdtAddress = 0xF1140, MadtAddress = 0xF1180;

    private const int HeaderSize = 36, FadtSize = 116, FacsSize = 64;

    // FADT flags: WBINVD works, C1 is supported, the power and sleep buttons are control-method devices (none are
    // fixed hardware); bit 8 (TMR_VAL_EXT) says the PM timer has 32 bits.
    private const uint FadtFlags = (1u << 0) | (1u << 2) | (1u << 4) | (1u << 5), TimerValueExtended = 1u << 8;

    /// <summary>Writes the table set, describing a PM timer <paramref name="timerBits"/> wide.</summary>
    public static void Write(PhysicalMemory memory, int timerBits = AcpiPowerManagement.QemuCounterBits)
    {
        memory.Span(RsdpAddress, 0x200).Clear();
        WriteRsdp(memory);
        WriteFacs(memory);
        WriteTable(memory, RsdtAddress, "RSDT", 1, body => { Le32(body, FadtAddress); Le32(body, MadtAddress); });
        WriteTable(memory, FadtAddress, "FACP", 1, body => WriteFadtBody(body, timerBits));
        WriteTable(memory, DsdtAddress, "DSDT", 1, _ => { });
        WriteTable(memory, MadtAddress, "APIC", 1, WriteMadtBody);
    }

    private static void WriteRsdp(PhysicalMemory memory)
    {
        Span<byte> rsdp = memory.Span(RsdpAddress, 20);
        Encoding.ASCII.GetBytes("RSD PTR ").CopyTo(rsdp);
        Encoding.ASCII.GetBytes("TRNSLT").CopyTo(rsdp[9..]);      // OEM ID; revision (byte 15) 0: ACPI 1.0
        BitConverter.TryWriteBytes(rsdp[16..], RsdtAddress);
        rsdp[8] = Checksum(rsdp);
    }

    private static void WriteFacs(PhysicalMemory memory)
    {
        Span<byte> facs = memory.Span(FacsAddress, FacsSize);
        Encoding.ASCII.GetBytes("FACS").CopyTo(facs);
        BitConverter.TryWriteBytes(facs[4..], FacsSize);          // length; hardware signature, waking vector,
    }                                                             // global lock and flags stay 0 (no S4BIOS)

    private static void WriteFadtBody(List<byte> body, int timerBits)
    {
        Le32(body, FacsAddress);                                  // FIRMWARE_CTRL
        Le32(body, DsdtAddress);                                  // DSDT
        body.Add(0);                                              // INT_MODEL (ACPI 1.0), reserved since 2.0
        body.Add(0);                                              // Preferred_PM_Profile: unspecified
        Le16(body, 9);                                            // SCI_INT: ISA IRQ 9, as QEMU's PIIX4
        Le32(body, 0);                                            // SMI_CMD 0: ACPI mode is always on
        body.AddRange(new byte[4]);                               // ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT
        Le32(body, AcpiPowerManagement.EventBlock);               // PM1a_EVT_BLK
        Le32(body, 0);                                            // PM1b_EVT_BLK
        Le32(body, AcpiPowerManagement.ControlBlock);             // PM1a_CNT_BLK
        Le32(body, 0);                                            // PM1b_CNT_BLK
        Le32(body, 0);                                            // PM2_CNT_BLK
        Le32(body, AcpiPowerManagement.TimerPort);                // PM_TMR_BLK
        Le32(body, 0);                                            // GPE0_BLK
        Le32(body, 0);                                            // GPE1_BLK
        body.AddRange([4, 2, 0, 4, 0, 0, 0, 0]);                  // PM1_EVT_LEN, PM1_CNT_LEN, PM2, PM_TMR_LEN, GPE0/1 lengths, GPE1_BASE, CST_CNT
        Le16(body, 0xFFF);                                        // P_LVL2_LAT > 100: no C2
        Le16(body, 0xFFF);                                        // P_LVL3_LAT > 1000: no C3
        Le32(body, 0);                                            // FLUSH_SIZE, FLUSH_STRIDE
        body.AddRange(new byte[8]);                               // DUTY_OFFSET/WIDTH, alarms, CENTURY, IAPC_BOOT_ARCH, reserved
        Le32(body, FadtFlags | (timerBits == 32 ? TimerValueExtended : 0));
    }

    private static void WriteMadtBody(List<byte> body)
    {
        Le32(body, LocalApic.DefaultBase);                        // the local APIC's address
        Le32(body, 1);                                            // PCAT_COMPAT: there are 8259s too
        body.AddRange([0, 8, 0, 0, 1, 0, 0, 0]);                  // processor 0, APIC ID 0, enabled
        body.AddRange([1, 12, 0, 0]);                             // I/O APIC ID 0 ...
        Le32(body, IoApic.DefaultBase);                           // ... at its address,
        Le32(body, 0);                                            // ... global interrupts from 0
        body.AddRange([2, 10, 0, 0]);                             // ISA IRQ 0 ...
        Le32(body, 2);                                            // ... is pin 2 (QEMU's wiring),
        Le16(body, 0);                                            // ... bus-conforming polarity and trigger
        body.AddRange([2, 10, 0, 9]);                             // ISA IRQ 9 (the SCI) ...
        Le32(body, 9);                                            // ... is pin 9,
        Le16(body, 0x000D);                                       // ... active high, level triggered
        body.AddRange([4, 6, 0xFF, 0, 0, 1]);                     // every processor's LINT1 is NMI
    }

    private static void WriteTable(PhysicalMemory memory, uint address, string signature, byte revision, Action<List<byte>> fill)
    {
        var body = new List<byte>();
        fill(body);
        Span<byte> table = memory.Span(address, HeaderSize + body.Count);
        Encoding.ASCII.GetBytes(signature).CopyTo(table);
        BitConverter.TryWriteBytes(table[4..], HeaderSize + body.Count);
        table[8] = revision;
        Encoding.ASCII.GetBytes("TRNSLT").CopyTo(table[10..]);    // OEM ID
        Encoding.ASCII.GetBytes("TRANSLAT").CopyTo(table[16..]);  // OEM table ID
        BitConverter.TryWriteBytes(table[24..], 1);               // OEM revision
        Encoding.ASCII.GetBytes("TRNS").CopyTo(table[28..]);      // creator ID
        BitConverter.TryWriteBytes(table[32..], 1);               // creator revision
        body.ToArray().CopyTo(table[HeaderSize..]);
        table[9] = Checksum(table);
    }

    /// <summary>The byte that makes the sum of <paramref name="bytes"/> 0 modulo 256 (the checksum byte itself counted as 0).</summary>
    private static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }

        return (byte)-sum;
    }

    private static void Le16(List<byte> body, uint value) => body.AddRange([(byte)value, (byte)(value >> 8)]);

    private static void Le32(List<byte> body, uint value) => body.AddRange(BitConverter.GetBytes(value));
}
