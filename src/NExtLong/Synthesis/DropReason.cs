using System.Text.Json.Serialization;

namespace NExtLong.Synthesis;

/// <summary>
/// Why no long document could be made from a meta-document (<see cref="Synthesizer.Outcome.DropReason"/>). In JSON
/// (stats.json's "dropped", a distributed run's candidate blocks and unit stats, progress.json) each reason is the
/// stable snake_case name given with it, which never changes with the member's name here.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<DropReason>))]
public enum DropReason
{
    /// <summary>NExtLong: the meta-document has no chunk that is not blank, so there is nothing to extend.</summary>
    [JsonStringEnumMemberName("empty_meta_document")]
    EmptyMetaDocument,

    /// <summary>
    /// NExtLong: the assembled document fell short of T tokens and some meta-chunk already got fewer hard negatives
    /// than asked for; the index has no more to give, so retrying with more cannot help.
    /// </summary>
    [JsonStringEnumMemberName("short_index_exhausted")]
    ShortIndexExhausted,

    /// <summary>
    /// Every attempt fell short of T tokens: NExtLong after <see cref="SynthesisOptions.MaxAttempts"/> attempts, each
    /// with 1.5× the negatives of the one before; a baseline after its rounds of adding documents.
    /// </summary>
    [JsonStringEnumMemberName("short_after_retries")]
    ShortAfterRetries,

    /// <summary>A baseline: the meta-document (the anchor) is not in the index, or has no chunk there.</summary>
    [JsonStringEnumMemberName("anchor_not_indexed")]
    AnchorNotIndexed,

    /// <summary>A baseline: the documents it may add ran out before the concatenation reached T tokens.</summary>
    [JsonStringEnumMemberName("short_corpus_exhausted")]
    ShortCorpusExhausted,

    /// <summary>ICLM: the anchor is not on the global path (it has no chunks, or the near-duplicate filter removed it).</summary>
    [JsonStringEnumMemberName("iclm_not_on_path")]
    IclmNotOnPath,

    /// <summary>ICLM: the anchor's window of the path is made once, for another of its members (the one synthesis tries first).</summary>
    [JsonStringEnumMemberName("iclm_window_taken")]
    IclmWindowTaken,
}
