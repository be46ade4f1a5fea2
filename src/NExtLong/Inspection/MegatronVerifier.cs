using System.Buffers.Binary;
using NExtLong.Output.Megatron;

namespace NExtLong.Inspection;

/// <summary>
/// Verifies a Megatron indexed dataset (PREFIX.idx + PREFIX.bin) as a stream: the .idx header (magic, version 1,
/// a known dtype, the one config.json records), its size, every sequence length and pointer against the ones
/// before it and the .bin length, the document index (0 … S, never decreasing), then every id of .bin.
/// </summary>
internal static class MegatronVerifier
{
    private const int Header = 34;

    public static FormatCount Verify(string prefix, DatasetExpectations expect, bool quick)
    {
        string idxPath = prefix + ".idx", binPath = prefix + ".bin";
        if (!File.Exists(idxPath) || !File.Exists(binPath))
            throw new InvalidDataException($"{prefix}: needs both {Path.GetFileName(idxPath)} and {Path.GetFileName(binPath)}");
        using var idx = new FileStream(idxPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> head = stackalloc byte[Header];
        if (idx.ReadAtLeast(head, Header, throwOnEndOfStream: false) < Header || !head[..9].SequenceEqual(MegatronDatasetWriter.Magic))
            throw new InvalidDataException($"{idxPath}: not an MMIDIDX index (bad magic)");
        ulong version = BinaryPrimitives.ReadUInt64LittleEndian(head[9..]);
        if (version != 1)
            throw new InvalidDataException($"{idxPath}: version {version}, only 1 exists");
        var dtype = (MegatronDType)head[17];
        if (!Enum.IsDefined(dtype))
            throw new InvalidDataException($"{idxPath}: dtype code {head[17]} is not an integer type (1-5, 8)");
        string name = dtype.ToString().ToLowerInvariant();
        if (expect.MegatronDType is string recorded && recorded != name)
            throw new InvalidDataException($"{idxPath}: dtype {name}, config.json records {recorded}");
        ulong s = BinaryPrimitives.ReadUInt64LittleEndian(head[18..]), d = BinaryPrimitives.ReadUInt64LittleEndian(head[26..]);
        // Multimodal datasets add a byte per sequence after the document indices.
        ulong size = (ulong)idx.Length, text = Header + 12 * s + 8 * d;
        if (s > int.MaxValue || d > int.MaxValue || (size != text && size != text + s))
            throw new InvalidDataException($"{idxPath}: {size:N0} bytes do not hold the {s:N0} sequences and {d:N0} document indices its header gives");
        int item = MegatronDataset.SizeOf(dtype);

        // Pass 1, the index alone: lengths, pointers, document indices, .bin length.
        long bytes = 0;
        using (var lengths = Region(idxPath, Header))
        using (var pointers = Region(idxPath, Header + 4 * (long)s))
        {
            for (long i = 0; i < (long)s; i++)
            {
                int length = lengths.ReadInt32();
                long pointer = pointers.ReadInt64();
                if (length < 0)
                    throw new InvalidDataException($"{idxPath}: sample {i}: length {length}");
                if (pointer != bytes)
                    throw new InvalidDataException($"{idxPath}: sample {i}: starts at byte {pointer:N0} of .bin, the lengths before it end at {bytes:N0}");
                if (expect.LengthProblem(length) is { } wrong)
                    throw new InvalidDataException($"{idxPath}: sample {i}: {wrong}");
                bytes += (long)length * item;
            }
        }
        using (var documents = Region(idxPath, Header + 12 * (long)s))
        {
            long previous = 0;
            for (long j = 0; j < (long)d; j++)
            {
                long at = documents.ReadInt64();
                if ((j == 0 && at != 0) || at < previous || at > (long)s || (j == (long)d - 1 && at != (long)s))
                    throw new InvalidDataException($"{idxPath}: document index {j} is {at}; they must run from 0 to the sequence count {s} and never decrease");
                previous = at;
            }
            if (d == 0)
                throw new InvalidDataException($"{idxPath}: no document index (it must run from 0 to the sequence count {s})");
        }
        long binBytes = new FileInfo(binPath).Length;
        if (binBytes != bytes)
            throw new InvalidDataException($"{binPath}: {binBytes:N0} bytes, {Path.GetFileName(idxPath)} describes {bytes:N0}");
        if (!quick)
            Ids(idxPath, binPath, (long)s, name, item, expect);
        return new FormatCount("megatron", prefix, (long)s, bytes / item, Ids: true);
    }

    // Pass 2: every sequence's ids, read in blocks, against the vocabulary and the BOS/EOS policy.
    private static void Ids(string idxPath, string binPath, long sequences, string dtype, int item, DatasetExpectations expect)
    {
        var buffer = new byte[(1 << 20) / item * item];
        using var lengths = Region(idxPath, Header);
        using var bin = new FileStream(binPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        for (long i = 0; i < sequences; i++)
        {
            long left = (long)lengths.ReadInt32() * item, position = 0;
            string where = $"{binPath}: sample {i}";
            while (left > 0)
            {
                int n = (int)Math.Min(buffer.Length, left);
                var block = buffer.AsSpan(0, n);
                bin.ReadExactly(block);
                int bad = TokenIds.FirstOutside(dtype, block, expect.IdLimit);
                if (bad >= 0)
                    throw new InvalidDataException($"{where}: {expect.IdProblem(TokenIds.At(dtype, block, bad), position + bad)}");
                if (position == 0 && expect.Bos is int bos && TokenIds.Get(dtype, block, 0) != bos)
                    throw new InvalidDataException($"{where}: starts with id {TokenIds.At(dtype, block, 0)}, not BOS {bos} as config.json records");
                left -= n;
                position += n / item;
                if (left == 0 && expect.Eos is int eos && TokenIds.Get(dtype, block, n / item - 1) != eos)
                    throw new InvalidDataException($"{where}: ends with id {TokenIds.At(dtype, block, n / item - 1)}, not EOS {eos} as config.json records");
            }
        }
    }

    private static BinaryReader Region(string path, long offset)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16) { Position = offset };
        return new BinaryReader(stream);
    }
}
