namespace NExtLong.Packing;

/// <summary>What a packing run wrote and what it dropped.</summary>
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
