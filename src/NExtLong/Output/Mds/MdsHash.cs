using System.IO.Hashing;
using System.Security.Cryptography;

namespace NExtLong.Output.Mds;

/// <summary>
/// A shard hash as index.json records it: the algorithm's name and <c>hexdigest()</c>, lowercase hex of the
/// canonical (big-endian) digest. md5/sha1/sha256 are Python's hashlib, xxh64/xxh3_64 python-xxhash; System.IO.Hashing
/// writes xxHash digests big-endian too, so the hex matches.
/// </summary>
internal sealed class MdsHash : IDisposable
{
    public static readonly IReadOnlyList<string> Supported = ["md5", "sha1", "sha256", "xxh3_64", "xxh64"];

    private readonly IncrementalHash? _crypto;
    private readonly NonCryptographicHashAlgorithm? _fast;

    public MdsHash(string algorithm)
    {
        Algorithm = algorithm;
        switch (algorithm)
        {
            case "md5": _crypto = IncrementalHash.CreateHash(HashAlgorithmName.MD5); break;
            case "sha1": _crypto = IncrementalHash.CreateHash(HashAlgorithmName.SHA1); break;
            case "sha256": _crypto = IncrementalHash.CreateHash(HashAlgorithmName.SHA256); break;
            case "xxh64": _fast = new XxHash64(); break;
            case "xxh3_64": _fast = new XxHash3(); break;
            default: throw new ArgumentException($"MDS hash \"{algorithm}\" is not supported ({string.Join(", ", Supported)})");
        }
    }

    public string Algorithm { get; }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_crypto is not null)
            _crypto.AppendData(data);
        else
            _fast!.Append(data);
    }

    /// <summary>The hex digest of everything appended so far; the hash starts over.</summary>
    public string HexDigestAndReset()
    {
        byte[] digest = _crypto is not null ? _crypto.GetHashAndReset() : _fast!.GetHashAndReset();
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>The hex digests by algorithm, as index.json lists them; each hash starts over.</summary>
    public static SortedDictionary<string, string> Digests(IEnumerable<MdsHash> hashes) =>
        new(hashes.ToDictionary(h => h.Algorithm, h => h.HexDigestAndReset()), StringComparer.Ordinal);

    /// <summary>Hashes of a whole file, by algorithm.</summary>
    public static SortedDictionary<string, string> OfFile(string path, IReadOnlyList<string> algorithms)
    {
        var hashes = algorithms.Select(a => new MdsHash(a)).ToList();
        try
        {
            var buffer = new byte[1 << 20];
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            for (int read; (read = file.Read(buffer)) > 0;)
                foreach (var h in hashes) h.Append(buffer.AsSpan(0, read));
            return Digests(hashes);
        }
        finally
        {
            foreach (var h in hashes) h.Dispose();
        }
    }

    public void Dispose() => _crypto?.Dispose();
}
