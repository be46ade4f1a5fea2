using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace NExtLong.Output.Megatron;

/// <summary>
/// Reads a Megatron-LM / GPT-NeoX indexed dataset (PREFIX.idx + PREFIX.bin, MMIDIDX version 1) with the checks
/// Megatron's IndexedDataset makes: the magic, version 1, document indices ending at the sequence count, and a
/// .bin as long as the lengths say. The index is read whole; sequences are read from .bin on demand.
/// </summary>
internal sealed class MegatronDataset : IDisposable
{
    private readonly SafeFileHandle _bin;

    private MegatronDataset(string prefix, MegatronDType dtype, int[] lengths, long[] pointers, long[] documentIndices, SafeFileHandle bin, long binBytes)
    {
        Prefix = prefix;
        DType = dtype;
        Lengths = lengths;
        Pointers = pointers;
        DocumentIndices = documentIndices;
        _bin = bin;
        BinBytes = binBytes;
    }

    public string Prefix { get; }

    public MegatronDType DType { get; }

    /// <summary>Ids per sequence.</summary>
    public IReadOnlyList<int> Lengths { get; }

    /// <summary>Byte offset of each sequence in .bin.</summary>
    public IReadOnlyList<long> Pointers { get; }

    /// <summary>[0, …, sequence count]: where each document's sequences start.</summary>
    public IReadOnlyList<long> DocumentIndices { get; }

    public long BinBytes { get; }

    public int ItemSize => SizeOf(DType);

    /// <summary>Whether PREFIX.idx and PREFIX.bin both exist.</summary>
    public static bool Exists(string prefix) => File.Exists(prefix + ".idx") && File.Exists(prefix + ".bin");

    public static MegatronDataset Open(string prefix)
    {
        string idxPath = prefix + ".idx";
        if (!File.Exists(idxPath) || !File.Exists(prefix + ".bin"))
            throw new FileNotFoundException($"{prefix}: needs {Path.GetFileName(idxPath)} and {Path.GetFileName(prefix)}.bin beside it", idxPath);
        byte[] idx = File.ReadAllBytes(idxPath);
        if (idx.Length < 34 || !idx.AsSpan(0, 9).SequenceEqual(MegatronDatasetWriter.Magic))
            throw new InvalidDataException($"{idxPath}: not an MMIDIDX index (bad magic)");
        ulong version = BinaryPrimitives.ReadUInt64LittleEndian(idx.AsSpan(9));
        if (version != 1)
            throw new InvalidDataException($"{idxPath}: version {version}, only 1 is read");
        var dtype = (MegatronDType)idx[17];
        if (!Enum.IsDefined(dtype))
            throw new InvalidDataException($"{idxPath}: dtype code {idx[17]} is not an integer type (1-5, 8)");
        ulong s = BinaryPrimitives.ReadUInt64LittleEndian(idx.AsSpan(18)), d = BinaryPrimitives.ReadUInt64LittleEndian(idx.AsSpan(26));
        // Multimodal datasets add a byte per sequence after the document indices.
        ulong textLength = 34 + 12 * s + 8 * d;
        if (s > int.MaxValue || d > int.MaxValue || ((ulong)idx.Length != textLength && (ulong)idx.Length != textLength + s))
            throw new InvalidDataException($"{idxPath}: {idx.Length} bytes do not hold {s} sequences and {d} document indices");
        var lengths = new int[s];
        var pointers = new long[s];
        var docs = new long[d];
        for (int i = 0; i < (int)s; i++)
            lengths[i] = BinaryPrimitives.ReadInt32LittleEndian(idx.AsSpan(34 + 4 * i));
        for (int i = 0; i < (int)s; i++)
            pointers[i] = BinaryPrimitives.ReadInt64LittleEndian(idx.AsSpan((int)(34 + 4 * (long)s + 8 * i)));
        for (int i = 0; i < (int)d; i++)
            docs[i] = BinaryPrimitives.ReadInt64LittleEndian(idx.AsSpan((int)(34 + 12 * (long)s + 8 * i)));
        if (d == 0 || docs[0] != 0 || docs[^1] != (long)s)
            throw new InvalidDataException($"{idxPath}: document indices must run from 0 to the sequence count {s}");
        long expected = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            if (lengths[i] < 0 || pointers[i] != expected)
                throw new InvalidDataException($"{idxPath}: sequence {i} starts at byte {pointers[i]}, the lengths before it end at {expected}");
            expected += (long)lengths[i] * SizeOf(dtype);
        }
        var bin = File.OpenHandle(prefix + ".bin");
        long binBytes = RandomAccess.GetLength(bin);
        if (binBytes != expected)
        {
            bin.Dispose();
            throw new InvalidDataException($"{prefix}.bin: {binBytes:N0} bytes, the index describes {expected:N0}");
        }
        return new MegatronDataset(prefix, dtype, lengths, pointers, docs, bin, binBytes);
    }

    /// <summary>The ids of sequence <paramref name="index"/>.</summary>
    public long[] ReadSequence(int index)
    {
        var bytes = new byte[(long)Lengths[index] * ItemSize];
        RandomAccess.Read(_bin, bytes, Pointers[index]);
        var ids = new long[Lengths[index]];
        for (int i = 0; i < ids.Length; i++)
        {
            var v = bytes.AsSpan(i * ItemSize, ItemSize);
            ids[i] = DType switch
            {
                MegatronDType.UInt8 => v[0],
                MegatronDType.Int8 => (sbyte)v[0],
                MegatronDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(v),
                MegatronDType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(v),
                MegatronDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(v),
                _ => BinaryPrimitives.ReadInt64LittleEndian(v),
            };
        }
        return ids;
    }

    public static int SizeOf(MegatronDType dtype) => dtype switch
    {
        MegatronDType.UInt8 or MegatronDType.Int8 => 1,
        MegatronDType.Int16 or MegatronDType.UInt16 => 2,
        MegatronDType.Int32 => 4,
        _ => 8,
    };

    public void Dispose() => _bin.Dispose();
}
