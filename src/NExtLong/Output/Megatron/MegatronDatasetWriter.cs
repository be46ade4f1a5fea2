using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NExtLong.Output.Megatron;

/// <summary>
/// The "megatron" format: a Megatron-LM / GPT-NeoX indexed dataset, <c>PREFIX.bin</c> + <c>PREFIX.idx</c>
/// (MMIDIDX version 1), one sequence per document. Pass PREFIX to <c>--data-path</c>.
/// </summary>
/// <remarks>
/// .bin is every sequence's ids back to back (little-endian, no header). .idx is the magic "MMIDIDX\0\0", u64
/// version 1, u8 dtype code, u64 sequence count S, u64 document count + 1, int32 lengths[S], int64 byte offsets
/// into .bin [S], int64 document_indices [0, 1, …, S]. Only the lengths are kept in memory (4 bytes a sequence);
/// both files keep temporary names until <see cref="Complete"/>.
/// </remarks>
internal sealed class MegatronDatasetWriter : ITokenSequenceWriter
{
    public const string Folder = "megatron";

    /// <summary>The file stem, following Megatron's preprocess_data naming ({prefix}_{json_key}_document).</summary>
    public const string Prefix = "nextlong_text_document";

    public static ReadOnlySpan<byte> Magic => "MMIDIDX\0\0"u8;

    private readonly string _relativePrefix;
    private readonly string _binPath, _idxPath;
    private readonly FileStream _bin;
    private readonly EarlyWriteback _writeback;
    private readonly List<int> _lengths = [];
    private readonly int _itemSize;
    private readonly MegatronIdMapping? _mapping;
    private byte[] _buffer = new byte[1 << 16];
    private long _checkpointBytes = -1;
    private bool _done;

    /// <param name="dir">The dataset folder.</param>
    /// <param name="relativePrefix">Path of the two files inside it, without extension.</param>
    /// <param name="dtype">The id width in the .bin file: uint16 (vocabularies up to 65,536) or int32.</param>
    /// <param name="resume">A <see cref="Checkpoint"/>'s state: continue that dataset.</param>
    /// <param name="mapping">How ids are written for the Megatron tokenizer; null writes them as given.</param>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is neither uint16 nor int32.</exception>
    public MegatronDatasetWriter(string dir, string relativePrefix, MegatronDType dtype, string? resume = null, MegatronIdMapping? mapping = null)
    {
        if (dtype is not (MegatronDType.UInt16 or MegatronDType.Int32))
            throw new ArgumentException($"token ids are written as uint16 or int32, not {dtype}", nameof(dtype));
        DType = dtype;
        _mapping = mapping;
        _itemSize = dtype == MegatronDType.UInt16 ? 2 : 4;
        _relativePrefix = relativePrefix;
        string prefix = Path.Combine(dir, relativePrefix);
        _binPath = prefix + ".bin";
        _idxPath = prefix + ".idx";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(prefix))!);
        if (resume is null)
        {
            _bin = new FileStream(_binPath + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            _writeback = new EarlyWriteback(_bin);
            return;
        }
        long binBytes;
        try
        {
            var state = JsonNode.Parse(resume)!;
            binBytes = state["bin_bytes"]!.GetValue<long>();
            _lengths.AddRange(state["lengths"]!.AsArray().Select(l => l!.GetValue<int>()));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new InvalidDataException($"{prefix}: cannot resume: unreadable saved state ({e.Message})", e);
        }
        if (!File.Exists(_binPath + ".tmp") || new FileInfo(_binPath + ".tmp").Length < binBytes)
            throw new InvalidDataException($"{_binPath}.tmp: cannot resume: missing or shorter than the {binBytes:N0} bytes written by the checkpoint");
        // Sequences written after the checkpoint are cut off and redone.
        _bin = new FileStream(_binPath + ".tmp", FileMode.Open, FileAccess.Write, FileShare.None, 1 << 20);
        _bin.SetLength(binBytes);
        _bin.Position = binBytes;
        _checkpointBytes = binBytes;
        _writeback = new EarlyWriteback(_bin);
    }

    /// <summary>The "megatron" format inside a dataset folder: megatron/nextlong_text_document.{bin,idx}.</summary>
    public static MegatronDatasetWriter InDataset(string datasetDir, MegatronIdMapping mapping, string? resume = null) =>
        new(datasetDir, Folder + "/" + Prefix, DTypeFor(mapping.VocabularySize), resume, mapping);

    /// <summary>Megatron's <c>DType.optimal_dtype</c>: uint16 when the vocabulary has fewer than 65,500 ids, else int32.</summary>
    public static MegatronDType DTypeFor(int vocabularySize) => vocabularySize < 65_500 ? MegatronDType.UInt16 : MegatronDType.Int32;

    public MegatronDType DType { get; }

    /// <summary>Writes one sequence; the document spans are not stored (each sequence is one document).</summary>
    /// <summary>Each sequence goes to the .bin as it comes, whatever follows: nothing to prepare.</summary>
    public void Expect(int sequences)
    {
    }

    public void Write(ReadOnlySpan<int> inputIds, ReadOnlySpan<TokenRange> documents, string domain)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        int max = DType == MegatronDType.UInt16 ? ushort.MaxValue : int.MaxValue;
        int bytes = inputIds.Length * _itemSize;
        if (_buffer.Length < bytes)
            _buffer = new byte[Math.Max(bytes, _buffer.Length * 2)];
        Span<byte> dest = _buffer.AsSpan(0, bytes);
        for (int i = 0; i < inputIds.Length; i++)
        {
            int id = _mapping is null ? inputIds[i] : _mapping.Map(inputIds[i]);
            if ((uint)id > (uint)max)
                throw new ArgumentOutOfRangeException(nameof(inputIds), id, $"token id does not fit the dataset's {DType}");
            if (_itemSize == 2) BinaryPrimitives.WriteUInt16LittleEndian(dest[(2 * i)..], (ushort)id);
            else BinaryPrimitives.WriteInt32LittleEndian(dest[(4 * i)..], id);
        }
        _bin.Write(dest);
        _writeback.Written();
        _lengths.Add(inputIds.Length);
    }

    /// <summary>
    /// Makes the ids so far durable. Both files keep their temporary names until <see cref="Complete"/> (the
    /// index is written only then); the state holds the .bin length and the sequence lengths.
    /// </summary>
    public WriterCheckpoint Checkpoint()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _bin.Flush(flushToDisk: true);
        _checkpointBytes = _bin.Position;
        var state = new JsonObject { ["bin_bytes"] = _checkpointBytes, ["lengths"] = new JsonArray([.. _lengths.Select(l => (JsonNode)JsonValue.Create(l))]) };
        return new WriterCheckpoint([], state.ToJsonString());
    }

    public IReadOnlyList<string> Complete()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _bin.Flush(flushToDisk: true);
        _bin.Dispose();
        using (var idx = new FileStream(_idxPath + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Span<byte> word = stackalloc byte[8];
            idx.Write(Magic);
            WriteUInt64(idx, word, 1);
            idx.WriteByte((byte)DType);
            WriteUInt64(idx, word, (ulong)_lengths.Count);
            WriteUInt64(idx, word, (ulong)_lengths.Count + 1);
            foreach (int length in _lengths)
            {
                BinaryPrimitives.WriteInt32LittleEndian(word, length);
                idx.Write(word[..4]);
            }
            long pointer = 0;
            foreach (int length in _lengths)
            {
                WriteUInt64(idx, word, (ulong)pointer);
                pointer += (long)length * _itemSize;
            }
            for (int doc = 0; doc <= _lengths.Count; doc++)
                WriteUInt64(idx, word, (ulong)doc);
            idx.Flush(flushToDisk: true);
        }
        File.Move(_binPath + ".tmp", _binPath, overwrite: true);
        File.Move(_idxPath + ".tmp", _idxPath, overwrite: true);
        _done = true;
        return [_relativePrefix + ".bin", _relativePrefix + ".idx"];
    }

    /// <summary>
    /// Abandons unfinished files: the temporary .bin keeps what the last checkpoint saved (a resumed run continues
    /// from it) and nothing else; without a checkpoint it is deleted.
    /// </summary>
    public void Dispose()
    {
        if (_done) return;
        _done = true;
        if (_checkpointBytes >= 0)
            _bin.SetLength(_checkpointBytes);
        _bin.Dispose();
        if (_checkpointBytes < 0)
            File.Delete(_binPath + ".tmp");
        File.Delete(_idxPath + ".tmp");
    }

    private static void WriteUInt64(Stream s, Span<byte> word, ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(word, value);
        s.Write(word);
    }
}
