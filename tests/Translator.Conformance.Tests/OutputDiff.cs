using System.Text;

namespace Translator.Conformance.Tests;

/// <summary>Explains where two console transcripts part ways, line by line, for a readable test failure.</summary>
public static class OutputDiff
{
    public static string Describe(string expectedName, byte[] expected, string actualName, byte[] actual)
    {
        string[] e = Encoding.Latin1.GetString(expected).Split('\n');
        string[] a = Encoding.Latin1.GetString(actual).Split('\n');
        var text = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < Math.Max(e.Length, a.Length) && shown < 12; i++)
        {
            string? le = i < e.Length ? e[i] : null;
            string? la = i < a.Length ? a[i] : null;
            if (le == la)
            {
                continue;
            }

            text.AppendLine($"line {i + 1}:");
            text.AppendLine($"  {expectedName,-8}: {le ?? "<missing>"}");
            text.AppendLine($"  {actualName,-8}: {la ?? "<missing>"}");
            shown++;
        }

        return text.Length == 0 ? "outputs are identical" : text.ToString();
    }
}
