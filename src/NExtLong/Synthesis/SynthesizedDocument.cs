using System.Text.Json.Serialization;

namespace NExtLong.Synthesis;

/// <summary>A long document built from one meta-document, exactly <see cref="TokenCount"/> tokens of the target tokenizer.</summary>
/// <param name="Text">The document text, cut to exactly <paramref name="TokenCount"/> tokens.</param>
/// <param name="TokenCount">Its length in target-tokenizer tokens: always the target length T.</param>
/// <param name="MetaDocumentId">The id of the meta-document it extends (a baseline's anchor document).</param>
/// <param name="MetaDocumentSource">The corpus source the meta-document came from.</param>
/// <param name="MetaDocumentChars">The meta-document's length in characters (Unicode scalar values), as chunked.</param>
/// <param name="MetaChunks">Meta-chunks p the meta-document was cut into; 0 for the baselines.</param>
/// <param name="K">NExtLong: hard negatives k mined per meta-chunk in the attempt that succeeded; baselines: documents after the anchor.</param>
/// <param name="Attempts">The attempt that reached T, 1-based (each retry mines more negatives or documents).</param>
/// <param name="NearDuplicatesSkipped">NExtLong: candidates skipped by the cosine check (also in <paramref name="FalseNegativesSkipped"/>);
/// ICLM: documents its near-duplicate filter dropped from the window.</param>
/// <param name="FalseNegativesSkipped">NExtLong: candidates skipped as copies of the meta-document's text, by reason (zero for the baselines).</param>
/// <param name="Spans">The pieces of <paramref name="Text"/> in order, each with its origin and character and token range.</param>
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
    /// the documents it reads back (<see cref="Pipeline.CandidateBlock"/>).
    /// </summary>
    [JsonIgnore]
    public int[]? TokenIds { get; init; }
}
