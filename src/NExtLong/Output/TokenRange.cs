namespace NExtLong.Output;

/// <summary>
/// [Start, End) token offsets of one document inside a training sequence: a row of ProLong's <c>indices</c>
/// column, which its collator turns into the sequence lengths of the document mask.
/// </summary>
/// <param name="Start">The document's first token in the sequence.</param>
/// <param name="End">One past its last token.</param>
public readonly record struct TokenRange(int Start, int End);
