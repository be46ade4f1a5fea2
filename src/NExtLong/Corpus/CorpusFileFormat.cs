namespace NExtLong.Corpus;

/// <summary>The file formats <see cref="CorpusReader"/> reads, told apart by extension.</summary>
internal enum CorpusFileFormat
{
    /// <summary>.jsonl, .json: one JSON object per line.</summary>
    JsonLines,

    /// <summary>.jsonl.gz, .json.gz.</summary>
    JsonLinesGzip,

    /// <summary>.jsonl.zst, .json.zst.</summary>
    JsonLinesZstd,

    /// <summary>.parquet.</summary>
    Parquet,
}
