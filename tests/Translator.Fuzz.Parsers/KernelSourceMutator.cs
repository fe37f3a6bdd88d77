using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Translator.Fuzz;

namespace Translator.Fuzz.Parsers;

/// <summary>A mutated kernel and where in its text the mutations are.</summary>
internal sealed record Mutant(string Source, IReadOnlyList<TextSpan> Changed);

/// <summary>
/// Token-level mutations of real DSL kernels (the samples'): delete, duplicate, swap or replace tokens, with
/// replacements drawn from C# that the DSL does not support (float, lambdas, try, LINQ, generics …) and from edge
/// literals, so most mutants stay near-valid C# and reach the generator's parser and linker rather than dying in C#'s.
/// </summary>
internal static class KernelSourceMutator
{
    private static readonly string[] s_replacements =
    [
        "int", "uint", "long", "ulong", "byte", "sbyte", "short", "ushort", "char", "bool", "string", "float", "double", "decimal",
        "object", "dynamic", "var", "void", "nint", "int[]", "int*", "System.Span<int>", "List<int>", "(int, int)",
        "0", "1", "-1", "0x7FFFFFFF", "0x80000000", "0xFFFFFFFF", "4294967296", "-9223372036854775808", "1.5", "'x'", "\"s\"", "null", "default",
        "true", "false", "+", "-", "*", "/", "%", "<<", ">>", ">>>", "&", "|", "^", "~", "!", "&&", "||", "==", "!=", "<", ">", "<=", ">=",
        "=", "+=", "<<=", "??", "?", ":", "=>", "++", "--", "(", ")", "[", "]", "{", "}", ";", ",", ".", "..",
        "if", "else", "while", "for", "foreach", "do", "switch", "case", "break", "continue", "return", "goto", "try", "catch", "finally",
        "throw", "using", "lock", "checked", "unchecked", "unsafe", "fixed", "stackalloc", "new", "typeof", "sizeof", "nameof", "is", "as",
        "static", "partial", "public", "private", "ref", "out", "in", "params", "const", "readonly", "async", "await", "yield", "class", "struct",
        "[Entry]", "[InterruptHandler(0x20)]", "[InterruptHandler(300)]", "[UserMode]", "[GuestCode]", "[GuestKernel]",
        "Cpu.Halt()", "Cpu.Out(0x3F8, 65)", "Cpu.In(0x3F8)", "Cpu.SystemCall(1)", "Memory.Read32(0)", "Console.WriteLine(1)",
        "x => x", "() => { }", "new int[-1]", "new int[0x7FFFFFFF]", "new[] { 1, 2 }", "$\"{1}\"", "@\"s\"", "\"\"\"raw\"\"\"",
    ];

    public static string[] SeedKernels(string repository)
    {
        string[] files = Directory.GetFiles(Path.Combine(repository, "samples"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Order()
            .Select(File.ReadAllText)
            .Where(text => text.Contains("[GuestKernel]", StringComparison.Ordinal))
            .ToArray();
        return files.Length > 0 ? files : throw new InvalidOperationException($"no [GuestKernel] sources under {repository}/samples");
    }

    public static Mutant Mutate(string source, SeededRandom random)
    {
        SyntaxToken[] tokens = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().Where(t => !t.IsKind(SyntaxKind.EndOfFileToken)).ToArray();
        string[] texts = tokens.Select(t => t.Text).ToArray();
        bool[] changed = new bool[tokens.Length];
        int mutations = 1 + random.Below(random.Chance(20) ? 8 : 3);
        for (int m = 0; m < mutations; m++)
        {
            int i = random.Below(tokens.Length);
            switch (random.Below(5))
            {
                case 0: texts[i] = ""; break;
                case 1: texts[i] = texts[i] + " " + texts[i]; break;
                case 2:
                    int j = random.Below(tokens.Length);
                    (texts[i], texts[j]) = (texts[j], texts[i]);
                    changed[j] = true;
                    break;
                case 3: texts[i] = random.Pick(s_replacements); break;
                default: texts[i] = texts[i] + " " + random.Pick(s_replacements); break;
            }

            changed[i] = true;
        }

        var text = new StringBuilder(source.Length + 64);
        var spans = new List<TextSpan>();
        for (int i = 0; i < tokens.Length; i++)
        {
            text.Append(tokens[i].LeadingTrivia.ToFullString());
            int start = text.Length;
            text.Append(texts[i]);
            if (changed[i])
            {
                spans.Add(new TextSpan(start, Math.Max(1, text.Length - start)));
            }

            text.Append(tokens[i].TrailingTrivia.ToFullString());
        }

        return new Mutant(text.ToString(), spans);
    }
}
