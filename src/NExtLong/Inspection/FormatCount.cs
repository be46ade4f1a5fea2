namespace NExtLong.Inspection;

/// <summary>What verifying one format of a dataset found: its samples and tokens, for comparing formats.</summary>
/// <param name="Format">The format checked: "jsonl.zst", "mds", "mds-text", "megatron" or "parquet".</param>
/// <param name="Path">The file, folder or prefix checked.</param>
/// <param name="Samples">Samples of the format: documents, sequences or rows.</param>
/// <param name="Tokens">Null when a quick check could not count them.</param>
/// <param name="Ids">Tokens are token ids (mds, megatron), not text tokens (num_tokens).</param>
/// <param name="Counted">False when a quick check could not count the samples.</param>
internal sealed record FormatCount(string Format, string Path, long Samples, long? Tokens, bool Ids, bool Counted = true);
