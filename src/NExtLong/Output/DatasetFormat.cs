namespace NExtLong.Output;

/// <summary>The output formats of a synthesized dataset (command-line names in <see cref="DatasetWriterFactory"/>).</summary>
public enum DatasetFormat
{
    /// <summary>"jsonl.zst": part-NNNNN.jsonl.zst in the dataset folder, text with full provenance.</summary>
    JsonlZst,

    /// <summary>"mds": tokenized, ProLong's columns, mds/&lt;domain&gt;/ with a merged mds/index.json.</summary>
    Mds,

    /// <summary>"mds-text": text and provenance as MDS, mds-text/&lt;domain&gt;/.</summary>
    MdsText,

    /// <summary>"megatron": megatron/nextlong_text_document.{bin,idx}, tokenized.</summary>
    Megatron,

    /// <summary>"parquet": data/train-NNNNN-of-MMMMM.parquet, the Hugging Face datasets layout.</summary>
    Parquet,
}
