namespace NExtLong.Tokenization;

/// <summary>
/// What the tiktoken regexes can tell apart about one Unicode scalar value (<see cref="TiktokenPreTokenizer"/>):
/// the letter kinds o200k separates, marks, numbers, line breaks, other White_Space, and everything else.
/// </summary>
internal enum ScalarClass : byte
{
    /// <summary>Lu, Lt.</summary>
    UpperLetter,

    /// <summary>Ll.</summary>
    LowerLetter,

    /// <summary>Lm, Lo: on both sides of o200k's upper/lower split.</summary>
    OtherLetter,

    /// <summary>Mn, Mc, Me.</summary>
    Mark,

    /// <summary>Nd, Nl, No.</summary>
    Number,

    /// <summary>\r and \n.</summary>
    LineBreak,

    /// <summary>Any other Unicode White_Space character (what Rust regex's \s matches).</summary>
    Space,

    /// <summary>Punctuation, symbols, controls, format, private use, unassigned, lone surrogates.</summary>
    Other,
}
