namespace NExtLong.Output.Mds;

/// <summary>
/// An MDS shard written to its temporary file as it fills (<see cref="MdsWriter.Expect"/>): the head for the sample
/// count forecast at its first sample, the config, then each sample as it comes, hashed on the way, with the disk
/// started on the bytes as they go (<see cref="EarlyWriteback"/>).
/// </summary>
internal sealed class StreamedShard
{
    private readonly FileStream _file;
    private readonly EarlyWriteback _writeback;
    private readonly List<MdsHash> _hashes;
    /// <summary>Where the next sample to read back starts (<see cref="ReadNext"/>).</summary>
    private long _readBack;

    /// <param name="rawPath">The shard's final path; the file is written under it with ".tmp" appended.</param>
    /// <param name="samples">The samples it is to hold: what <paramref name="head"/> says.</param>
    /// <param name="sampleBytes">The size every sample is to have.</param>
    /// <param name="head">u32 N and the offsets, for <paramref name="samples"/> samples of <paramref name="sampleBytes"/>.</param>
    /// <param name="config">The config JSON that follows the head.</param>
    /// <param name="hashes">The algorithms index.json records.</param>
    public StreamedShard(string rawPath, int samples, int sampleBytes, byte[] head, byte[] config, IReadOnlyList<string> hashes)
    {
        Samples = samples;
        SampleBytes = sampleBytes;
        FinalPath = rawPath;
        Temp = rawPath + ".tmp";
        _hashes = [.. hashes.Select(a => new MdsHash(a))];
        // Read as well as written: a forecast that misses reads the samples back.
        _file = new FileStream(Temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20);
        _writeback = new EarlyWriteback(_file);
        try
        {
            Write(head);
            Write(config);
        }
        catch
        {
            Abandon();
            throw;
        }
        _readBack = head.Length + config.Length;
    }

    /// <summary>Where the shard goes once renamed into place.</summary>
    public string FinalPath { get; }

    /// <summary>The file it is written to, <see cref="FinalPath"/> with ".tmp" appended.</summary>
    public string Temp { get; }

    /// <summary>The samples the head was written for.</summary>
    public int Samples { get; }

    /// <summary>The size of every sample.</summary>
    public int SampleBytes { get; }

    /// <summary>Appends the next sample.</summary>
    public void Add(ReadOnlySpan<byte> sample)
    {
        Write(sample);
        _writeback.Written();
    }

    /// <summary>Reads the samples written back, one after another, into memory: the forecast missed.</summary>
    public void ReadNext(Span<byte> sample)
    {
        _file.Flush();
        for (int read = 0; read < sample.Length;)
        {
            int n = RandomAccess.Read(_file.SafeFileHandle, sample[read..], _readBack + read);
            if (n == 0)
                throw new InvalidDataException($"{Temp}: ends before the samples written to it");
            read += n;
        }
        _readBack += sample.Length;
    }

    /// <summary>Flushes the file to disk and closes it; returns its size and hashes. The file is deleted if that fails.</summary>
    public (long Bytes, SortedDictionary<string, string> Hashes) End()
    {
        try
        {
            _file.Flush(flushToDisk: true);
            long bytes = _file.Length;
            _file.Dispose();
            var hashes = MdsHash.Digests(_hashes);
            DisposeHashes();
            return (bytes, hashes);
        }
        catch
        {
            Abandon();
            throw;
        }
    }

    /// <summary>Closes and deletes the file: the shard goes on in memory, or the dataset is abandoned.</summary>
    public void Abandon()
    {
        try
        {
            _file.Dispose();
        }
        catch (IOException)
        {
            // Deleted below: a flush that failed (a full disk) loses nothing that is kept.
        }
        File.Delete(Temp);
        DisposeHashes();
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _file.Write(bytes);
        foreach (var hash in _hashes) hash.Append(bytes);
    }

    private void DisposeHashes()
    {
        foreach (var hash in _hashes) hash.Dispose();
        _hashes.Clear();
    }
}
