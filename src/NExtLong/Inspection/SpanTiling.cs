namespace NExtLong.Inspection;

/// <summary>
/// Checks a record's spans one by one: their token offsets must partition [0, num_tokens) and their character
/// offsets lie inside the text, in order (the separators between pieces belong to no span).
/// </summary>
internal struct SpanTiling
{
    private long _token;
    private long _char;
    private int _count;

    /// <summary>Takes the next span; returns what is wrong with it, or null.</summary>
    public string? Add(long tokenStart, long tokenEnd, long charStart, long charEnd, long textChars)
    {
        int i = _count++;
        if (tokenStart != _token || tokenEnd < tokenStart)
            return $"span {i} covers tokens [{tokenStart}, {tokenEnd}), but the spans before it end at token {_token}";
        if (charStart < _char || charEnd < charStart || charEnd > textChars)
            return $"span {i} covers characters [{charStart}, {charEnd}), not inside the text's {textChars} characters after {_char}";
        _token = tokenEnd;
        _char = charEnd;
        return null;
    }

    /// <summary>After the last span: what is wrong if they do not reach <paramref name="numTokens"/>, or null.</summary>
    public readonly string? End(long numTokens) =>
        _token == numTokens ? null : $"the spans end at token {_token}, num_tokens is {numTokens}";
}
