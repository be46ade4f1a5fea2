namespace NExtLong.Report;

/// <summary>
/// Turns the increasing Unicode-scalar offsets of a document's spans into UTF-16 indices in one walk over the text,
/// so cutting out every span of a 2 MB document costs one pass, not one pass per span.
/// </summary>
internal sealed class ScalarOffsets(string text)
{
    private int _scalars, _index;

    public int IndexOf(int scalars)
    {
        if (scalars < _scalars) (_scalars, _index) = (0, 0);
        _index += TextLength.Utf16IndexOf(text.AsSpan(_index), scalars - _scalars);
        _scalars = scalars;
        return _index;
    }
}
