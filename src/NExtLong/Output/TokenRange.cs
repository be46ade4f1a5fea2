namespace NExtLong.Output;

/// <summary>
/// [Start, End) token offsets of one document inside a training sequence: a row of ProLong's <c>indices</c>
/// column, which its collator turns into the sequence lengths of the document mask.
/// </summary>
public readonly record struct TokenRange(int Start, int End);
