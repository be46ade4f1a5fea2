namespace NExtLong.Synthesis;

/// <summary>A long document built from one meta-document, exactly <see cref="TokenCount"/> tokens of the target tokenizer.</summary>
/// <param name="NearDuplicatesSkipped">NExtLong: candidates skipped by the cosine check (also in <paramref name="FalseNegativesSkipped"/>);
/// ICLM: documents its near-duplicate filter dropped from the window.</param>
/// <param name="FalseNegativesSkipped">NExtLong: candidates skipped as copies of the meta-document's text, by reason (zero for the baselines).</param>
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
    FalseNegativeCounts FalseNegativesSkipped,
    IReadOnlyList<DocumentSpan> Spans);
