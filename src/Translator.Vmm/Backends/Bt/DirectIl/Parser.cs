using System.Globalization;

namespace Translator.Vmm.Backends.Bt.DirectIl;

/// <summary>
/// Reads one translated method's C# into a syntax tree. Only the subset the translation core writes is accepted;
/// anything else is a <see cref="DirectIlException"/> naming the place, never a guess.
/// </summary>
internal sealed class Parser
{
    private static readonly HashSet<string> s_typeKeywords = new(StringComparer.Ordinal)
    {
        "bool", "byte", "sbyte", "short", "ushort", "int", "uint", "long", "ulong", "nint", "nuint", "void", "object", "string",
    };

    // Longest first, so that "<<=" is not read as "<<" "=".
    private static readonly string[] s_punctuation =
    {
        "<<=", ">>=", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "&=", "|=", "^=", "=>",
        "+", "-", "*", "/", "%", "&", "|", "^", "!", "~", "<", ">", "=", "?", ":", ";", ",", ".", "(", ")", "[", "]", "{", "}",
    };

    private readonly string _text;
    private readonly List<Token> _tokens;
    private int _at;

    private Parser(string text)
    {
        _text = text;
        _tokens = Lex(text);
    }

    /// <summary>Parses <paramref name="source"/>: one method, optionally preceded by comments and attributes.</summary>
    public static MethodSyntax ParseMethod(string source) => new Parser(source).Method(withBody: true);

    /// <summary>Parses the signature of <paramref name="source"/>'s method alone (its body is an empty block).</summary>
    public static MethodSyntax ParseSignature(string source)
    {
        int body = source.IndexOf('{');
        return new Parser(body < 0 ? source : source[..body]).Method(withBody: false);
    }

    // ---- lexer -----------------------------------------------------------------------------------------------------

    private static List<Token> Lex(string s)
    {
        var tokens = new List<Token>(s.Length / 4);

        // A method names a few dozen things thousands of times: one string each.
        var names = new HashSet<string>(StringComparer.Ordinal);
        HashSet<string>.AlternateLookup<ReadOnlySpan<char>> byName = names.GetAlternateLookup<ReadOnlySpan<char>>();
        string Intern(ReadOnlySpan<char> text)
        {
            if (!byName.TryGetValue(text, out string? known))
            {
                known = text.ToString();
                names.Add(known);
            }

            return known;
        }

        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '/' && i + 1 < s.Length && s[i + 1] == '/')
            {
                while (i < s.Length && s[i] != '\n')
                {
                    i++;
                }
            }
            else if (char.IsLetter(c) || c == '_' || c == '@')
            {
                int start = i++;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, Intern(s.AsSpan(start, i - start).TrimStart('@')), start));
            }
            else if (char.IsDigit(c))
            {
                Token number = Number(s, ref i);
                tokens.Add(number with { Text = Intern(number.Text) });
            }
            else if (c == '"')
            {
                int start = i++;
                var value = new System.Text.StringBuilder();
                while (i < s.Length && s[i] != '"')
                {
                    if (s[i] == '\\' && i + 1 < s.Length)
                    {
                        i++;
                        value.Append(s[i] switch { 'n' => '\n', 't' => '\t', '0' => '\0', char other => other });
                    }
                    else
                    {
                        value.Append(s[i]);
                    }

                    i++;
                }

                if (i >= s.Length)
                {
                    throw new DirectIlException($"unterminated string at {start}");
                }

                i++;
                tokens.Add(new Token(TokenKind.String, value.ToString(), start));
            }
            else
            {
                string? op = s_punctuation.FirstOrDefault(p => string.CompareOrdinal(s, i, p, 0, p.Length) == 0);
                if (op is null)
                {
                    throw new DirectIlException($"unexpected character '{c}' at {i}");
                }

                tokens.Add(new Token(TokenKind.Punctuation, op, i));
                i += op.Length;
            }
        }

        tokens.Add(new Token(TokenKind.End, "", s.Length));
        return tokens;
    }

    /// <summary>A C# integer literal: decimal or 0x hex, suffix u/U, l/L, ul/UL; its type by C#'s rules.</summary>
    private static Token Number(string s, ref int i)
    {
        int start = i;
        bool hex = s[i] == '0' && i + 1 < s.Length && (s[i + 1] == 'x' || s[i + 1] == 'X');
        if (hex)
        {
            i += 2;
        }

        int digits = i;
        while (i < s.Length && (hex ? Uri.IsHexDigit(s[i]) : char.IsDigit(s[i]) || s[i] == '_'))
        {
            i++;
        }

        string body = s[digits..i].Replace("_", "");
        if (!ulong.TryParse(body, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
        {
            throw new DirectIlException($"integer literal out of range at {start}");
        }

        bool unsigned = false, isLong = false;
        while (i < s.Length && (s[i] is 'u' or 'U' or 'l' or 'L'))
        {
            unsigned |= s[i] is 'u' or 'U';
            isLong |= s[i] is 'l' or 'L';
            i++;
        }

        if (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '.'))
        {
            throw new DirectIlException($"unsupported literal at {start}");
        }

        // C#: the first of these types that holds the value.
        Type type = (unsigned, isLong) switch
        {
            (false, false) => value <= int.MaxValue ? typeof(int) : value <= uint.MaxValue ? typeof(uint) : value <= long.MaxValue ? typeof(long) : typeof(ulong),
            (true, false) => value <= uint.MaxValue ? typeof(uint) : typeof(ulong),
            (false, true) => value <= long.MaxValue ? typeof(long) : typeof(ulong),
            _ => typeof(ulong),
        };
        return new Token(TokenKind.Number, s[start..i], start, value, type);
    }

    // ---- helpers -----------------------------------------------------------------------------------------------------

    private Token Peek(int ahead = 0) => _tokens[Math.Min(_at + ahead, _tokens.Count - 1)];

    private Token Next() => _tokens[_at++];

    private bool Is(string text, int ahead = 0)
    {
        Token t = Peek(ahead);
        return t.Kind is TokenKind.Punctuation or TokenKind.Identifier && t.Text == text;
    }

    private bool Accept(string text)
    {
        if (Is(text))
        {
            _at++;
            return true;
        }

        return false;
    }

    private void Expect(string text)
    {
        if (!Accept(text))
        {
            throw Error($"'{text}' expected");
        }
    }

    private string Identifier()
    {
        Token t = Next();
        if (t.Kind != TokenKind.Identifier)
        {
            _at--;
            throw Error("a name expected");
        }

        return t.Text;
    }

    private DirectIlException Error(string message)
    {
        Token t = Peek();
        int line = 1 + _text.Take(Math.Min(t.Position, _text.Length)).Count(ch => ch == '\n');
        return new DirectIlException($"{message} at line {line}, near '{t.Text}'");
    }

    // ---- declarations ------------------------------------------------------------------------------------------------

    private MethodSyntax Method(bool withBody)
    {
        while (Is("["))
        {
            while (!Accept("]"))
            {
                if (Next().Kind == TokenKind.End)
                {
                    throw Error("']' expected");
                }
            }
        }

        while (Peek().Kind == TokenKind.Identifier && Peek().Text is "private" or "public" or "internal" or "static" or "unsafe")
        {
            _at++;
        }

        TypeSyntax returnType = Type();
        string name = Identifier();
        Expect("(");
        var parameters = new List<(TypeSyntax, string)>();
        if (!Accept(")"))
        {
            do
            {
                parameters.Add((Type(), Identifier()));
            }
            while (Accept(","));
            Expect(")");
        }

        BlockStmt body = withBody ? Block() : new BlockStmt([]);
        if (Peek().Kind != TokenKind.End)
        {
            throw Error("end of method expected");
        }

        return new MethodSyntax(name, returnType, parameters, body);
    }

    private TypeSyntax Type()
    {
        string name = Identifier();
        while (Is(".") && Peek(1).Kind == TokenKind.Identifier)
        {
            _at++;
            name += "." + Identifier();
        }

        int stars = 0;
        while (Accept("*"))
        {
            stars++;
        }

        return new TypeSyntax(name, stars);
    }

    /// <summary>Whether the tokens from here read as a declaration's type then a name: <c>uint x</c>, <c>uint* p</c>.</summary>
    private bool StartsDeclaration()
    {
        Token t = Peek();
        if (t.Kind != TokenKind.Identifier || !s_typeKeywords.Contains(t.Text))
        {
            return false;
        }

        int k = 1;
        while (Is("*", k))
        {
            k++;
        }

        return Peek(k).Kind == TokenKind.Identifier;
    }

    // ---- statements --------------------------------------------------------------------------------------------------

    private BlockStmt Block()
    {
        Expect("{");
        var statements = new List<Stmt>();
        while (!Accept("}"))
        {
            if (Peek().Kind == TokenKind.End)
            {
                throw Error("'}' expected");
            }

            statements.Add(Statement());
        }

        return new BlockStmt(statements);
    }

    private Stmt Statement()
    {
        Token t = Peek();
        if (Is("{"))
        {
            return Block();
        }

        if (t.Kind == TokenKind.Identifier)
        {
            switch (t.Text)
            {
                case "if":
                {
                    _at++;
                    Expect("(");
                    Expr condition = Expression();
                    Expect(")");
                    Stmt then = Statement();
                    Stmt? otherwise = Accept("else") ? Statement() : null;
                    return new IfStmt(condition, then, otherwise);
                }

                case "goto":
                {
                    _at++;
                    string label = Identifier();
                    Expect(";");
                    return new GotoStmt(label);
                }

                case "return":
                {
                    _at++;
                    Expr? value = Is(";") ? null : Expression();
                    Expect(";");
                    return new ReturnStmt(value);
                }

                case "throw":
                {
                    _at++;
                    Expr value = Expression();
                    Expect(";");
                    return new ThrowStmt(value);
                }

                case "switch":
                    return Switch();

                case "ref":
                {
                    _at++;
                    TypeSyntax type = Type();
                    string name = Identifier();
                    Expect("=");
                    Expr init = Expression();
                    Expect(";");
                    return new LocalDeclStmt(type, isRef: true, new[] { (name, (Expr?)init) });
                }
            }

            if (Is(":", 1))
            {
                _at += 2;
                return new LabelStmt(t.Text);
            }

            if (StartsDeclaration())
            {
                TypeSyntax type = Type();
                var declarators = new List<(string, Expr?)>();
                do
                {
                    string name = Identifier();
                    declarators.Add((name, Accept("=") ? Expression() : null));
                }
                while (Accept(","));
                Expect(";");
                return new LocalDeclStmt(type, isRef: false, declarators);
            }
        }

        Expr expression = Expression();
        Expect(";");
        if (expression is not (AssignExpr or CallExpr))
        {
            throw Error("only an assignment or a call can be a statement");
        }

        return new ExprStmt(expression);
    }

    private SwitchStmt Switch()
    {
        _at++;
        Expect("(");
        Expr value = Expression();
        Expect(")");
        Expect("{");
        var sections = new List<(IReadOnlyList<Expr>, bool, IReadOnlyList<Stmt>)>();
        while (!Accept("}"))
        {
            var cases = new List<Expr>();
            bool isDefault = false;
            while (Is("case") || Is("default"))
            {
                if (Accept("default"))
                {
                    isDefault = true;
                }
                else
                {
                    _at++;
                    cases.Add(Expression());
                }

                Expect(":");
            }

            if (cases.Count == 0 && !isDefault)
            {
                throw Error("'case' expected");
            }

            var body = new List<Stmt>();
            while (!Is("case") && !Is("default") && !Is("}"))
            {
                body.Add(Statement());
            }

            sections.Add((cases, isDefault, body));
        }

        return new SwitchStmt(value, sections);
    }

    // ---- expressions (C#'s precedence, lowest first) ----------------------------------------------------------------

    private Expr Expression()
    {
        Expr left = Conditional();
        if (Peek().Kind == TokenKind.Punctuation && Peek().Text is "=" or "+=" or "-=" or "*=" or "&=" or "|=" or "^=" or "<<=" or ">>=")
        {
            string op = Next().Text;
            return new AssignExpr(op, left, Expression());
        }

        return left;
    }

    private Expr Conditional()
    {
        Expr condition = Binary(0);
        if (Accept("?"))
        {
            Expr whenTrue = Expression();
            Expect(":");
            Expr whenFalse = Expression();
            return new ConditionalExpr(condition, whenTrue, whenFalse);
        }

        return condition;
    }

    private static readonly string[][] s_levels =
    {
        new[] { "||" },
        new[] { "&&" },
        new[] { "|" },
        new[] { "^" },
        new[] { "&" },
        new[] { "==", "!=" },
        new[] { "<", ">", "<=", ">=" },
        new[] { "<<", ">>" },
        new[] { "+", "-" },
        new[] { "*", "/", "%" },
    };

    private Expr Binary(int level)
    {
        if (level == s_levels.Length)
        {
            return Unary();
        }

        Expr left = Binary(level + 1);
        while (Peek().Kind == TokenKind.Punctuation && Array.IndexOf(s_levels[level], Peek().Text) >= 0)
        {
            string op = Next().Text;
            left = new BinaryExpr(op, left, Binary(level + 1));
        }

        return left;
    }

    private Expr Unary()
    {
        Token t = Peek();
        if (t.Kind == TokenKind.Punctuation && t.Text is "-" or "~" or "!" or "*" or "+")
        {
            _at++;
            Token number = Peek();
            if (t.Text == "-" && number.Kind == TokenKind.Number && !number.Text.Contains('u') && !number.Text.Contains('U'))
            {
                // Minus then a literal: C# reads -2147483648 as an int and -9223372036854775808 as a long.
                _at++;
                ulong magnitude = number.Value;
                bool isLong = number.NumberType == typeof(long) || number.Text.EndsWith('L') || number.Text.EndsWith('l');
                if (!isLong && magnitude <= (ulong)int.MaxValue + 1)
                {
                    return new Literal(unchecked((ulong)-(long)magnitude), typeof(int));
                }

                if (magnitude <= (ulong)long.MaxValue + 1)
                {
                    return new Literal(unchecked((ulong)-(long)magnitude), typeof(long));
                }

                throw Error("integer literal out of range");
            }

            Expr operand = Unary();
            return t.Text == "+" ? operand : new UnaryExpr(t.Text, operand);
        }

        if (Is("ref"))
        {
            _at++;
            return new RefExpr(Unary());
        }

        if (Is("(") && IsCast())
        {
            _at++;
            TypeSyntax type = Type();
            Expect(")");
            return new CastExpr(type, Unary());
        }

        return Postfix(Primary());
    }

    /// <summary>A parenthesized type keyword (with stars) is a cast; the translation core casts to nothing else.</summary>
    private bool IsCast()
    {
        Token t = Peek(1);
        if (t.Kind != TokenKind.Identifier || !s_typeKeywords.Contains(t.Text))
        {
            return false;
        }

        int k = 2;
        while (Is("*", k))
        {
            k++;
        }

        return Is(")", k);
    }

    private Expr Primary()
    {
        Token t = Next();
        switch (t.Kind)
        {
            case TokenKind.Number:
                return new Literal(t.Value, t.NumberType!);
            case TokenKind.String:
                return new Literal(t.Text, typeof(string));
            case TokenKind.Identifier:
                switch (t.Text)
                {
                    case "true":
                        return new Literal(true, typeof(bool));
                    case "false":
                        return new Literal(false, typeof(bool));
                    case "null":
                        return new Literal(null, typeof(object));
                    case "new":
                    {
                        TypeSyntax type = Type();
                        return new NewExpr(type, Arguments());
                    }
                }

                return new NameExpr(t.Text);
            case TokenKind.Punctuation when t.Text == "(":
            {
                Expr inner = Expression();
                Expect(")");
                return inner;
            }
        }

        _at--;
        throw Error("an expression expected");
    }

    private Expr Postfix(Expr e)
    {
        while (true)
        {
            if (Accept("."))
            {
                e = new MemberExpr(e, Identifier());
            }
            else if (Is("("))
            {
                e = new CallExpr(e, Arguments());
            }
            else if (Accept("["))
            {
                Expr index = Expression();
                Expect("]");
                e = new IndexExpr(e, index);
            }
            else
            {
                return e;
            }
        }
    }

    private List<Expr> Arguments()
    {
        Expect("(");
        var arguments = new List<Expr>();
        if (!Accept(")"))
        {
            do
            {
                arguments.Add(Expression());
            }
            while (Accept(","));
            Expect(")");
        }

        return arguments;
    }
}

/// <summary>Source the direct IL back end does not accept (it is not the subset the translation core writes).</summary>
internal sealed class DirectIlException(string message) : Exception(message);
