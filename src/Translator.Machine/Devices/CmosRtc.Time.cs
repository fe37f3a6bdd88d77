namespace Translator.Machine.Devices;

/// <summary>The clock's time, its register formats (BCD or binary, 12- or 24-hour), the alarm and the firmware's NVRAM bytes.</summary>
public sealed partial class CmosRtc
{
    /// <summary>The clock's time at virtual time <paramref name="at"/>: whole seconds since 1970 (UTC) and the fraction past them.</summary>
    private (long Seconds, ulong Fraction, CivilTime Civil) TimeAt(ulong at)
    {
        ulong elapsed = (at > _lastUpdate ? at - _lastUpdate : 0) + _offset;
        long seconds = _baseSeconds + (long)(elapsed / NanosecondsPerSecond);
        return (seconds, elapsed % NanosecondsPerSecond, CivilTime.FromUnixSeconds(seconds));
    }

    private bool Binary => (_cmos[RegisterB] & BBinary) != 0;

    private bool TwentyFourHour => (_cmos[RegisterB] & B24Hour) != 0;

    private byte Encode(long value)
    {
        int v = (int)(((value % 100) + 100) % 100);
        return Binary ? (byte)v : (byte)(((v / 10) << 4) | (v % 10));
    }

    /// <summary>A register's number in the current format; the "don't care" codes 0xC0-0xFF decode to -1.</summary>
    private int Decode(byte value)
    {
        if ((value & 0xC0) == 0xC0)
        {
            return -1;
        }

        return Binary ? value : ((value >> 4) * 10) + (value & 0x0F);
    }

    /// <summary>An hours byte as 0-23: in 12-hour mode 1-12 with bit 7 for PM (12 AM is midnight).</summary>
    private int DecodeHours(byte value)
    {
        int hours = Decode((byte)(value & 0x7F));
        if (!TwentyFourHour)
        {
            hours = (hours % 12) + ((value & 0x80) != 0 ? 12 : 0);
        }

        return hours;
    }

    private void RenderTime(CivilTime time)
    {
        _cmos[Seconds] = Encode(time.Second);
        _cmos[Minutes] = Encode(time.Minute);
        if (TwentyFourHour)
        {
            _cmos[Hours] = Encode(time.Hour);
        }
        else
        {
            int hours = time.Hour % 12 == 0 ? 12 : time.Hour % 12;
            _cmos[Hours] = (byte)(Encode(hours) | (time.Hour >= 12 ? 0x80 : 0));
        }

        _cmos[DayOfWeek] = Encode(time.DayOfWeek + 1); // 1 = Sunday
        _cmos[DayOfMonth] = Encode(time.Day);
        _cmos[Month] = Encode(time.Month);
        _cmos[Year] = Encode(time.Year % 100);
        _cmos[Century] = Encode(time.Year / 100);
    }

    /// <summary>The time the guest wrote becomes the clock's (the day of week is derived, as QEMU ignores the written one).</summary>
    private void SetTimeFromRegisters(ulong now)
    {
        long year = Decode(_cmos[Year]) + (Decode(_cmos[Century]) * 100L);
        long days = CivilTime.DaysFromCivil(year, Decode(_cmos[Month]), Decode(_cmos[DayOfMonth]));
        _baseSeconds = (days * 86_400) + (DecodeHours(_cmos[Hours]) * 3600L) + (Decode(_cmos[Minutes]) * 60L) + Decode(_cmos[Seconds]);
        _lastUpdate = now;
    }

    private bool AlarmMatches(CivilTime time)
    {
        static bool Matches(byte alarm, int value, int decoded) => (alarm & 0xC0) == 0xC0 || decoded == value;
        return Matches(_cmos[SecondsAlarm], time.Second, Decode(_cmos[SecondsAlarm]))
            && Matches(_cmos[MinutesAlarm], time.Minute, Decode(_cmos[MinutesAlarm]))
            && Matches(_cmos[HoursAlarm], time.Hour, DecodeHours(_cmos[HoursAlarm]));
    }

    /// <summary>
    /// What QEMU's pc machine leaves in NVRAM for a -kernel guest (checked against qemu-system-i386 7.2, docs/devices.md):
    /// the shutdown status 0 (0x0F), drive A as QEMU's default 2.88 MB floppy (0x10), the equipment byte (0x14: a
    /// floppy drive, a coprocessor, a PS/2 mouse), base memory 640 KiB (0x15/0x16), extended memory in KiB up to
    /// 65535 (0x17/0x18 and 0x30/0x31), memory above 16 MiB in 64 KiB units (0x34/0x35), above 4 GiB (0x5B-0x5D),
    /// the boot order hard disk, floppy, CD (0x3D, 0x38) and the CPU count less one (0x5F).
    /// </summary>
    private static void WriteFirmwareNvram(byte[] cmos, ulong ramBytes)
    {
        const ulong KiB = 1024, MiB = 1024 * KiB;
        ulong below4G = ramBytes >= 0xE000_0000 ? 0xC000_0000 : ramBytes;
        ulong above4G = ramBytes - below4G;
        void Word(int at, ulong value)
        {
            cmos[at] = (byte)value;
            cmos[at + 1] = (byte)(value >> 8);
        }

        cmos[0x0F] = 0x00;
        cmos[0x10] = 0x50;
        cmos[0x14] = 0x07;
        Word(0x15, Math.Min(below4G / KiB, 640));
        ulong extended = Math.Min(below4G > MiB ? (below4G - MiB) / KiB : 0, 0xFFFF);
        Word(0x17, extended);
        Word(0x30, extended);
        Word(0x34, Math.Min(below4G > 16 * MiB ? (below4G - (16 * MiB)) / (64 * KiB) : 0, 0xFFFF));
        ulong high = above4G / (64 * KiB);
        Word(0x5B, high);
        cmos[0x5D] = (byte)(high >> 16);
        cmos[0x38] = 0x30;
        cmos[0x3D] = 0x12;
        cmos[0x5F] = 0x00;
    }

    /// <summary>A UTC calendar time, from and to seconds since 1970, for any year (no library range to overflow).</summary>
    private readonly record struct CivilTime(long Year, int Month, int Day, int Hour, int Minute, int Second, int DayOfWeek)
    {
        public static CivilTime FromUnixSeconds(long seconds)
        {
            long days = Math.DivRem(seconds, 86_400L, out long rest);
            if (rest < 0)
            {
                rest += 86_400;
                days--;
            }

            // Days to year/month/day in the proleptic Gregorian calendar (eras of 400 years from 0000-03-01).
            long z = days + 719_468;
            long era = (z >= 0 ? z : z - 146_096) / 146_097;
            long dayOfEra = z - (era * 146_097);
            long yearOfEra = (dayOfEra - (dayOfEra / 1460) + (dayOfEra / 36_524) - (dayOfEra / 146_096)) / 365;
            long dayOfYear = dayOfEra - ((365 * yearOfEra) + (yearOfEra / 4) - (yearOfEra / 100));
            long mp = ((5 * dayOfYear) + 2) / 153;
            int day = (int)(dayOfYear - (((153 * mp) + 2) / 5) + 1);
            int month = (int)(mp < 10 ? mp + 3 : mp - 9);
            long year = yearOfEra + (era * 400) + (month <= 2 ? 1 : 0);
            int weekday = (int)(((days % 7) + 11) % 7); // 1970-01-01 was a Thursday (4)
            return new CivilTime(year, month, day, (int)(rest / 3600), (int)(rest / 60 % 60), (int)(rest % 60), weekday);
        }

        /// <summary>Days since 1970-01-01 of a date whose fields may be out of range (as a guest may write them), the way QEMU's mktimegm counts.</summary>
        public static long DaysFromCivil(long year, int month, int day)
        {
            long y = year, m = month;
            if (m < 3)
            {
                m += 12;
                y--;
            }

            return day + (((153 * m) - 457) / 5) + (365 * y) + (y / 4) - (y / 100) + (y / 400) - 719_469;
        }
    }
}
