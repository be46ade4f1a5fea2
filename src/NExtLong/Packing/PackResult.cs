namespace NExtLong.Packing;

/// <summary>What a packing run wrote and what it dropped.</summary>
/// <param name="Sequences">Sequences written.</param>
/// <param name="Documents">Documents in them.</param>
/// <param name="Tokens">Token ids in them.</param>
/// <param name="DroppedLongDocuments">Documents longer than the pack length, dropped.</param>
/// <param name="DroppedShortSequences">Sequences left shorter than the minimum length, dropped.</param>
/// <param name="DroppedDocuments">Documents dropped in all: too long, or in a dropped sequence.</param>
/// <param name="DroppedTokens">Token ids of the dropped documents.</param>
/// <param name="LongestDocument">The longest document read, in ids, dropped or not.</param>
/// <param name="ShortestDocument">The shortest document read, in ids; 0 when none was read.</param>
public sealed record PackResult(
    long Sequences,
    long Documents,
    long Tokens,
    long DroppedLongDocuments,
    long DroppedShortSequences,
    long DroppedDocuments,
    long DroppedTokens,
    int LongestDocument,
    int ShortestDocument);
