using Parquet;
using NExtLong.Synthesis;

namespace NExtLong.Output.Parquet;

/// <summary>
/// The "parquet" format, laid out as a Hugging Face dataset repository: <c>data/train-NNNNN-of-MMMMM.parquet</c>
/// (snappy, as pyarrow writes by default), each row the fields of a JSON lines record with <c>meta_document</c>
/// a struct and <c>spans</c> a list of structs; the footer records each row's <see cref="ParquetRowChecksum"/>. Files are renamed from temporary names when complete, once
/// their count M is known.
/// </summary>
internal sealed class ParquetDatasetWriter : IDatasetWriter
{
    public const string Folder = "data";

    /// <summary>Rows per row group at most; long documents also close a group at <see cref="RowGroupChars"/>.</summary>
    public const int RowGroupRows = 1000;

    /// <summary>Characters of text per row group (about 64 MB of UTF-8 for English), to bound memory.</summary>
    public const long RowGroupChars = 64L << 20;

    /// <summary>A new file is started past this size, near the Hugging Face converter's 500 MB shards.</summary>
    public const long FileBytes = 500_000_000;

    private readonly string _datasetDir;
    private readonly List<ParquetDocumentRow> _rows = [];
    private readonly List<string> _temps = [];
    private readonly ParquetRowChecksum _checksum = new();
    private readonly List<string> _rowChecksums = [];
    private FileStream? _file;
    private EarlyWriteback? _writeback;
    private int _rowGroups;
    private int _checkpointedFiles;
    private long _chars;
    private bool _done;

    /// <param name="datasetDir">The dataset folder; the Parquet files go into its <see cref="Folder"/> subfolder.</param>
    /// <param name="resume">A <see cref="Checkpoint"/>'s state: continue that dataset with the next file.</param>
    public ParquetDatasetWriter(string datasetDir, string? resume = null)
    {
        _datasetDir = datasetDir;
        string dir = Path.Combine(datasetDir, Folder);
        Directory.CreateDirectory(dir);
        if (resume is null)
        {
            RemoveDataset(datasetDir);
            return;
        }
        if (!int.TryParse(resume, out int files) || files < 0)
            throw new InvalidDataException($"{dir}: cannot resume: unreadable saved state \"{resume}\"");
        for (int i = 0; i < files; i++)
        {
            string temp = TempName(i);
            if (!File.Exists(temp))
                throw new InvalidDataException($"{temp}: cannot resume: a file completed before the checkpoint is missing");
            _temps.Add(temp);
        }
        _checkpointedFiles = files;
        // Files begun after the checkpoint are redone.
        foreach (string f in Directory.EnumerateFiles(dir).Where(f => Holds(Path.GetFileName(f)) && !_temps.Contains(f)))
            File.Delete(f);
    }

    public static string FileName(int file, int files) => $"train-{file:D5}-of-{files:D5}.parquet";

    /// <summary>Deletes the Parquet files of an earlier dataset in <paramref name="datasetDir"/>/data.</summary>
    public static void RemoveDataset(string datasetDir)
    {
        string dir = Path.Combine(datasetDir, Folder);
        if (!Directory.Exists(dir))
            return;
        foreach (string f in Directory.EnumerateFiles(dir).Where(f => Holds(Path.GetFileName(f))))
            File.Delete(f);
    }

    /// <summary>Whether <paramref name="name"/> is a file of a dataset's <see cref="Folder"/>: train-*.parquet, or one's temporary file.</summary>
    public static bool Holds(string name) => name.StartsWith("train-", StringComparison.Ordinal) && name.Contains(".parquet", StringComparison.Ordinal);

    public void Write(string id, SynthesizedDocument document)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _rows.Add(new ParquetDocumentRow
        {
            Id = id,
            Text = document.Text,
            NumTokens = document.TokenCount,
            MetaDocument = new ParquetMetaDocument
            {
                Id = document.MetaDocumentId,
                Source = document.MetaDocumentSource,
                Chars = document.MetaDocumentChars,
                MetaChunks = document.MetaChunks,
            },
            K = document.K,
            Attempts = document.Attempts,
            NearDuplicatesSkipped = document.NearDuplicatesSkipped,
            FalseNegativesSkipped = new ParquetFalseNegatives
            {
                NearDuplicateCosine = document.FalseNegativesSkipped.NearDuplicateCosine,
                ShingleContainment = document.FalseNegativesSkipped.ShingleContainment,
                ShingleJaccard = document.FalseNegativesSkipped.ShingleJaccard,
            },
            Spans = [.. document.Spans.Select(s => new ParquetSpanRow
            {
                Role = ProvenanceJson.RoleName(s.Role),
                MetaChunk = s.MetaChunk,
                ChunkId = s.ChunkId,
                Document = s.DocumentId,
                Source = s.Source,
                Rank = s.Rank,
                Similarity = s.Similarity is float sim ? Math.Round(sim, 6) : null,
                Cosine = s.Cosine is float cosine ? Math.Round(cosine, 6) : null,
                CharStart = s.CharStart,
                CharEnd = s.CharEnd,
                TokenStart = s.TokenStart,
                TokenEnd = s.TokenEnd,
                Truncated = s.Truncated,
            })],
        });
        _chars += document.Text.Length;
        if (_rows.Count >= RowGroupRows || _chars >= RowGroupChars)
            FlushRowGroup();
    }

    /// <summary>
    /// Writes the rows so far and closes the file (so files also end at checkpoints, which fall at the same
    /// documents in every run). Files keep temporary names until <see cref="Complete"/> knows how many there
    /// are; the state is how many are done.
    /// </summary>
    public WriterCheckpoint Checkpoint()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (_rows.Count > 0)
            FlushRowGroup();
        CloseFile();
        _checkpointedFiles = _temps.Count;
        return new WriterCheckpoint([], _checkpointedFiles.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public IReadOnlyList<string> Complete()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (_rows.Count > 0)
            FlushRowGroup();
        CloseFile();
        _done = true;
        var names = new List<string>();
        for (int i = 0; i < _temps.Count; i++)
        {
            string name = FileName(i, _temps.Count);
            File.Move(_temps[i], Path.Combine(_datasetDir, Folder, name), overwrite: true);
            names.Add(Folder + "/" + name);
        }
        return names;
    }

    /// <summary>Abandons the files begun since the last checkpoint; those before it stay for a resumed run.</summary>
    public void Dispose()
    {
        if (_done) return;
        _done = true;
        _file?.Dispose();
        foreach (string temp in _temps.Skip(_checkpointedFiles)) File.Delete(temp);
    }

    private void FlushRowGroup()
    {
        if (_file is null)
        {
            string temp = TempName(_temps.Count);
            _temps.Add(temp);
            _file = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20);
            _writeback = new EarlyWriteback(_file);
            _rowGroups = 0;
            _rowChecksums.Clear();
        }
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Snappy };
        // Every footer (rewritten by each appended row group) carries the checksums of all the file's rows so far.
        foreach (var row in _rows) _rowChecksums.Add(_checksum.Of(row));
        var metadata = new Dictionary<string, string> { [ParquetRowChecksum.MetadataKey] = string.Join(',', _rowChecksums) };
        // Parquet.Net is async only; run it off any synchronization context so waiting cannot deadlock.
        Task.Run(async () =>
        {
            await using var writer = await ParquetWriter.CreateAsync(ParquetDocumentLayout.Schema, _file, options, append: _rowGroups > 0);
            writer.CustomMetadata = metadata;
            using var group = writer.CreateRowGroup();
            await ParquetDocumentLayout.WriteAsync(group, _rows, CancellationToken.None);
        }).GetAwaiter().GetResult();
        _writeback!.Written();
        _rowGroups++;
        _rows.Clear();
        _chars = 0;
        if (_file.Length >= FileBytes)
            CloseFile();
    }

    private string TempName(int file) => Path.Combine(_datasetDir, Folder, $"train-{file:D5}.parquet.tmp");

    private void CloseFile()
    {
        if (_file is null) return;
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        _file = null;
    }
}
