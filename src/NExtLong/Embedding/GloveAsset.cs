using System.Buffers.Binary;
using System.IO.Hashing;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;

namespace NExtLong.Embedding;

/// <summary>
/// The GloVe 6B 100-d vectors of the 100,000 most frequent words, as written by tools/glove/convert-glove.mjs
/// (format in tools/glove/README.md), dequantized to float32. Immutable, so one instance serves every thread.
/// </summary>
internal sealed class GloveAsset
{
    internal const string ResourceName = "NExtLong.Embedding.Assets.glove-6b-100d-top100k.bin";

    private const int FormatVersion = 1;
    private const int HeaderBytes = 8 + 3 * sizeof(uint);
    private const int ChecksumBytes = sizeof(uint);

    private static readonly Lazy<GloveAsset> EmbeddedAsset = new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    private static ReadOnlySpan<byte> Magic => "NLGLOVE1"u8;

    private readonly float[] _vectors;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private GloveAsset(string[] words, float[] vectors, int dimension)
    {
        var index = new Dictionary<string, int>(words.Length, StringComparer.Ordinal);
        for (int i = 0; i < words.Length; i++)
        {
            if (!index.TryAdd(words[i], i))
                throw new InvalidDataException($"GloVe asset lists the word '{words[i]}' twice.");
            MaxWordLength = Math.Max(MaxWordLength, words[i].Length);
        }
        _lookup = index.GetAlternateLookup<ReadOnlySpan<char>>();
        _vectors = vectors;
        Dimension = dimension;
        WordCount = words.Length;
    }

    /// <summary>The asset embedded in this assembly, loaded on first use.</summary>
    public static GloveAsset Embedded => EmbeddedAsset.Value;

    public int Dimension { get; }

    /// <summary>Number of words; word indices are frequency ranks, 0 = most frequent.</summary>
    public int WordCount { get; }

    /// <summary>Length in chars of the longest word; longer tokens cannot be in the vocabulary.</summary>
    public int MaxWordLength { get; }

    /// <summary>Rank of <paramref name="word"/> (exact, case-sensitive match), without allocating.</summary>
    public bool TryGetIndex(ReadOnlySpan<char> word, out int index) => _lookup.TryGetValue(word, out index);

    public ReadOnlySpan<float> Vector(int index) => _vectors.AsSpan(index * Dimension, Dimension);

    /// <summary>Reads and verifies an asset; throws <see cref="InvalidDataException"/> if it is not a valid one.</summary>
    public static GloveAsset Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Parse(copy.GetBuffer().AsSpan(0, checked((int)copy.Length)));
    }

    private static GloveAsset LoadEmbedded()
    {
        using var stream = typeof(GloveAsset).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource '{ResourceName}' is missing from {typeof(GloveAsset).Assembly.GetName().Name}.");
        return Load(stream);
    }

    private static GloveAsset Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes + ChecksumBytes || !bytes.StartsWith(Magic))
            throw new InvalidDataException("Not a GloVe asset: it does not start with \"NLGLOVE1\".");

        var body = bytes[..^ChecksumBytes];
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes[^ChecksumBytes..]);
        uint actual = Crc32.HashToUInt32(body);
        if (stored != actual)
            throw new InvalidDataException($"GloVe asset is corrupted: CRC-32 is {actual:x8} but the file records {stored:x8}.");

        int version = BinaryPrimitives.ReadInt32LittleEndian(body[8..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(body[12..]);
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(body[16..]);
        if (version != FormatVersion)
            throw new InvalidDataException($"GloVe asset has format version {version}; this build reads version {FormatVersion}.");
        if (count <= 0 || dimension <= 0 || count > body.Length / 2 || dimension > body.Length)
            throw new InvalidDataException($"GloVe asset header is invalid: {count} words, dimension {dimension}.");

        var reader = body[HeaderBytes..];
        var words = new string[count];
        for (int i = 0; i < count; i++)
        {
            int length = reader.IsEmpty ? -1 : reader[0];
            if (length <= 0 || 1 + length > reader.Length)
                throw new InvalidDataException($"GloVe asset vocabulary is truncated at word {i}.");
            words[i] = Encoding.UTF8.GetString(reader.Slice(1, length));
            reader = reader[(1 + length)..];
        }

        int rowBytes = sizeof(float) + dimension;
        if (reader.Length != (long)count * rowBytes)
            throw new InvalidDataException($"GloVe asset has {reader.Length} bytes of vectors; {count} x {dimension} needs {(long)count * rowBytes}.");

        var vectors = new float[checked(count * dimension)];
        for (int i = 0; i < count; i++)
        {
            var row = reader.Slice(i * rowBytes, rowBytes);
            float scale = BinaryPrimitives.ReadSingleLittleEndian(row);
            var destination = vectors.AsSpan(i * dimension, dimension);
            TensorPrimitives.ConvertChecked<sbyte, float>(MemoryMarshal.Cast<byte, sbyte>(row[sizeof(float)..]), destination);
            TensorPrimitives.Multiply(destination, scale, destination);
        }
        return new GloveAsset(words, vectors, dimension);
    }
}
