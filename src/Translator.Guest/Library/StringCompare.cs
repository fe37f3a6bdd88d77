namespace Translator.Guest;

/// <summary>
/// What a switch on a string, a string-constant pattern (<c>s is "probe"</c>) and its <c>case "probe":</c> labels
/// compare with: ordinal equality (the length, then each UTF-16 code unit), as C# compares strings there.
/// </summary>
[GuestCode]
internal static class StringCompare
{
    public static bool Equal(string a, string b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }
}
