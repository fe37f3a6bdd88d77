namespace Translator.Guest;

/// <summary>
/// The CMOS real-time clock (MC146818 at ports 0x70/0x71, docs/devices.md): the date and time read the way firmware
/// and Linux read them. Waits until no update is in progress (UIP: the last 244 µs before each update), then reads
/// every field, in BCD or binary and 12- or 24-hour format as register B says.
/// </summary>
[GuestCode]
internal static class CmosClock
{
    private const ushort IndexPort = 0x70, DataPort = 0x71;
    private const byte RegisterA = 0x0A, RegisterB = 0x0B, UpdateInProgress = 0x80, Binary = 0x04, TwentyFourHour = 0x02, Pm = 0x80;

    /// <summary>One CMOS byte (NMI-mask bit clear).</summary>
    public static byte ReadRegister(byte index)
    {
        Cpu.Out8(IndexPort, index);
        return Cpu.In8(DataPort);
    }

    /// <summary>The date and time (UTC unless the host started the clock otherwise: <c>--rtc-base</c>), the year in full (century byte 0x32).</summary>
    public static void Read(out uint year, out uint month, out uint day, out uint hour, out uint minute, out uint second)
    {
        while ((ReadRegister(RegisterA) & UpdateInProgress) != 0)
        {
        }

        byte format = ReadRegister(RegisterB);
        second = Field(ReadRegister(0x00), format);
        minute = Field(ReadRegister(0x02), format);
        byte hours = ReadRegister(0x04);
        hour = Field((byte)(hours & 0x7F), format);
        if ((format & TwentyFourHour) == 0)
        {
            hour = (hour % 12) + ((hours & Pm) != 0 ? 12u : 0u);
        }

        day = Field(ReadRegister(0x07), format);
        month = Field(ReadRegister(0x08), format);
        year = (Field(ReadRegister(0x32), format) * 100) + Field(ReadRegister(0x09), format);
    }

    /// <summary>Writes the date and time to the console as <c>YYYY-MM-DD HH:MM:SS</c>.</summary>
    public static void WriteDateTime()
    {
        Read(out uint year, out uint month, out uint day, out uint hour, out uint minute, out uint second);
        Console.WriteDecimal(year);
        Console.Write('-');
        WriteTwoDigits(month);
        Console.Write('-');
        WriteTwoDigits(day);
        Console.Write(' ');
        WriteTwoDigits(hour);
        Console.Write(':');
        WriteTwoDigits(minute);
        Console.Write(':');
        WriteTwoDigits(second);
    }

    private static uint Field(byte value, byte format) =>
        (format & Binary) != 0 ? value : (uint)(((value >> 4) * 10) + (value & 0x0F));

    private static void WriteTwoDigits(uint value)
    {
        if (value < 10)
        {
            Console.Write('0');
        }

        Console.WriteDecimal(value);
    }
}
