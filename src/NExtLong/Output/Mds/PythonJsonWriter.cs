using System.Globalization;
using System.Text;

namespace NExtLong.Output.Mds;

/// <summary>
/// Writes JSON exactly as Python's <c>json.dumps</c> does with its defaults: one line, separators ", " and ": ",
/// ensure_ascii (every character outside ' '..'~' escaped as lowercase \uXXXX, astral characters as surrogate
/// pairs), "/" not escaped. mosaicml-streaming writes index.json and each shard's config this way, so matching it
/// makes our files byte-identical to its own. Keys are written in the order given; callers sort them.
/// </summary>
public sealed class PythonJsonWriter
{
    private readonly StringBuilder _text = new();
    // Per open container: whether it has an element yet (decides the ", " separator).
    private readonly Stack<bool> _hasElement = new();
    private bool _afterName;

    public PythonJsonWriter StartObject() => Open('{');

    public PythonJsonWriter EndObject() => Close('}');

    public PythonJsonWriter StartArray() => Open('[');

    public PythonJsonWriter EndArray() => Close(']');

    public PythonJsonWriter Name(string name)
    {
        BeforeValue();
        AppendString(name);
        _text.Append(": ");
        _afterName = true;
        return this;
    }

    public PythonJsonWriter String(string? value)
    {
        if (value is null)
            return Null();
        BeforeValue();
        AppendString(value);
        return this;
    }

    public PythonJsonWriter Number(long value)
    {
        BeforeValue();
        _text.Append(value.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    public PythonJsonWriter Null()
    {
        BeforeValue();
        _text.Append("null");
        return this;
    }

    public override string ToString() => _text.ToString();

    private PythonJsonWriter Open(char bracket)
    {
        BeforeValue();
        _text.Append(bracket);
        _hasElement.Push(false);
        return this;
    }

    private PythonJsonWriter Close(char bracket)
    {
        _hasElement.Pop();
        _text.Append(bracket);
        return this;
    }

    private void BeforeValue()
    {
        if (_afterName)
        {
            _afterName = false;
            return;
        }
        if (_hasElement.Count == 0)
            return;
        if (_hasElement.Peek())
            _text.Append(", ");
        _hasElement.Pop();
        _hasElement.Push(true);
    }

    private void AppendString(string value)
    {
        _text.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': _text.Append("\\\""); break;
                case '\\': _text.Append("\\\\"); break;
                case '\n': _text.Append("\\n"); break;
                case '\r': _text.Append("\\r"); break;
                case '\t': _text.Append("\\t"); break;
                case '\b': _text.Append("\\b"); break;
                case '\f': _text.Append("\\f"); break;
                default:
                    if (c is >= ' ' and <= '~')
                        _text.Append(c);
                    else
                        _text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
            }
        }
        _text.Append('"');
    }
}
