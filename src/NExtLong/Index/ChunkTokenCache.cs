using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using NExtLong.Tokenization;

namespace NExtLong.Index;

/// <summary>
/// Every index chunk's target-tokenizer ids, each chunk encoded with the synthesis separator after it, kept beside the
/// index so that the exact cut to T tokens encodes only the piece that holds the cut (issue 17): a negative is
/// followed by the separator and the next piece, and where that join is an <see cref="ExactTruncation.IsJoinBoundary"/>
/// its ids in the long document are exactly its cached ids. Only for tokenizers whose ids add up at joins
/// (<see cref="TargetTokenizer.SplitsAtJoins"/>); others have no cache and the cut encodes the text.
/// </summary>
/// <remarks>
/// File <c>tokens-KEY.cache</c> in the index folder (KEY: 16 hex digits of the tokenizer key), little-endian:
/// a 64-byte header (magic "NXLTOKC1", u32 format version, u32 reserved, u64 chunks, u64 ids, u64 index key, u64
/// tokenizer key, u64 XxHash3 of everything after the header, u64 reserved), then u64 offsets per chunk plus one
/// (where each chunk's ids start, counted in ids, then the total), then the i32 ids. The index key hashes the
/// checksums of chunks.text and chunks.table that manifest.json records, so a rebuilt index makes the cache stale;
/// the tokenizer key hashes the tokenizer's name, the checksum of its vocabulary and the separator. Written to a
/// temporary name and renamed, so a reader sees a whole file or none; verified by its checksum when opened.
/// </remarks>
internal sealed class ChunkTokenCache : IDisposable
{
    private const int HeaderBytes = 64;
    // 2: the checksum is XxHash3 (1: XxHash64), which hashes the whole file on every open about 1.5 times as fast.
    private const uint FormatVersion = 2;
    private const int BuildBlockChunks = 4096;
    private static readonly ulong Magic = BinaryPrimitives.ReadUInt64LittleEndian("NXLTOKC1"u8);

    private readonly MappedFile _file;
    private readonly long _chunks;
    private readonly long _idsAt;

    private ChunkTokenCache(MappedFile file, long chunks)
    {
        _file = file;
        _chunks = chunks;
        _idsAt = HeaderBytes + (chunks + 1) * sizeof(ulong);
    }

    /// <summary>The cache file's path.</summary>
    public string Path => _file.Path;

    /// <summary>
    /// The cache of <paramref name="index"/> for <paramref name="tokenizer"/> and <paramref name="separator"/> as
    /// <paramref name="mode"/> says: none (Off; a tokenizer without additive joins; Use and no cache, or a stale one),
    /// the one there, or (Build) one made now on <paramref name="threads"/> threads when there is none or it is stale.
    /// </summary>
    /// <exception cref="InvalidDataException">Use: the cache file is damaged (its checksum or layout is wrong).</exception>
    public static ChunkTokenCache? Open(ChunkIndex index, TargetTokenizer tokenizer, string separator, TokenCacheMode mode, int threads, CancellationToken ct = default)
    {
        if (mode == TokenCacheMode.Off || tokenizer.CacheIdentity is not { } identity || IndexKey(index) is not { } indexKey)
            return null;
        ulong tokenizerKey = TokenizerKey(identity, separator);
        string path = System.IO.Path.Combine(index.Directory, FileName(tokenizerKey));
        if (File.Exists(path))
        {
            var file = new MappedFile(path);
            string? damage = Check(file, index.ChunkCount, indexKey, tokenizerKey, out bool stale);
            if (damage is null && !stale)
                return new ChunkTokenCache(file, index.ChunkCount);
            file.Dispose();
            if (damage is not null && mode == TokenCacheMode.Use)
                throw new InvalidDataException($"{path}: damaged token cache ({damage}); rerun with --token-cache build to make it again");
        }
        if (mode != TokenCacheMode.Build)
            return null;
        Build(index, tokenizer, separator, path, indexKey, tokenizerKey, threads, ct);
        var built = new MappedFile(path);
        string? error = Check(built, index.ChunkCount, indexKey, tokenizerKey, out bool nowStale);
        if (error is not null || nowStale)
        {
            built.Dispose();
            throw new InvalidDataException($"{path}: the token cache just written does not read back ({error ?? "stale"})");
        }
        return new ChunkTokenCache(built, index.ChunkCount);
    }

    /// <summary>
    /// About how many tokens the index's chunks hold, for deciding whether a cache pays (<see cref="TokenCacheMode.Auto"/>):
    /// the UTF-8 bytes of their text over 4, which is about the bytes per token of English text in the tiktoken family.
    /// </summary>
    public static long EstimatedIndexTokens(ChunkIndex index)
        => new FileInfo(System.IO.Path.Combine(index.Directory, ChunkIndexFiles.ChunkText)).Length / 4;

    /// <summary>
    /// Every token cache in <paramref name="index"/>'s folder hashed whole (`nextlong verify`): its path, and what is
    /// wrong with it or null; one made for another build of the index or tokenizer is whole, only stale.
    /// </summary>
    internal static List<(string Path, string? Damage)> CheckAll(ChunkIndex index, CancellationToken ct = default)
    {
        var found = new List<(string, string?)>();
        ulong indexKey = IndexKey(index) ?? 0;
        foreach (string path in Directory.EnumerateFiles(index.Directory).Where(p => IsCacheFile(System.IO.Path.GetFileName(p))).Order(StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            using var file = new MappedFile(path);
            string name = System.IO.Path.GetFileName(path);
            ulong tokenizerKey = Convert.ToUInt64(name["tokens-".Length..^".cache".Length], 16);
            found.Add((path, Check(file, index.ChunkCount, indexKey, tokenizerKey, out _, rehash: true)));
        }
        return found;
    }

    /// <summary>Whether <paramref name="name"/> is a token cache's file name (an index folder entry nextlong owns).</summary>
    public static bool IsCacheFile(string name) =>
        name.Length == "tokens-".Length + 16 + ".cache".Length && name.StartsWith("tokens-", StringComparison.Ordinal)
        && name.EndsWith(".cache", StringComparison.Ordinal);

    /// <summary>The ids of chunk <paramref name="chunk"/>'s text followed by the separator, read in place.</summary>
    public ReadOnlySpan<int> Ids(long chunk)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunk);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(chunk, _chunks);
        var offsets = _file.Span(HeaderBytes + chunk * sizeof(ulong), 2 * sizeof(ulong));
        long start = (long)BinaryPrimitives.ReadUInt64LittleEndian(offsets), end = (long)BinaryPrimitives.ReadUInt64LittleEndian(offsets[8..]);
        return MemoryMarshal.Cast<byte, int>(_file.Span(_idsAt + start * sizeof(int), checked((int)(end - start) * sizeof(int))));
    }

    public void Dispose() => _file.Dispose();

    internal static string FileName(ulong tokenizerKey) => $"tokens-{tokenizerKey:x16}.cache";

    internal static ulong TokenizerKey(string identity, string separator) =>
        XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(identity + "\n" + separator));

    /// <summary>What the cache's ids depend on in the index: its chunk texts and table, by the checksums the manifest records.</summary>
    private static ulong? IndexKey(ChunkIndex index)
    {
        var sums = index.Manifest.FileChecksums;
        if (!sums.TryGetValue(ChunkIndexFiles.ChunkText, out var text) || !sums.TryGetValue(ChunkIndexFiles.ChunkTable, out var table))
            return null;
        return XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{text}\n{table}\n{index.ChunkCount}"));
    }

    // Null when the file is whole; then stale says whether it was made for another index build or tokenizer.
    private static string? Check(MappedFile file, long chunks, ulong indexKey, ulong tokenizerKey, out bool stale, bool rehash = false)
    {
        stale = false;
        if (file.Length < HeaderBytes) return $"{file.Length} bytes, shorter than its header";
        var header = file.Span(0, HeaderBytes);
        if (BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic) return "not a token cache";
        if (BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) != FormatVersion)
        {
            stale = true;  // another format: made again by a build, like a stale one
            return null;
        }
        long fileChunks = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[16..]), ids = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
        if (fileChunks < 0 || ids < 0 || file.Length != HeaderBytes + (fileChunks + 1) * sizeof(ulong) + ids * sizeof(int))
            return $"{file.Length} bytes, not what its header's {fileChunks} chunks and {ids} ids take";
        if (!Whole(file, BinaryPrimitives.ReadUInt64LittleEndian(header[48..]), rehash)) return "checksum differs";
        stale = fileChunks != chunks || BinaryPrimitives.ReadUInt64LittleEndian(header[32..]) != indexKey
                || BinaryPrimitives.ReadUInt64LittleEndian(header[40..]) != tokenizerKey;
        return null;
    }

    // Whether the file hashes to its header's checksum; not hashed again while VerifiedFiles vouches for it.
    private static bool Whole(MappedFile file, ulong checksum, bool rehash)
    {
        var verified = VerifiedFiles.Load(System.IO.Path.GetDirectoryName(file.Path)!);
        bool whole = verified.Confirms(file, System.IO.Path.GetFileName(file.Path), $"xxh3:{checksum:x16}", rehash, () => Hash(file) == checksum);
        verified.Save();
        return whole;
    }

    private static ulong Hash(MappedFile file)
    {
        var hash = new XxHash3();
        file.HashInto(hash, HeaderBytes);
        return hash.GetCurrentHashAsUInt64();
    }

    private static ulong Hash(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long length, string path)
    {
        var hash = new XxHash3();
        FileChecksum.Append(hash, handle, HeaderBytes, length, path);
        return hash.GetCurrentHashAsUInt64();
    }

    /// <remarks>Blocks of chunks are encoded on all threads and written in chunk order, so the file never depends on the thread count.</remarks>
    private static void Build(ChunkIndex index, TargetTokenizer tokenizer, string separator, string path, ulong indexKey, ulong tokenizerKey,
        int threads, CancellationToken ct)
    {
        long chunks = index.ChunkCount;
        long idsAt = HeaderBytes + (chunks + 1) * sizeof(ulong);
        string temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.ReadWrite))
            {
                var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct };
                var encoded = new IReadOnlyList<int>[BuildBlockChunks];
                long total = 0;
                byte[] offsets = new byte[BuildBlockChunks * sizeof(ulong)];
                for (long first = 0; first < chunks; first += BuildBlockChunks)
                {
                    int n = (int)Math.Min(BuildBlockChunks, chunks - first);
                    Parallel.For(0, n, parallel, i => encoded[i] = tokenizer.EncodeToIds(index.ChunkText(first + i) + separator));
                    int blockIds = 0;
                    for (int i = 0; i < n; i++)
                    {
                        BinaryPrimitives.WriteUInt64LittleEndian(offsets.AsSpan(i * sizeof(ulong)), (ulong)(total + blockIds));
                        blockIds += encoded[i].Count;
                    }
                    int[] ids = new int[blockIds];
                    for (int i = 0, at = 0; i < n; i++)
                        for (int j = 0; j < encoded[i].Count; j++) ids[at++] = encoded[i][j];
                    RandomAccess.Write(handle, offsets.AsSpan(0, n * sizeof(ulong)), HeaderBytes + first * sizeof(ulong));
                    RandomAccess.Write(handle, MemoryMarshal.AsBytes(ids.AsSpan()), idsAt + total * sizeof(int));
                    total += blockIds;
                }
                Span<byte> last = stackalloc byte[sizeof(ulong)];
                BinaryPrimitives.WriteUInt64LittleEndian(last, (ulong)total);
                RandomAccess.Write(handle, last, HeaderBytes + chunks * sizeof(ulong));
                RandomAccess.FlushToDisk(handle);

                ulong checksum = Hash(handle, idsAt + total * sizeof(int), temp);
                Span<byte> header = stackalloc byte[HeaderBytes];
                header.Clear();
                BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
                BinaryPrimitives.WriteUInt32LittleEndian(header[8..], FormatVersion);
                BinaryPrimitives.WriteUInt64LittleEndian(header[16..], (ulong)chunks);
                BinaryPrimitives.WriteUInt64LittleEndian(header[24..], (ulong)total);
                BinaryPrimitives.WriteUInt64LittleEndian(header[32..], indexKey);
                BinaryPrimitives.WriteUInt64LittleEndian(header[40..], tokenizerKey);
                BinaryPrimitives.WriteUInt64LittleEndian(header[48..], checksum);
                RandomAccess.Write(handle, header, 0);
                RandomAccess.FlushToDisk(handle);
            }
            // Ranks of one array may build the same cache at once: each renames a whole file of the same content.
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
