using System.Diagnostics;
using System.Reflection.Emit;
using Translator.Machine.Cpu;
using Translator.Machine.Translation;
using Translator.Translation;

namespace Translator.Vmm.Backends.Bt.DirectIl;

/// <summary>
/// A translation compiled by the direct IL back end: the core's methods, each compiled from its own C# source to a
/// <see cref="DynamicMethod"/>, with the regions, guest bytes and handler instructions taken from the translation's
/// layout (the data the C# file's tables are written from). The same regions a Roslyn-compiled file would give, in
/// milliseconds instead of seconds, and without a compiler process.
/// </summary>
internal sealed class DirectIlImage : TranslatedImage
{
    private readonly TranslatedRegion[] _regions;

    private DirectIlImage(string imageSha256, string? numbering, TranslatedRegion[] regions)
    {
        ImageSha256 = imageSha256;
        MethodNumbering = numbering;
        _regions = regions;
    }

    public override string ImageSha256 { get; }

    public override string? MethodNumbering { get; }

    public override IReadOnlyList<TranslatedRegion> Regions => _regions;

    /// <summary>Compiles <paramref name="result"/>'s methods to IL and builds its regions; a source outside the subset throws <see cref="DirectIlException"/>.</summary>
    public static DirectIlImage Compile(TranslationResult result, string? numbering)
    {
        TranslationLayout layout = result.Layout ?? throw new DirectIlException("the translation carries no layout");
        var set = new MethodSetCompiler();
        set.AddConstant("Fallbacks.Ops", layout.Fallbacks.Select(f => new GuestInstruction(f.Ip, f.Bytes)).ToArray());
        foreach (TranslatedMethodSource method in layout.Methods)
        {
            set.AddMethod(method.Source);
        }

        if (layout.ChainDispatch is not null)
        {
            set.AddMethod(layout.ChainDispatch);
        }

        IReadOnlyDictionary<string, DynamicMethod> compiled = set.Compile();
        object[] constants = set.Constants;
        TranslatedCode[] codes = layout.Methods.Select(m => Entry(compiled[m.Name], constants)).ToArray();

        var regions = new TranslatedRegion[layout.Entries.Count];
        for (int i = 0; i < regions.Length; i++)
        {
            RegionEntry entry = layout.Entries[i];
            TranslatedMethodSource method = layout.Methods[entry.Method];
            regions[i] = new TranslatedRegion(entry.Linear, entry.Physical, method.CodeStart, method.GuestBytes, method.Instructions, codes[entry.Method], method.Index);
        }

        return new DirectIlImage(result.ImageSha256, numbering, regions);
    }

    /// <summary>The dispatcher's entry into a method: <c>(cpu, budget) => Method(cpu, budget, budget, 0)</c>.</summary>
    private static TranslatedCode Entry(DynamicMethod body, object[] constants)
    {
        var entry = new DynamicMethod("Enter_" + body.Name, typeof(int), new[] { typeof(object[]), typeof(X86Cpu), typeof(int) }, typeof(DirectIlImage).Module, skipVisibility: true);
        ILGenerator il = entry.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Call, body);
        il.Emit(OpCodes.Ret);
        return (TranslatedCode)entry.CreateDelegate(typeof(TranslatedCode), constants);
    }

    /// <summary>
    /// JIT-compiles every method's entry and body now, on the calling thread (a background one), so the guest's
    /// thread never waits for the JIT after the swap. A dynamic method has no handle to prepare, so each entry is
    /// called once with no CPU: the JIT compiles the entry, then the body it calls, whole, before either runs, and
    /// the body's first statement then stops at the missing CPU.
    /// </summary>
    public TimeSpan Prepare()
    {
        var clock = Stopwatch.StartNew();
        foreach (TranslatedRegion region in _regions.DistinctBy(r => r.Code))
        {
            try
            {
                region.Code(null!, 0);
            }
            catch (NullReferenceException)
            {
                // expected: compiled, then stopped at the first use of the CPU
            }
        }

        return clock.Elapsed;
    }
}
