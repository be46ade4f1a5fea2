using System.Buffers;
using NExtLong.Index;

namespace NExtLong.External;

/// <summary>
/// Vectors computed elsewhere for the chunks of a `nextlong chunks` folder, fed to the index builder in chunk order:
/// .npy, safetensors (rows in chunk order, one file per chunk shard) or Parquet (keyed by chunk_id). Every chunk
/// needs exactly one finite vector of one dimension, of unit length (or zero: nothing to embed) unless <c>normalize</c>
/// makes it so; anything else
/// is an error naming the file and row. Files are read one at a time, a block of rows at a time.
/// </summary>
internal sealed class ImportedVectors : IChunkVectorSource, IDisposable
{
    public const string SpecPrefix = "vectors:";

    /// <summary>How far a vector's L2 norm may be from 1 before it counts as not normalised (float16 rounding stays well inside).</summary>
    public const double NormTolerance = 1e-3;

    private static readonly string[] Extensions = [".npy", ".parquet", ".safetensors"];

    private readonly IReadOnlyList<string> _files;
    private readonly ChunksManifest _chunks;
    private readonly bool _normalize;
    private IVectorShardReader? _reader;
    private int _file = -1;
    private long _row, _given;
    private long[] _ids = [];

    private ImportedVectors(string model, IReadOnlyList<string> files, ChunksManifest chunks, int dimension, bool normalize, ImportedVectorFiles imported)
    {
        Spec = SpecPrefix + model;
        _files = files;
        _chunks = chunks;
        Dimension = dimension;
        _normalize = normalize;
        Imported = imported;
    }

    public string Spec { get; }

    public int Dimension { get; }

    public ImportedVectorFiles Imported { get; }

    /// <summary>True for the embedder of an index built from imported vectors (which names no model nextlong can run).</summary>
    public static bool IsSpec(string spec) => spec.StartsWith(SpecPrefix, StringComparison.Ordinal);

    /// <summary>
    /// Finds the vector files and the chunks manifest (<paramref name="chunksDir"/>, else beside the first vector file or
    /// in its parent folder), checks the manifest against <paramref name="planned"/> (the index's plan) and every file's
    /// row count and dimension against the chunk shards, before any row is read.
    /// </summary>
    public static ImportedVectors Open(IReadOnlyList<string> paths, string? chunksDir, string model, bool normalize, ChunksManifest planned,
        int threads = 1, CancellationToken ct = default)
    {
        var files = Resolve(paths);
        string manifestPath = FindManifest(files[0].Full, chunksDir);
        var chunks = ChunksManifest.Read(manifestPath);
        if (chunks.DifferenceFrom(planned) is { } difference)
            throw new InvalidDataException($"{manifestPath}: the chunks were made with {difference}; these vectors belong to another index plan (run `nextlong chunks` with this index's --input and options, and embed those)");
        int dimension = 0;
        string? first = null;
        for (int i = 0; i < files.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            if (i >= chunks.Shards.Count)
                throw new InvalidDataException($"{files[i].Full}: extra vector file: the chunks manifest ({manifestPath}) lists {chunks.Shards.Count} shards, and the vector files pair with them in order");
            var shard = chunks.Shards[i];
            using var reader = OpenFile(files[i].Full);
            if (reader.Rows < shard.Rows)
                throw new InvalidDataException($"{reader.Path}: {reader.Rows} rows, but chunks shard {shard.File} has {shard.Rows}: the vectors of rows {reader.Rows}–{shard.Rows - 1} (chunk ids {shard.FirstChunk + reader.Rows}–{shard.EndChunk - 1}) are missing");
            if (reader.Rows > shard.Rows)
                throw new InvalidDataException($"{reader.Path} row {shard.Rows}: extra vector: chunks shard {shard.File} has {shard.Rows} rows (chunk ids {shard.FirstChunk}–{shard.EndChunk - 1})");
            if (first is null)
                (first, dimension) = (reader.Path, reader.Dimension);
            else if (reader.Dimension != dimension)
                throw new InvalidDataException($"{reader.Path}: {reader.Dimension}-d vectors, but {first} has {dimension}-d (wrong dimension)");
        }
        if (files.Count < chunks.Shards.Count)
        {
            var shard = chunks.Shards[files.Count];
            throw new InvalidDataException($"vectors for chunks shard {shard.File} (chunk ids {shard.FirstChunk}–{shard.EndChunk - 1}) are missing: {files.Count} vector files for the {chunks.Shards.Count} shards of {manifestPath}");
        }
        var described = new IndexedFile[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = ct },
            i => described[i] = new IndexedFile(files[i].Name, new FileInfo(files[i].Full).Length, FileChecksum.ContentOf(files[i].Full, ct)));
        return new ImportedVectors(model, files.Select(f => f.Full).ToList(), chunks, dimension, normalize, new ImportedVectorFiles(normalize, described));
    }

    public void Fill(IReadOnlyList<string> texts, float[] destination, CancellationToken ct)
    {
        int d = Dimension, count = texts.Count, done = 0;
        if (_ids.Length < count)
        {
            if (_ids.Length > 0) ArrayPool<long>.Shared.Return(_ids);
            _ids = ArrayPool<long>.Shared.Rent(count);
        }
        while (done < count)
        {
            ct.ThrowIfCancellationRequested();
            if (_reader is null || _row == _reader.Rows)
            {
                _reader?.Dispose();
                _reader = null;
                if (++_file >= _files.Count)
                    throw new InvalidDataException($"chunk {_given + done} has no vector: the vectors cover the {_chunks.Chunks} chunks of the chunks manifest, but the corpus gives more; were the chunks made from these inputs?");
                _reader = OpenFile(_files[_file]);
                _row = 0;
            }
            int rows = _reader.Read(destination.AsSpan(done * d, (count - done) * d), _ids.AsSpan(0, count - done));
            if (rows == 0) throw new InvalidDataException($"{_reader.Path}: ends at row {_row}, before the {_reader.Rows} rows its header promised");
            for (int r = 0; r < rows; r++)
                Check(destination.AsSpan((done + r) * d, d), _row + r, _ids[r]);
            _row += rows;
            done += rows;
        }
        _given += count;
    }

    public void Complete()
    {
        if (_given != _chunks.Chunks)
            throw new InvalidDataException($"the corpus gave {_given} chunks, but the chunks manifest lists {_chunks.Chunks}; were the chunks made from these inputs?");
    }

    public void Dispose()
    {
        _reader?.Dispose();
        if (_ids.Length > 0) ArrayPool<long>.Shared.Return(_ids);
        _ids = [];
    }

    // One row: its chunk id (keyed files), finite values, unit length (or made so).
    private void Check(Span<float> vector, long row, long chunkId)
    {
        var shard = _chunks.Shards[_file];
        string where = $"{_reader!.Path} row {row}";
        long expected = shard.FirstChunk + row;
        if (_reader.Keyed && chunkId != expected)
        {
            if (chunkId == expected - 1)
                throw new InvalidDataException($"{where}: duplicated vector: chunk_id {chunkId} was also row {row - 1}'s");
            if (chunkId < 0 || chunkId >= _chunks.Chunks)
                throw new InvalidDataException($"{where}: extra vector: chunk_id {chunkId} is not a chunk (the chunks manifest lists {_chunks.Chunks})");
            if (chunkId > expected)
                throw new InvalidDataException($"{where}: the vector of chunk {expected} is missing (this row holds chunk_id {chunkId}; rows must follow the chunk shard {shard.File} in order)");
            throw new InvalidDataException($"{where}: chunk_id {chunkId} where chunk {expected} was expected: duplicated or out of order (rows must follow the chunk shard {shard.File} in order)");
        }
        double sum = 0;
        for (int j = 0; j < vector.Length; j++)
        {
            float v = vector[j];
            if (!float.IsFinite(v)) throw new InvalidDataException($"{where}: non-finite value {v} at dimension {j}");
            sum += (double)v * v;
        }
        double norm = Math.Sqrt(sum);
        // A zero vector is what nextlong's own embedders give a chunk with nothing to embed: it matches nothing, and is kept.
        if (norm == 0) return;
        if (_normalize)
        {
            float scale = (float)(1 / norm);
            for (int j = 0; j < vector.Length; j++) vector[j] *= scale;
        }
        else if (Math.Abs(norm - 1) > NormTolerance)
            throw new InvalidDataException($"{where}: L2 norm {norm:G6} is not 1 (tolerance {NormTolerance}); pass --normalize to L2-normalise the vectors");
    }

    private static IVectorShardReader OpenFile(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".npy" => NpyVectorFile.Open(path),
        ".safetensors" => SafetensorsVectorFile.Open(path),
        _ => ParquetVectorShardReader.Open(path),
    };

    // Files, folders (their vector files) or globs, each in ordinal name order; one format for all. Name: the path
    // relative to the folder the argument names, as the manifest records it (no machine path).
    private static List<(string Full, string Name)> Resolve(IReadOnlyList<string> paths)
    {
        var files = new List<(string Full, string Name)>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0) throw new FileNotFoundException($"{path}: holds no vector file ({string.Join(", ", Extensions)})");
                files.AddRange(found.Select(f => (Path.GetFullPath(f), Path.GetFileName(f))));
            }
            else if (File.Exists(path))
                files.Add((Path.GetFullPath(path), Path.GetFileName(path)));
            else if (path.IndexOfAny(['*', '?']) >= 0 && Path.GetDirectoryName(path) is var dir && Directory.Exists(string.IsNullOrEmpty(dir) ? "." : dir))
            {
                var found = Directory.EnumerateFiles(string.IsNullOrEmpty(dir) ? "." : dir, Path.GetFileName(path)).Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0) throw new FileNotFoundException($"{path}: matches no file");
                files.AddRange(found.Select(f => (Path.GetFullPath(f), Path.GetFileName(f))));
            }
            else throw new FileNotFoundException($"{path}: no such vector file or folder");
        }
        var formats = files.Select(f => Path.GetExtension(f.Full).ToLowerInvariant()).Distinct().ToList();
        if (formats.Any(f => !Extensions.Contains(f)))
            throw new InvalidDataException($"{files.First(f => !Extensions.Contains(Path.GetExtension(f.Full).ToLowerInvariant())).Full}: not a vector file: .npy, .parquet or .safetensors");
        if (formats.Count > 1) throw new InvalidDataException($"--vectors mixes formats ({string.Join(", ", formats)}); give the vectors of every shard in one format");
        if (files.Select(f => f.Full).Distinct().Count() != files.Count)
            throw new InvalidDataException($"{files.GroupBy(f => f.Full).First(g => g.Count() > 1).Key}: named twice by --vectors");
        return files;
    }

    private static string FindManifest(string firstFile, string? chunksDir)
    {
        if (chunksDir is not null)
        {
            string given = Path.Combine(chunksDir, ChunksManifest.FileName);
            return File.Exists(given) ? given : throw new FileNotFoundException($"{chunksDir}: no chunks manifest (manifest.json of `nextlong chunks`) here", given);
        }
        string dir = Path.GetDirectoryName(firstFile)!;
        foreach (string candidate in new[] { dir, Path.GetDirectoryName(dir) }.OfType<string>())
        {
            string path = Path.Combine(candidate, ChunksManifest.FileName);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"no chunks manifest beside the vectors (in {dir} or its parent); pass --chunks DIR, the folder `nextlong chunks` wrote");
    }
}
