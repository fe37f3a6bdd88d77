namespace Translator.Guest;

/// <summary>The COM1 console (16550 UART at 0x3F8): polled output, as a kernel's early console does.</summary>
[GuestCode]
internal static class Console
{
    private const ushort Data = 0x3F8;
    private const ushort LineStatus = 0x3FD;
    private const byte TransmitterEmpty = 0x20;

    private static readonly string HexDigits = "0123456789abcdef";

    public static void Write(char c)
    {
        if (KernelImage.IsParavirtual)
        {
            Paravirt.Write(c); // batched into console_io, no polling of the UART through the VMM
        }
        else
        {
            while ((Cpu.In8(LineStatus) & TransmitterEmpty) == 0)
            {
            }

            Cpu.Out8(Data, (byte)c);
        }
    }

    public static void Write(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            Write(text[i]);
        }
    }

    public static void WriteLine(string text)
    {
        Write(text);
        Write('\n');
    }

    public static void WriteLine() => Write('\n');

    /// <summary>Eight lowercase hex digits.</summary>
    public static void WriteHex(uint value)
    {
        for (int shift = 28; shift >= 0; shift -= 4)
        {
            Write(HexDigits[(int)((value >> shift) & 0xF)]);
        }
    }

    /// <summary>Sixteen lowercase hex digits.</summary>
    public static void WriteHex(ulong value)
    {
        WriteHex((uint)(value >> 32));
        WriteHex((uint)value);
    }

    public static void WriteDecimal(uint value)
    {
        if (value >= 10)
        {
            WriteDecimal(value / 10);
        }

        Write((char)('0' + value % 10));
    }

    public static void WriteDecimal(int value)
    {
        if (value < 0)
        {
            Write('-');
            WriteDecimal((uint)-value);
            return;
        }

        WriteDecimal((uint)value);
    }

    public static void WriteDecimal(ulong value)
    {
        if (value >= 10)
        {
            WriteDecimal(value / 10);
        }

        Write((char)('0' + (uint)(value % 10)));
    }

    // What .NET's Console.Write writes for each value: decimal integers, True/False.
    public static void Write(int value) => ConsoleFormat.Signed(value, 0, 0);

    public static void Write(uint value) => ConsoleFormat.Unsigned(value, 0, 0);

    public static void Write(long value) => ConsoleFormat.Signed(value, 0, 0);

    public static void Write(ulong value) => ConsoleFormat.Unsigned(value, 0, 0);

    public static void Write(bool value) => ConsoleFormat.Boolean(value, 0);

    public static void Write(char[] buffer)
    {
        for (int i = 0; i < buffer.Length; i++)
        {
            Write(buffer[i]);
        }
    }

    // WriteLine(value): the value as Write writes it, then a newline (.NET's Console.WriteLine overloads).
    public static void WriteLine(char value)
    {
        Write(value);
        Write('\n');
    }

    public static void WriteLine(int value)
    {
        Write(value);
        Write('\n');
    }

    public static void WriteLine(uint value)
    {
        Write(value);
        Write('\n');
    }

    public static void WriteLine(long value)
    {
        Write(value);
        Write('\n');
    }

    public static void WriteLine(ulong value)
    {
        Write(value);
        Write('\n');
    }

    public static void WriteLine(bool value)
    {
        Write(value);
        Write('\n');
    }

    public static void WriteLine(char[] buffer)
    {
        Write(buffer);
        Write('\n');
    }
}
