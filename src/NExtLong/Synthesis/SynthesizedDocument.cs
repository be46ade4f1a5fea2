using System.Text.Json.Serialization;

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
    IReadOnlyList<DocumentSpan> Spans)
{
    /// <summary>
    /// The text's token ids (no BOS/EOS), <see cref="TokenCount"/> of them, as the exact cut collected them, so the
    /// tokenized formats never encode the text again. Not saved in candidate blocks: a distributed merge encodes
    /// the documents it reads back (<see cref="CandidateBlock"/>).
    /// </summary>
    [JsonIgnore]
    public int[]? TokenIds { get; init; }
}
