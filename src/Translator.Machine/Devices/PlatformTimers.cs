namespace Translator.Machine.Devices;

/// <summary>The board's timed devices seen as one (the 8254, the local APIC timer and the CMOS RTC): the earliest deadline wins.</summary>
public sealed class PlatformTimers(params ITimedDevice[] devices) : ITimedDevice
{
    public ulong NextDeadline
    {
        get
        {
            ulong next = ulong.MaxValue;
            foreach (ITimedDevice device in devices)
            {
                next = Math.Min(next, device.NextDeadline);
            }

            return next;
        }
    }

    public void Advance(ulong now)
    {
        foreach (ITimedDevice device in devices)
        {
            device.Advance(now);
        }
    }
}
