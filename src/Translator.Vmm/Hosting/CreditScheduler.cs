namespace Translator.Vmm.Hosting;

/// <summary>
/// A VM as the scheduler sees it in one accounting period: its weight and the most it may use in the period (one
/// virtual CPU's worth, or less under a cap).
/// </summary>
internal readonly record struct Claim(int Weight, ulong Limit);

/// <summary>
/// The arithmetic of a proportional-share scheduler in the spirit of Xen's credit scheduler, on virtual time only
/// (guest instructions), so that its decisions never depend on the host's timing: each accounting period shares the
/// host's capacity among the runnable VMs by weight; a VM never gets more than its limit (a cap, and at most one
/// physical CPU, since a VM has one virtual CPU); what a limited VM cannot take goes to the others (work-conserving),
/// repeatedly, until nobody is over a limit or everybody is at one.
/// </summary>
internal static class CreditScheduler
{
    /// <summary>Xen's default weight.</summary>
    public const int DefaultWeight = 256;

    /// <summary>
    /// Each claim's entitlement out of <paramref name="capacity"/> instructions: proportional to weight, never past its
    /// limit, limited claims' leftovers shared out again among the others. Integer arithmetic throughout (the
    /// fractions rounded down), so the same claims always give the same entitlements.
    /// </summary>
    public static ulong[] Entitle(IReadOnlyList<Claim> claims, ulong capacity)
    {
        var entitled = new ulong[claims.Count];
        var open = new List<int>(claims.Count);
        for (int i = 0; i < claims.Count; i++)
        {
            if (claims[i].Weight > 0 && claims[i].Limit > 0)
            {
                open.Add(i);
            }
        }

        ulong remaining = capacity;
        while (open.Count > 0)
        {
            ulong totalWeight = 0;
            foreach (int i in open)
            {
                totalWeight += (ulong)claims[i].Weight;
            }

            // Everyone whose proportional part reaches its limit is given the limit and leaves the sharing; the
            // rest is shared again among those left. No one over: everyone gets the proportional part.
            var limited = open.Where(i => Part(remaining, claims[i].Weight, totalWeight) >= claims[i].Limit).ToList();
            if (limited.Count == 0)
            {
                foreach (int i in open)
                {
                    entitled[i] = Part(remaining, claims[i].Weight, totalWeight);
                }

                break;
            }

            foreach (int i in limited)
            {
                entitled[i] = claims[i].Limit;
                remaining -= claims[i].Limit;
                open.Remove(i);
            }
        }

        return entitled;
    }

    /// <summary>A VM's limit in a period of <paramref name="period"/> instructions: a cap in percent of one CPU (0: none).</summary>
    public static ulong Limit(ulong period, int capPercent) =>
        capPercent <= 0 ? period : (ulong)(((UInt128)period * (uint)Math.Min(capPercent, 100)) / 100);

    private static ulong Part(ulong amount, int weight, ulong totalWeight) =>
        (ulong)(((UInt128)amount * (uint)weight) / totalWeight);
}
