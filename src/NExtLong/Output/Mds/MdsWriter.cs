using System.Buffers.Binary;
using System.Text;
using ZstdSharp;

namespace NExtLong.Output.Mds;

/// <summary>
/// Writes an MDS dataset folder that mosaicml-streaming's reader (and so ProLong's trainer) loads unchanged:
/// shard.NNNNN.mds files and index.json. Columns are stored in sorted name order, as the upstream writer does.
/// </summary>
/// <remarks>
/// A shard is <c>u32 N, u32 offsets[N+1], config JSON, samples</c>, offsets counted from the start of the file,
/// and is cut exactly where mosaicml-streaming cuts it: a sample starts a new shard when the file would
/// otherwise exceed the size limit (but no shard is ever left empty). The shard being filled is held in memory
/// (at most the size limit, 64 MiB by default), like upstream; finished shards keep a temporary name until a
/// checkpoint or the end, and index.json is written last, so an interrupted run never leaves a folder that loads.
/// <para>A full shard is written, hashed and flushed to disk on a thread of its own while the next one fills: that
/// is tens of milliseconds of copying and a wait for the disk, which held the whole synthesis pipeline when it was
/// done inline (its writer's queue filled, then the workers' window). So up to two shards are held: one being
/// filled and one being written; a shard waits for the one before it, and checkpoints and the end wait for both.</para>
/// <para>When the caller knows how many samples come before the next checkpoint (<see cref="Expect"/>), a shard of
/// equal-size samples goes to its file as it fills instead: its sample count, hence its head, is known from its first
/// sample, so nothing is left to write at a checkpoint or the end but a flush (the last shard of a synthesis was
/// 32–64 MB written after the last document). Where the forecast misses (a sample of another size, more or fewer
/// samples), the samples written so far are read back and the shard goes on in memory: the bytes are the same.</para>
/// </remarks>
internal sealed class MdsWriter : IDisposable
{
    private readonly string _dir;
    private readonly MdsWriterOptions _options;
    private readonly MdsCompression? _compression;
    private readonly byte[] _config;
    private readonly MdsSampleBuilder _sample;
    private readonly List<int> _sizes = [];
    private readonly List<MdsShardInfo> _shards = [];
    private readonly List<(string Temp, string Final)> _pending = [];
    private ShardBody _body = new();
    /// <summary>The body of the shard before, once written (reused for the next shard); null while it is being written.</summary>
    private ShardBody? _spare = new();
    /// <summary>The shard being written on a thread of its own; null when none is.</summary>
    private Task<WrittenShard>? _writing;
    private long _shardBytes;
    private bool _completed;
    /// <summary>Samples still to come before the next checkpoint or the end, as <see cref="Expect"/> said; -1 when not known.</summary>
    private int _expected = -1;
    /// <summary>The shard being filled when it goes straight to its file; null while it is held in memory.</summary>
    private StreamedShard? _streamed;
    /// <summary>Where a streamed shard's sample is encoded before it is written; reused from sample to sample.</summary>
    private byte[] _staging = [];

    /// <param name="dir">The dataset folder; created if missing. A new dataset first removes the MDS files an earlier run left.</param>
    /// <param name="columns">The sample columns: at least one, names distinct; stored in sorted name order.</param>
    /// <param name="options">Shard size limit, compression and hashes; null for the defaults.</param>
    /// <param name="resume">The state a <see cref="Checkpoint"/> returned: continue that dataset after its shards.</param>
    public MdsWriter(string dir, IEnumerable<MdsColumn> columns, MdsWriterOptions? options = null, string? resume = null)
    {
        _dir = dir;
        _options = options ?? new MdsWriterOptions();
        _compression = _options.Compression is null ? null : MdsCompression.ParseForWriting(_options.Compression);
        Columns = [.. columns.OrderBy(c => c.Name, StringComparer.Ordinal)];
        if (Columns.Count == 0)
            throw new ArgumentException("an MDS dataset needs at least one column");
        var duplicate = Columns.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"MDS column \"{duplicate.Key}\" given twice");
        _config = Encoding.UTF8.GetBytes(MdsShardInfo.ConfigJson(Columns, _options.Compression, _options.Hashes, _options.SizeLimit));
        _sample = new MdsSampleBuilder(Columns);
        Directory.CreateDirectory(dir);
        _shardBytes = EmptyShardBytes;
        if (resume is null)
        {
            RemoveDataset(dir);
            return;
        }
        _shards.AddRange(MdsIndex.Parse(System.Text.Encoding.UTF8.GetBytes(resume), $"{dir} (saved state)"));
        var kept = new HashSet<string>(_shards.Select(s => s.StoredBasename), StringComparer.Ordinal);
        foreach (string name in kept)
        {
            if (!File.Exists(Path.Combine(dir, name)))
                throw new InvalidDataException($"{dir}: cannot resume: completed shard {name} is missing");
        }
        // index.json and the shards begun after the checkpoint go: they are written again.
        foreach (string f in Directory.EnumerateFiles(dir).Where(f => Path.GetFileName(f) is var name && Holds(name) && !kept.Contains(name)))
            File.Delete(f);
    }

    /// <summary>The columns in stored (sorted) order.</summary>
    public IReadOnlyList<MdsColumn> Columns { get; }

    /// <summary>The shards written, for a parent index; complete once <see cref="Complete"/> returned.</summary>
    public IReadOnlyList<MdsShardInfo> Shards => _shards;

    // u32 N, u32 offsets[1], config: the bytes of a shard before its first sample.
    private long EmptyShardBytes => 8 + _config.Length;

    /// <summary>Position of the named column in <see cref="Columns"/>.</summary>
    public int Column(string name)
    {
        for (int i = 0; i < Columns.Count; i++)
        {
            if (Columns[i].Name == name)
                return i;
        }
        throw new ArgumentException($"the MDS dataset has no column \"{name}\"");
    }

    /// <summary>The reusable sample builder, cleared.</summary>
    public MdsSampleBuilder NewSample() => _sample.Clear();

    public void Write(MdsSampleBuilder sample)
    {
        if (!ReferenceEquals(sample, _sample))
            throw new ArgumentException("the sample was not made by this writer", nameof(sample));
        sample.CopyTo(Append(sample.EncodedLength));
        _streamed?.Add(_staging.AsSpan(0, _sizes[^1]));
    }

    /// <summary>Stores a sample already encoded for these columns (as read from a shard with the same columns).</summary>
    public void WriteRaw(ReadOnlySpan<byte> sample)
    {
        sample.CopyTo(Append(sample.Length));
        _streamed?.Add(_staging.AsSpan(0, _sizes[^1]));
    }

    /// <summary>
    /// Says that exactly <paramref name="samples"/> samples come before the next <see cref="Checkpoint"/> or
    /// <see cref="Complete"/>, so that shards of equal-size samples can go to their files as they fill. A forecast
    /// only: the shards are the same bytes whether it holds or not (one that misses costs a read of what was written).
    /// </summary>
    public void Expect(int samples)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(samples);
        _expected = samples;
    }

    /// <summary>
    /// Ends the shard being filled and renames every shard into place (so shards also end at checkpoints, which
    /// fall at the same documents in every run); returns them and the state to resume from. index.json still
    /// waits for <see cref="Complete"/>, so the folder does not load before then.
    /// </summary>
    public WriterCheckpoint Checkpoint()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        EndShards();
        return new WriterCheckpoint([.. _shards.Select(s => s.StoredBasename)], MdsIndex.ToJson(_shards));
    }

    /// <summary>Writes the last shard, renames every shard into place and writes index.json; returns the file names.</summary>
    public IReadOnlyList<string> Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        EndShards();
        MdsIndex.Write(_dir, _shards);
        _completed = true;
        DisposeBodies();
        return [.. _shards.Select(s => s.StoredBasename), MdsIndex.FileName];
    }

    // Ends the shard being filled, waits until it is on disk and renames every written shard into place.
    private void EndShards()
    {
        _expected = -1;
        if (_sizes.Count > 0)
            FlushShard(inline: true);
        AwaitWriting();
        foreach (var (temp, final) in _pending)
            File.Move(temp, final, overwrite: true);
        _pending.Clear();
    }

    /// <summary>Abandons an unfinished dataset: shards not yet renamed are deleted.</summary>
    public void Dispose()
    {
        if (_streamed is { } streamed)
        {
            _streamed = null;
            streamed.Abandon();
        }
        try
        {
            AwaitWriting();
        }
        catch (Exception)
        {
            // Abandoned anyway: a shard that failed to write deleted its own temporary file.
        }
        foreach (var (temp, _) in _pending)
            File.Delete(temp);
        _pending.Clear();
        _completed = true;
        DisposeBodies();
    }

    private void DisposeBodies()
    {
        _body.Dispose();
        _spare?.Dispose();
    }

    /// <summary>Deletes what an earlier dataset left in <paramref name="dir"/>: index.json, shards and their temporary files.</summary>
    public static void RemoveDataset(string dir)
    {
        if (!Directory.Exists(dir))
            return;
        foreach (string f in Directory.EnumerateFiles(dir).Where(f => Holds(Path.GetFileName(f))))
            File.Delete(f);
    }

    /// <summary>Whether <paramref name="name"/> is a file an MDS dataset's folder holds: index.json, a shard or a shard's temporary file.</summary>
    public static bool Holds(string name) => name == MdsIndex.FileName || name.StartsWith("shard.", StringComparison.Ordinal);

    private Span<byte> Append(int length)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        long needed = (long)length + 4;
        if (_sizes.Count > 0 && _options.SizeLimit < _shardBytes + needed)
            FlushShard();
        if (_shardBytes + needed > uint.MaxValue)
            throw new InvalidOperationException($"{_dir}: a sample of {length:N0} bytes does not fit an MDS shard (offsets are 32-bit)");
        if (length > Array.MaxLength)
            throw new InvalidOperationException($"{_dir}: a sample of {length:N0} bytes is too large to hold");
        if (_streamed is not null && (length != _streamed.SampleBytes || _sizes.Count == _streamed.Samples))
            Unstream();
        else if (_sizes.Count == 0 && _expected > 0 && _compression is null)
            _streamed = StartStreamed(length);
        if (_expected > 0)
            _expected--;
        _sizes.Add(length);
        _shardBytes += needed;
        if (_streamed is null)
            return _body.Append(length);
        if (_staging.Length < length)
            _staging = new byte[length];
        return _staging.AsSpan(0, length);
    }

    /// <summary>The name of the shard that begins now: shards recorded, and the one still being written, come before it.</summary>
    private string NextRawName() => $"shard.{_shards.Count + (_writing is null ? 0 : 1):D5}.mds";

    /// <summary>
    /// u32 N, then the N + 1 offsets of N samples of the sizes given, counted from the start of the file; and the
    /// last offset, the shard's size.
    /// </summary>
    private (byte[] Head, long Bytes) Head(int n, Func<int, int> size)
    {
        var head = new byte[4 + 4 * (n + 1)];
        BinaryPrimitives.WriteUInt32LittleEndian(head, (uint)n);
        long offset = head.Length + _config.Length;
        for (int i = 0; i <= n; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(4 + 4 * i), (uint)offset);
            if (i < n) offset += size(i);
        }
        return (head, offset);
    }

    // A shard that begins with a sample of sampleBytes while `_expected` samples are to come: it will hold as many as
    // the size limit lets samples of that size in (at least one), or all that are to come if fewer.
    private StreamedShard StartStreamed(int sampleBytes)
    {
        long fit = Math.Max(1, (_options.SizeLimit - EmptyShardBytes) / (sampleBytes + 4L));
        int n = (int)Math.Min(_expected, fit);
        return new StreamedShard(Path.Combine(_dir, NextRawName()), n, sampleBytes, Head(n, _ => sampleBytes).Head, _config, _options.Hashes);
    }

    // The forecast missed: the samples written so far are read back into memory and the shard goes on there.
    private void Unstream()
    {
        var streamed = _streamed!;
        _streamed = null;
        try
        {
            foreach (int size in _sizes)
                streamed.ReadNext(_body.Append(size));
        }
        finally
        {
            streamed.Abandon();
        }
    }

    /// <summary>A shard written to its temporary file: its place among the pending renames and its index entry.</summary>
    private sealed record WrittenShard(string Temp, string Final, MdsShardInfo Info, ShardBody? Body);

    // Ends the shard being filled: its bytes go to disk on a thread of their own while the next shard fills, or on this
    // thread when it is about to wait for them (inline: a checkpoint or the end; a new thread's stack then waited for the
    // address-space lock behind the index's unmapping at the end of a run, 27 ms in a 1 s run).
    private void FlushShard(bool inline = false)
    {
        if (_streamed is not null && _sizes.Count != _streamed.Samples)
            Unstream();
        AwaitWriting();
        int n = _sizes.Count;
        Task<WrittenShard> writing;
        if (_streamed is { } streamed)
        {
            // Already in its file: what is left is the flush.
            _streamed = null;
            writing = new Task<WrittenShard>(() => EndStreamed(streamed, n), TaskCreationOptions.LongRunning);
        }
        else
        {
            var (head, rawBytes) = Head(n, i => _sizes[i]);
            string rawName = NextRawName();
            string stored = _compression is null ? rawName : $"{rawName}.{_compression.Extension}";
            var body = _body;
            _body = _spare!;
            _spare = null;
            writing = new Task<WrittenShard>(() => WriteShard(body, head, rawName, rawBytes, stored, n), TaskCreationOptions.LongRunning);
        }
        // Either way AwaitWriting records the shard, or throws its failure.
        if (inline) writing.RunSynchronously(TaskScheduler.Default);
        else writing.Start(TaskScheduler.Default);
        _writing = writing;
        _sizes.Clear();
        _shardBytes = EmptyShardBytes;
    }

    // Waits for the shard being written, if any, and records it (in shard order: a shard starts only after this).
    private void AwaitWriting()
    {
        if (_writing is not { } writing)
            return;
        _writing = null;
        WrittenShard written;
        try
        {
            written = writing.GetAwaiter().GetResult();
        }
        catch
        {
            // A streamed shard took no body; a body that failed to write was disposed.
            _spare ??= new ShardBody();
            throw;
        }
        _pending.Add((written.Temp, written.Final));
        _shards.Add(written.Info);
        if (written.Body is { } body)
        {
            body.Clear();
            _spare = body;
        }
    }

    // On the shard's own thread (or inline): a streamed shard's last bytes to disk and its index entry.
    private WrittenShard EndStreamed(StreamedShard streamed, int n)
    {
        var (rawBytes, hashes) = streamed.End();
        var info = new MdsShardInfo(Columns, _options.Compression, _options.Hashes, new MdsFileInfo(Path.GetFileName(streamed.FinalPath), rawBytes, hashes), n, _options.SizeLimit, null);
        return new WrittenShard(streamed.Temp, streamed.FinalPath, info, null);
    }

    // On the shard's own thread: hashes, writes and flushes it under a temporary name (deleted if that fails).
    private WrittenShard WriteShard(ShardBody body, byte[] head, string rawName, long rawBytes, string stored, int n)
    {
        string temp = Path.Combine(_dir, stored + ".tmp");
        try
        {
            MdsFileInfo raw = new(rawName, rawBytes, Hash(body, head));
            MdsFileInfo? zip = null;
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                var writeback = new EarlyWriteback(file);
                if (_compression is null)
                {
                    WriteShard(file, body, head, writeback);
                }
                else
                {
                    // One frame that records its content size: python-zstd's decompress refuses frames without it.
                    using var zstd = new CompressionStream(file, _compression.Level, leaveOpen: true);
                    zstd.SetPledgedSrcSize((ulong)rawBytes);
                    WriteShard(zstd, body, head, writeback);
                }
                file.Flush(flushToDisk: true);
            }
            if (_compression is not null)
                zip = new MdsFileInfo(stored, new FileInfo(temp).Length, MdsHash.OfFile(temp, _options.Hashes));
            return new WrittenShard(temp, Path.Combine(_dir, stored), new MdsShardInfo(Columns, _options.Compression, _options.Hashes, raw, n, _options.SizeLimit, zip), body);
        }
        catch
        {
            File.Delete(temp);
            body.Dispose();
            throw;
        }
    }

    // The shard's bytes: its head (count and offsets), the config, then the samples; the disk starts on them as they go.
    private void WriteShard(Stream to, ShardBody body, byte[] head, EarlyWriteback writeback)
    {
        to.Write(head);
        to.Write(_config);
        for (int i = 0; i < body.Parts; i++)
        {
            to.Write(body.Part(i));
            writeback.Written();
        }
    }

    private SortedDictionary<string, string> Hash(ShardBody body, byte[] head)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string algorithm in _options.Hashes)
        {
            using var hash = new MdsHash(algorithm);
            hash.Append(head);
            hash.Append(_config);
            for (int i = 0; i < body.Parts; i++) hash.Append(body.Part(i));
            result[algorithm] = hash.HexDigestAndReset();
        }
        return result;
    }
}
