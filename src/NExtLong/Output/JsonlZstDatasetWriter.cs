using System.Text.Json;
using NExtLong.Synthesis;
using ZstdSharp;

namespace NExtLong.Output;

/// <summary>
/// Writes synthesized documents as zstd-compressed JSON lines, "part-NNNNN.jsonl.zst", a new part every
/// <see cref="DocumentsPerPart"/> documents. A part is written under ".tmp" and renamed when closed, so an
/// interrupted run never leaves a part that looks complete.
/// One line: {"id","text","num_tokens","meta_document":{"id","source","chars","meta_chunks"},"k","attempts",
/// "near_duplicates_skipped","false_negatives_skipped","spans":[{"role","meta_chunk","chunk_id","document","source","rank","similarity",
/// ("cosine": bm25 over an index with vectors only), "char_start","char_end","token_start","token_end","truncated"}]}.
/// </summary>
internal sealed class JsonlZstDatasetWriter : IDatasetWriter
{
    /// <summary>The input zstd compresses per job of its multi-threaded mode.</summary>
    internal const int JobBytes = 2 << 20;

    private readonly string _dir;
    private readonly int _level;
    private readonly int _compressionThreads;
    private FileStream? _file;
    private CompressionStream? _zstd;
    private EarlyWriteback? _writeback;
    private readonly JsonLines _lines = new(new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    private string? _tempPath, _finalPath;
    private int _inPart, _part;
    private readonly RelaxedJsonString _text = new();

    /// <param name="dir">The folder the parts go into; created if missing.</param>
    /// <param name="documentsPerPart">Documents per part file; default 256.</param>
    /// <param name="compressionLevel">The zstd level; default 3.</param>
    /// <param name="resume">A <see cref="Checkpoint"/> result: continue that dataset with the next part.</param>
    /// <param name="compressionThreads">Threads zstd compresses a part on (at least 1), beside the one writing the JSON.
    /// zstd's multi-threaded frames are the same bytes for any number of threads, so the parts do not depend on it.</param>
    public JsonlZstDatasetWriter(string dir, int documentsPerPart = 256, int compressionLevel = 3, WriterCheckpoint? resume = null, int compressionThreads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(compressionThreads, 1);
        _dir = dir;
        DocumentsPerPart = documentsPerPart;
        _level = compressionLevel;
        _compressionThreads = compressionThreads;
        Directory.CreateDirectory(dir);
        if (resume is null) return;
        var parts = resume.Files;
        foreach (var part in parts)
            if (!File.Exists(Path.Combine(dir, part)))
                throw new InvalidDataException($"{dir}: cannot resume: completed part {part} is missing");
        _completedParts.AddRange(parts);
        _part = parts.Count;
    }

    /// <summary>The parts completed so far; new parts continue the numbering, so no other state is needed.</summary>
    public WriterCheckpoint Checkpoint()
    {
        ClosePart();
        return new WriterCheckpoint([.. _completedParts], "");
    }

    public int DocumentsPerPart { get; }

    private readonly List<string> _completedParts = [];

    public static string PartName(int part) => $"part-{part:D5}.jsonl.zst";

    public void Write(string id, SynthesizedDocument doc)
    {
        if (_zstd is null) OpenPart();
        var w = _lines.Start();
        w.WriteStartObject();
        w.WriteString("id", id);
        _text.Write(w, "text", doc.Text);
        ProvenanceJson.WriteProperties(w, doc);
        w.WriteEndObject();
        _lines.AppendTo(_zstd!);
        _writeback!.Written();
        if (++_inPart >= DocumentsPerPart) ClosePart();
    }

    private void OpenPart()
    {
        _finalPath = Path.Combine(_dir, PartName(_part));
        _tempPath = _finalPath + ".tmp";
        _file = new FileStream(_tempPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        _writeback = new EarlyWriteback(_file);
        _zstd = new CompressionStream(_file, _level);
        // The frame's XXH64 content checksum lets any zstd reader (and `verify`) catch a damaged part.
        _zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        // Always zstd's multi-threaded mode, even on one thread: its frames (one per part, as before) are the same for
        // any thread count but not the same as single-threaded ones, and a dataset must not depend on --threads. The
        // compression of a part was the one writer that could not keep up (a core of its own at T = 512K).
        _zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_nbWorkers, _compressionThreads);
        // Jobs of 2 MiB instead of the 8 MiB zstd picks at level 3, so the end of a run waits for one small job after
        // the last document, not a large one (a 16 x 512K run at --threads 2: 0.97x the time, parts 0.4-0.6 % larger;
        // docs/BENCHMARKS.md, session 24). A fixed size, so the frame is still the same for any thread count.
        _zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_jobSize, JobBytes);
        _inPart = 0;
    }

    public IReadOnlyList<string> Complete()
    {
        ClosePart();
        return _completedParts;
    }

    /// <summary>Closes the open part (if any) and renames it into place.</summary>
    private void ClosePart()
    {
        if (_zstd is null) return;
        _zstd.Dispose();
        _file!.Flush(flushToDisk: true);
        _file.Dispose();
        File.Move(_tempPath!, _finalPath!, overwrite: true);
        _completedParts.Add(Path.GetFileName(_finalPath!));
        _zstd = null;
        _part++;
    }

    /// <summary>Abandons an open part: its temporary file is deleted, never renamed.</summary>
    /// <remarks>
    /// Nothing of the part is kept, so a flush that fails on the way (a full disk, usually what is being abandoned
    /// for) must not stop the rest: zstd's compression threads, which would keep the process from exiting, are
    /// released and the temporary file is deleted whatever happens. The failure that led here is the one reported.
    /// </remarks>
    public void Dispose()
    {
        if (_zstd is null) return;
        var zstd = _zstd;
        _zstd = null;
        Abandoning(zstd.Dispose);
        Abandoning(_file!.Dispose);
        File.Delete(_tempPath!);
    }

    private static void Abandoning(Action close)
    {
        try
        {
            close();
        }
        catch (IOException)
        {
        }
    }
}
