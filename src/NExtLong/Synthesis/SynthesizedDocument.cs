namespace NExtLong.Synthesis;

/// <summary>A long document built from one meta-document, exactly <see cref="TokenCount"/> tokens of the target tokenizer.</summary>
public sealed record SynthesizedDocument(
    string Text,
    int TokenCount,
    string MetaDocumentId,
    string MetaDocumentSource,
    int MetaDocumentChars,
    int MetaChunks,
    int K,
    int Attempts,
    int NearDuplicatesSkipped,
    IReadOnlyList<DocumentSpan> Spans);
