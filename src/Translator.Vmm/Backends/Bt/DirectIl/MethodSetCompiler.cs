using System.Buffers.Binary;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using Translator.Machine.Cpu;

namespace Translator.Vmm.Backends.Bt.DirectIl;

/// <summary>
/// Compiles a set of static methods written in the translation core's C# straight to IL, as
/// <see cref="DynamicMethod"/>s: the same source Roslyn compiles, so the instructions' semantics are described once,
/// by the core's one emitter; this is a second back end for its output, not a second copy of it. Each method gets a
/// hidden first parameter, the set's constants (an <c>object[]</c>), which named objects such as <c>Fallbacks.Ops</c>
/// are read from; calls between the set's methods pass it on.
/// </summary>
internal sealed class MethodSetCompiler
{
    private static readonly string[] s_usings =
    {
        "System", "System.Collections.Generic", "System.Runtime.CompilerServices", "Translator.Machine.Cpu",
        "Translator.Machine.Memory", "Translator.Machine.Translation",
    };

    private static readonly Assembly[] s_assemblies =
    {
        typeof(object).Assembly, typeof(X86Cpu).Assembly, typeof(Unsafe).Assembly, typeof(BinaryPrimitives).Assembly,
        typeof(System.Numerics.BitOperations).Assembly,
    };

    private static readonly Dictionary<string, Type> s_keywords = new(StringComparer.Ordinal)
    {
        ["bool"] = typeof(bool), ["byte"] = typeof(byte), ["sbyte"] = typeof(sbyte), ["short"] = typeof(short),
        ["ushort"] = typeof(ushort), ["int"] = typeof(int), ["uint"] = typeof(uint), ["long"] = typeof(long),
        ["ulong"] = typeof(ulong), ["nint"] = typeof(nint), ["nuint"] = typeof(nuint), ["void"] = typeof(void),
        ["object"] = typeof(object), ["string"] = typeof(string),
    };

    private readonly Dictionary<string, Type?> _typeCache = new(StringComparer.Ordinal);
    /// <summary>Each method's declared parameter types (the hidden constants left out), its source and its dynamic method.</summary>
    private readonly Dictionary<string, (Type[] Parameters, string Source, DynamicMethod Method)> _methods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Slot, object Value)> _constants = new(StringComparer.Ordinal);
    private readonly List<object> _closure = new();

    /// <summary>Names <paramref name="value"/> so that the source may read it as <paramref name="dottedName"/> (e.g. "Fallbacks.Ops").</summary>
    public void AddConstant(string dottedName, object value)
    {
        _constants[dottedName] = (_closure.Count, value);
        _closure.Add(value);
    }

    /// <summary>
    /// Declares one method from its signature; its body is parsed and compiled by <see cref="Compile"/>, once every
    /// method is declared (they call each other), one at a time, so only one method's syntax tree is in memory.
    /// </summary>
    public void AddMethod(string source)
    {
        MethodSyntax syntax = Parser.ParseSignature(source);
        if (_methods.ContainsKey(syntax.Name))
        {
            throw new DirectIlException($"method {syntax.Name} is declared twice");
        }

        Type returnType = ResolveType(syntax.ReturnType);
        Type[] parameters = syntax.Parameters.Select(p => ResolveType(p.Type)).ToArray();
        var method = new DynamicMethod(syntax.Name, returnType, [typeof(object[]), .. parameters], typeof(MethodSetCompiler).Module, skipVisibility: true);
        method.DefineParameter(1, ParameterAttributes.None, "constants");
        for (int i = 0; i < syntax.Parameters.Count; i++)
        {
            method.DefineParameter(i + 2, ParameterAttributes.None, syntax.Parameters[i].Name);
        }

        _methods.Add(syntax.Name, (parameters, source, method));
    }

    /// <summary>The set's constants, the first argument of every method (a delegate is closed over it).</summary>
    public object[] Constants => _closure.ToArray();

    /// <summary>Compiles every declared method's body to IL; returns the methods by name.</summary>
    public IReadOnlyDictionary<string, DynamicMethod> Compile()
    {
        foreach ((Type[] _, string source, DynamicMethod method) in _methods.Values)
        {
            new MethodBodyCompiler(this, Parser.ParseMethod(source), method).Compile();
        }

        return _methods.ToDictionary(m => m.Key, m => m.Value.Method, StringComparer.Ordinal);
    }

    internal DynamicMethod? MethodNamed(string name) => _methods.TryGetValue(name, out var m) ? m.Method : null;

    /// <summary>The declared parameters of a method of the set (without the hidden constants).</summary>
    internal Type[] ParameterTypes(string name) => _methods[name].Parameters;

    internal (int Slot, object Value)? ConstantNamed(string dottedName) => _constants.TryGetValue(dottedName, out var c) ? c : null;

    internal Type ResolveType(TypeSyntax syntax)
    {
        Type type = TryResolveTypeName(syntax.Name) ?? throw new DirectIlException($"unknown type {syntax.Name}");
        for (int i = 0; i < syntax.Pointers; i++)
        {
            type = type.MakePointerType();
        }

        return type;
    }

    /// <summary>A keyword, a name under one of the file's usings, or a full name; null when nothing is called so.</summary>
    internal Type? TryResolveTypeName(string name)
    {
        if (s_keywords.TryGetValue(name, out Type? keyword))
        {
            return keyword;
        }

        if (_typeCache.TryGetValue(name, out Type? cached))
        {
            return cached;
        }

        Type? found = null;
        foreach (string prefix in s_usings.Select(u => u + ".").Prepend(""))
        {
            foreach (Assembly assembly in s_assemblies)
            {
                found = assembly.GetType(prefix + name, throwOnError: false);
                if (found is not null)
                {
                    break;
                }
            }

            if (found is not null)
            {
                break;
            }
        }

        _typeCache[name] = found;
        return found;
    }
}
