using System.Text;

namespace Translator.Translation.Emission;

/// <summary>Builds C# source line by line with indentation.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new StringBuilder();
    private int _indent;

    public CodeWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4);
        }

        _text.Append(line).Append('\n');
        return this;
    }

    /// <summary>A label, one level out from the statements around it.</summary>
    public CodeWriter Label(string label)
    {
        _text.Append(' ', System.Math.Max(0, _indent - 1) * 4).Append(label).Append(":\n");
        return this;
    }

    public CodeWriter Open(string line)
    {
        Line(line);
        Line("{");
        _indent++;
        return this;
    }

    public CodeWriter Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
        return this;
    }

    /// <summary>Text produced by another writer, as it is.</summary>
    public CodeWriter Raw(string text)
    {
        _text.Append(text);
        return this;
    }

    public CodeWriter Indent()
    {
        _indent++;
        return this;
    }

    public CodeWriter Outdent()
    {
        _indent--;
        return this;
    }

    public override string ToString() => _text.ToString();
}
