using System.Buffers;
using System.Globalization;
using System.Text;

namespace NExtLong.Output.Mds;

/// <summary>
/// Writes JSON exactly as Python's <c>json.dumps</c> does with its defaults: one line, separators ", " and ": ",
/// ensure_ascii (every character outside ' '..'~' escaped as lowercase \uXXXX, astral characters as surrogate
/// pairs), "/" not escaped. mosaicml-streaming writes index.json and each shard's config this way, so matching it
/// makes our files byte-identical to its own. Keys are written in the order given; callers sort them.
/// </summary>
internal sealed class PythonJsonWriter
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

    /// <summary>A float as Python's repr writes it: shortest round-trip digits, "1.0", "1e-05", "1e+16", "NaN", "Infinity".</summary>
    public PythonJsonWriter Float(double value)
    {
        BeforeValue();
        if (!double.IsFinite(value))
        {
            _text.Append(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
            return this;
        }
        // .NET's "R" gives the same shortest digits as Python's repr; only the layout differs. Python writes
        // d.ddde±XX when the decimal exponent is below -4 or at least 16, else positional with at least ".0".
        Span<char> r = stackalloc char[32];
        value.TryFormat(r, out int length, "R", CultureInfo.InvariantCulture);
        ReadOnlySpan<char> text = r[..length];
        if (text[0] == '-')
        {
            _text.Append('-');
            text = text[1..];
        }
        int e = text.IndexOf('E');
        int exponent = e < 0 ? 0 : int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        ReadOnlySpan<char> mantissa = e < 0 ? text : text[..e];
        int dot = mantissa.IndexOf('.');
        Span<char> digits = stackalloc char[32];
        int count = 0;
        foreach (char c in mantissa)
        {
            if (c != '.')
                digits[count++] = c;
        }
        // value = 0.d1d2…dn × 10^point once leading zeros are gone.
        int point = (dot < 0 ? mantissa.Length : dot) + exponent;
        int first = 0;
        while (first < count - 1 && digits[first] == '0')
        {
            first++;
            point--;
        }
        ReadOnlySpan<char> d = digits[first..count].TrimEnd('0');
        if (d.IsEmpty)
        {
            _text.Append("0.0");
            return this;
        }
        int sci = point - 1;
        if (sci is < -4 or >= 16)
        {
            _text.Append(d[0]);
            if (d.Length > 1)
                _text.Append('.').Append(d[1..]);
            _text.Append(sci < 0 ? "e-" : "e+").Append(Math.Abs(sci).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (point <= 0)
            _text.Append("0.").Append('0', -point).Append(d);
        else if (point >= d.Length)
            _text.Append(d).Append('0', point - d.Length).Append(".0");
        else
            _text.Append(d[..point]).Append('.').Append(d[point..]);
        return this;
    }

    public PythonJsonWriter Boolean(bool value)
    {
        BeforeValue();
        _text.Append(value ? "true" : "false");
        return this;
    }

    public PythonJsonWriter Null()
    {
        BeforeValue();
        _text.Append("null");
        return this;
    }

    public override string ToString() => _text.ToString();

    /// <summary>Empties the writer for the next document, keeping its buffer.</summary>
    public void Clear()
    {
        _text.Clear();
        _hasElement.Clear();
        _afterName = false;
    }

    /// <summary>Appends the JSON, which is all ASCII (ensure_ascii), to <paramref name="output"/> as UTF-8 bytes.</summary>
    public void CopyTo(IBufferWriter<byte> output)
    {
        foreach (ReadOnlyMemory<char> chunk in _text.GetChunks())
        {
            int written = Encoding.ASCII.GetBytes(chunk.Span, output.GetSpan(chunk.Length));
            output.Advance(written);
        }
    }

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
