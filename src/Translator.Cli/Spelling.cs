namespace Translator.Cli;

/// <summary>Typo suggestions: the known word nearest to a mistyped one, when it is near enough to be what was meant.</summary>
internal static class Spelling
{
    /// <summary>" (did you mean 'X'?)", or "" when no known word is within a third of the typed word's length.</summary>
    public static string Suggest(string typed, IEnumerable<string> known)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string word in known.Distinct(StringComparer.Ordinal))
        {
            int distance = Distance(typed.ToLowerInvariant(), word.ToLowerInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (word, distance);
            }
        }

        int allowed = Math.Max(1, typed.TrimStart('-').Length / 3);
        return best is not null && bestDistance > 0 && bestDistance <= allowed ? $" (did you mean '{best}'?)" : "";
    }

    /// <summary>Damerau-Levenshtein (optimal string alignment): a swap of two neighbours is one edit, as typists make it.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
