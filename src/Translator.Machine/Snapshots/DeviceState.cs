using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Translator.Machine.Snapshots;

/// <summary>
/// Saves and restores a device's state by walking its instance fields, so no register of any device (and no field a
/// device gains later) can be left out by hand. State is every field of a primitive or enum type, every array of
/// those (its contents), and objects of the device's own nested types (a PIT channel, one 8259 of the pair), walked
/// the same way. Everything else is wiring set up when the board is built (the clock, the IRQ lines, the buses,
/// callbacks) and stays as the restoring board built it; read-only scalars are configuration and stay too.
/// <para>
/// The field layout of each device is fingerprinted (names and types, in declaration order), so a snapshot written
/// by a build whose device model differs is refused instead of misread.
/// </para>
/// </summary>
internal static class DeviceState
{
    private const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    private static IEnumerable<FieldInfo> StateFields(Type type) =>
        type.GetFields(InstanceFields).OrderBy(f => f.MetadataToken).Where(f => IsState(type, f));

    private static bool IsState(Type owner, FieldInfo field)
    {
        Type t = field.FieldType;
        if (IsScalar(t))
        {
            return !field.IsInitOnly;
        }

        if (t.IsArray)
        {
            Type element = t.GetElementType()!;
            return IsScalar(element) || IsNestedState(owner, element);
        }

        return IsNestedState(owner, t);
    }

    private static bool IsScalar(Type t) => t.IsPrimitive || t.IsEnum;

    /// <summary>A class declared inside the device (or inside the device's outer class, for a nested device part).</summary>
    private static bool IsNestedState(Type owner, Type t) =>
        t.IsClass && !typeof(Delegate).IsAssignableFrom(t) && (t.DeclaringType == owner || (owner.DeclaringType is { } outer && t.DeclaringType == outer));

    /// <summary>Names and types of every state field, recursively: equal fingerprints read each other's bytes.</summary>
    public static string Fingerprint(Type type)
    {
        var text = new StringBuilder();
        Describe(type, text, depth: 0);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private static void Describe(Type type, StringBuilder text, int depth)
    {
        text.Append(type.FullName).Append('{');
        foreach (FieldInfo f in StateFields(type))
        {
            text.Append(f.Name).Append(':').Append(f.FieldType.FullName).Append(';');
            Type inner = f.FieldType.IsArray ? f.FieldType.GetElementType()! : f.FieldType;
            if (!IsScalar(inner) && depth < 4)
            {
                Describe(inner, text, depth + 1);
            }
        }

        text.Append('}');
    }

    public static void Save(object device, BinaryWriter writer)
    {
        foreach (FieldInfo f in StateFields(device.GetType()))
        {
            object? value = f.GetValue(device);
            if (f.FieldType.IsArray)
            {
                var array = (Array)value!;
                writer.Write(array.Length);
                foreach (object? element in array)
                {
                    WriteValue(f.FieldType.GetElementType()!, element, writer);
                }
            }
            else
            {
                WriteValue(f.FieldType, value, writer);
            }
        }
    }

    private static void WriteValue(Type type, object? value, BinaryWriter writer)
    {
        if (!IsScalar(type))
        {
            Save(value!, writer);
            return;
        }

        Type t = type.IsEnum ? Enum.GetUnderlyingType(type) : type;
        ulong bits = value switch
        {
            bool b => b ? 1UL : 0UL,
            byte v => v,
            sbyte v => (ulong)v,
            short v => (ulong)v,
            ushort v => v,
            int v => (ulong)v,
            uint v => v,
            long v => (ulong)v,
            ulong v => v,
            char v => v,
            _ => Convert.ToUInt64(Convert.ChangeType(value, t, System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture),
        };
        writer.Write(bits);
    }

    public static void Restore(object device, BinaryReader reader)
    {
        foreach (FieldInfo f in StateFields(device.GetType()))
        {
            if (f.FieldType.IsArray)
            {
                Type element = f.FieldType.GetElementType()!;
                int length = reader.ReadInt32();
                var array = (Array?)f.GetValue(device);
                if (array is null || array.Length != length || (!f.IsInitOnly && IsScalar(element)))
                {
                    if (f.IsInitOnly || length is < 0 or > 1 << 20)
                    {
                        throw new InvalidDataException($"{device.GetType().Name}.{f.Name}: {length} elements where the device has {array?.Length ?? 0}");
                    }

                    // A settable array may be shared with state that is not saved (fw_cfg's selected item is one of its
                    // items, built with the board): it is replaced, never written through, even at the same length.
                    array = Array.CreateInstance(element, length);
                    f.SetValue(device, array);
                }

                for (int i = 0; i < length; i++)
                {
                    if (IsScalar(element))
                    {
                        array.SetValue(ReadValue(element, reader), i);
                    }
                    else
                    {
                        Restore(array.GetValue(i) ?? throw new InvalidDataException($"{device.GetType().Name}.{f.Name}[{i}] is missing"), reader);
                    }
                }
            }
            else if (IsScalar(f.FieldType))
            {
                f.SetValue(device, ReadValue(f.FieldType, reader));
            }
            else
            {
                Restore(f.GetValue(device) ?? throw new InvalidDataException($"{device.GetType().Name}.{f.Name} is missing"), reader);
            }
        }
    }

    private static object ReadValue(Type type, BinaryReader reader)
    {
        ulong bits = reader.ReadUInt64();
        Type t = type.IsEnum ? Enum.GetUnderlyingType(type) : type;
        object value = Type.GetTypeCode(t) switch
        {
            TypeCode.Boolean => bits != 0,
            TypeCode.Byte => (byte)bits,
            TypeCode.SByte => (sbyte)bits,
            TypeCode.Int16 => (short)bits,
            TypeCode.UInt16 => (ushort)bits,
            TypeCode.Int32 => (int)bits,
            TypeCode.UInt32 => (uint)bits,
            TypeCode.Int64 => (long)bits,
            TypeCode.UInt64 => bits,
            TypeCode.Char => (char)bits,
            _ => throw new InvalidDataException($"a device field of type {type.Name} cannot be restored"),
        };
        return type.IsEnum ? Enum.ToObject(type, value) : value;
    }
}
