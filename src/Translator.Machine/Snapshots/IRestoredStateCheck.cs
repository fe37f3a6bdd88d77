namespace Translator.Machine.Snapshots;

/// <summary>
/// A device whose restored fields must satisfy invariants its own code never breaks (a PIT count of 1-65536, an
/// index inside its array, a state selector among its states). <see cref="DeviceState.Restore"/> writes whatever the
/// snapshot holds, so <see cref="MachineState"/> asks the device right after restoring it; a hostile or buggy
/// snapshot is then refused at resume instead of crashing the machine later (a division by zero, an index out of range).
/// </summary>
internal interface IRestoredStateCheck
{
    /// <summary>Throws <see cref="InvalidDataException"/> naming the field when the state is one the device cannot reach.</summary>
    void CheckRestoredState();
}

/// <summary>The checks the devices' <see cref="IRestoredStateCheck"/> implementations share, with one wording for the refusal.</summary>
internal static class RestoredState
{
    /// <summary>Refuses <paramref name="field"/> unless <paramref name="value"/> is in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static void InRange(string field, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            throw new InvalidDataException($"{field} is {value}, outside {min}-{max}");
        }
    }

    /// <summary>Refuses <paramref name="field"/> unless <paramref name="valid"/>; <paramref name="expected"/> says what a valid value is.</summary>
    public static void Require(bool valid, string field, object value, string expected)
    {
        if (!valid)
        {
            throw new InvalidDataException($"{field} is {value}, where {expected}");
        }
    }
}
