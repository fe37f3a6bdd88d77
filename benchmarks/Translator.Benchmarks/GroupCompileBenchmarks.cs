using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Translator.Machine.Translation;
using Translator.Translation;

namespace Translator.Benchmarks;

/// <summary>
/// Issue 17's "Roslyn or IL emitted directly, measure both" for one group of hot code (the methods tiered
/// translation compiles at a time), in a warm process: Roslyn compiling the group's C# against what it costs to emit
/// the same IL straight into <see cref="DynamicMethod"/>s, and the JIT both ways pay. The IL is the IL Roslyn made, replayed
/// through <see cref="DynamicILInfo"/>, so the figure is what an IL emitter of equal output would cost (a lower bound:
/// its own work to choose the instructions is left out) without writing a second copy of the instructions' semantics.
/// Not product code. <c>dotnet run -c Release --project benchmarks/Translator.Benchmarks -- --filter '*GroupCompile*'</c>
/// </summary>
[MemoryDiagnoser]
public class GroupCompileBenchmarks
{
    private string _source = "";
    private byte[] _assembly = [];
    private ImmutableArray<MetadataReference> _references;
    private Type _type = typeof(object);

    /// <summary>Methods (pieces of a page of code) in the group.</summary>
    [Params(1, 4)]
    public int Methods { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] image = File.ReadAllBytes(FindBench());
        string whole = BinaryTranslator.Translate(image, new TranslationOptions()).Source;
        uint[] starts = Regex.Matches(whole, @"private static int Region_([0-9A-F]{8})\(").Select(m => Convert.ToUInt32(m.Groups[1].Value, 16)).ToArray();
        uint[] hot = starts.Skip(starts.Length / 2).Take(Methods).ToArray();
        _source = BinaryTranslator.Translate(image, new TranslationOptions { MethodsHolding = hot, ClassName = "Group" }).Source;
        Assembly machine = typeof(TranslatedImage).Assembly;
        var names = machine.GetReferencedAssemblies().Select(a => a.Name + ".dll").Append("System.Private.CoreLib.dll").Append("System.Runtime.dll").ToHashSet();
        string platform = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        _references = platform.Split(Path.PathSeparator).Where(p => names.Contains(Path.GetFileName(p)))
            .Append(machine.Location).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
        _assembly = Roslyn();
        _type = new AssemblyLoadContext("group-il", isCollectible: false).LoadFromStream(new MemoryStream(_assembly)).GetType("Translator.Translated.Group")!;
        Console.WriteLine($"// group of {Methods} methods: {_source.Length} bytes of C#, {_assembly.Length} bytes of IL assembly");
    }

    /// <summary>Roslyn: parse, bind and emit the group's C# (what the tiered run's compile does, warm).</summary>
    [Benchmark(Baseline = true)]
    public byte[] Roslyn()
    {
        SyntaxTree tree = CSharpSyntaxTree.ParseText(_source, new CSharpParseOptions(LanguageVersion.Latest));
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
            allowUnsafe: true, concurrentBuild: false);
        using var stream = new MemoryStream();
        if (!CSharpCompilation.Create("Group", [tree], _references, options).Emit(stream).Success)
        {
            throw new InvalidOperationException("the group does not compile");
        }

        return stream.ToArray();
    }

    /// <summary>
    /// The same IL emitted into dynamic methods: what emitting IL directly would cost at least. Not the JIT: a dynamic
    /// method with an owner type is compiled at its first call, so its JIT is <see cref="JitOnly"/>'s.
    /// </summary>
    [Benchmark]
    public int EmitIl()
    {
        int compiled = 0;
        foreach (MethodInfo method in _type.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
        {
            if (method.Name.StartsWith("Region_", StringComparison.Ordinal))
            {
                Replay(method).CreateDelegate(typeof(Func<Machine.Cpu.X86Cpu, int, int, int, int>));
                compiled++;
            }
        }

        return compiled;
    }

    /// <summary>Only the JIT of Roslyn's IL (loaded into a fresh context each time): the part both ways pay.</summary>
    [Benchmark]
    public int JitOnly()
    {
        var context = new AssemblyLoadContext("group-jit", isCollectible: true);
        Type type = context.LoadFromStream(new MemoryStream(_assembly)).GetType("Translator.Translated.Group")!;
        int compiled = 0;
        foreach (MethodInfo method in type.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
        {
            if (method.Name.StartsWith("Region_", StringComparison.Ordinal))
            {
                RuntimeHelpers.PrepareMethod(method.MethodHandle);
                compiled++;
            }
        }

        context.Unload();
        return compiled;
    }

    private static readonly Dictionary<short, OpCode> s_opCodes = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>A dynamic method with <paramref name="method"/>'s IL, its tokens re-issued for the dynamic scope.</summary>
    private static DynamicMethod Replay(MethodInfo method)
    {
        MethodBody body = method.GetMethodBody()!;
        byte[] il = body.GetILAsByteArray()!;
        var dynamic = new DynamicMethod(method.Name, method.ReturnType, method.GetParameters().Select(p => p.ParameterType).ToArray(), method.DeclaringType!, skipVisibility: true);
        DynamicILInfo info = dynamic.GetDynamicILInfo();
        Module module = method.Module;
        int at = 0;
        while (at < il.Length)
        {
            OpCode op = il[at] == 0xFE ? s_opCodes[(short)(0xFE00 | il[at + 1])] : s_opCodes[il[at]];
            at += op.Size;
            int token = op.OperandType switch
            {
                OperandType.InlineMethod => module.ResolveMethod(BitConverter.ToInt32(il, at)) switch
                {
                    MethodBase m => info.GetTokenFor(m.MethodHandle, m.DeclaringType!.TypeHandle),
                    _ => throw new InvalidOperationException("method token"),
                },
                OperandType.InlineField => module.ResolveField(BitConverter.ToInt32(il, at)) is FieldInfo f
                    ? info.GetTokenFor(f.FieldHandle, f.DeclaringType!.TypeHandle) : 0,
                OperandType.InlineType or OperandType.InlineTok when module.ResolveMember(BitConverter.ToInt32(il, at)) is Type t => info.GetTokenFor(t.TypeHandle),
                OperandType.InlineString => info.GetTokenFor(module.ResolveString(BitConverter.ToInt32(il, at))),
                OperandType.InlineSig => throw new NotSupportedException("calli"),
                _ => 0,
            };
            if (token != 0)
            {
                BitConverter.TryWriteBytes(il.AsSpan(at), token);
            }

            at += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
                _ => 4,
            };
        }

        SignatureHelper locals = SignatureHelper.GetLocalVarSigHelper();
        foreach (LocalVariableInfo local in body.LocalVariables)
        {
            locals.AddArgument(local.LocalType, local.IsPinned);
        }

        info.SetLocalSignature(locals.GetSignature());
        info.SetCode(il, body.MaxStackSize);
        return dynamic;
    }

    private static string FindBench()
    {
        for (string? directory = AppContext.BaseDirectory; directory is not null; directory = Path.GetDirectoryName(directory))
        {
            string candidate = Path.Combine(directory, "tests", "guests", "build", "bench.elf");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("tests/guests/build/bench.elf (make -C tests/guests)");
    }
}
