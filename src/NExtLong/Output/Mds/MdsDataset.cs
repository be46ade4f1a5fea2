namespace NExtLong.Output.Mds;

/// <summary>
/// Reads an MDS dataset folder (index.json and its shards, also merged indexes whose shards sit in subfolders),
/// sample by sample in any order. Shards are opened on first use; a few stay open.
/// </summary>
internal sealed class MdsDataset : IDisposable
{
    private const int OpenShards = 4;

    private readonly long[] _firstSample;
    private readonly List<(int Shard, MdsShardFile File)> _open = [];
    private readonly MdsSample _sample;
    private byte[] _buffer = new byte[1 << 16];

    private MdsDataset(string dir, List<MdsShardInfo> shards)
    {
        Directory = dir;
        Shards = shards;
        _firstSample = new long[shards.Count + 1];
        for (int i = 0; i < shards.Count; i++)
            _firstSample[i + 1] = _firstSample[i] + shards[i].Samples;
        Columns = shards.Count > 0 ? shards[0].Columns : [];
        for (int i = 1; i < shards.Count; i++)
        {
            if (!shards[i].Columns.SequenceEqual(Columns))
                throw new InvalidDataException($"{Path.Combine(dir, MdsIndex.FileName)}: shard {shards[i].StoredBasename} has other columns than {shards[0].StoredBasename}");
        }
        _sample = new MdsSample(Columns);
    }

    public string Directory { get; }

    public IReadOnlyList<MdsShardInfo> Shards { get; }

    /// <summary>The columns, in stored (sorted) order.</summary>
    public IReadOnlyList<MdsColumn> Columns { get; }

    public long SampleCount => _firstSample[^1];

    public static bool IsDataset(string dir) => File.Exists(Path.Combine(dir, MdsIndex.FileName));

    public static MdsDataset Open(string dir)
    {
        string index = Path.Combine(dir, MdsIndex.FileName);
        if (!File.Exists(index))
            throw new FileNotFoundException($"{dir}: no {MdsIndex.FileName}, so not an MDS dataset", index);
        return new MdsDataset(dir, MdsIndex.Read(index));
    }

    /// <summary>Reads sample <paramref name="index"/> (0-based over all shards); the result is reused by the next call.</summary>
    public MdsSample Read(long index)
    {
        if ((ulong)index >= (ulong)SampleCount)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{Directory} holds {SampleCount} samples");
        int shard = Array.BinarySearch(_firstSample, index);
        shard = shard >= 0 ? shard : ~shard - 1;
        // Skip empty shards that share a first sample number.
        while (_firstSample[shard + 1] <= index) shard++;
        var file = Shard(shard);
        long local = index - _firstSample[shard];
        int length = file.ReadSample(local, ref _buffer);
        _sample.Load(_buffer, length, $"{file.FilePath} sample {local}");
        return _sample;
    }

    private MdsShardFile Shard(int shard)
    {
        int at = _open.FindIndex(o => o.Shard == shard);
        if (at >= 0)
        {
            var hit = _open[at];
            _open.RemoveAt(at);
            _open.Add(hit);
            return hit.File;
        }
        if (_open.Count == OpenShards)
        {
            _open[0].File.Dispose();
            _open.RemoveAt(0);
        }
        var file = new MdsShardFile(Directory, Shards[shard]);
        _open.Add((shard, file));
        return file;
    }

    public void Dispose()
    {
        foreach (var (_, file) in _open) file.Dispose();
        _open.Clear();
    }
}
