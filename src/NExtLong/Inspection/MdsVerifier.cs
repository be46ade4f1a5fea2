using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using NExtLong.Output.Mds;

namespace NExtLong.Inspection;

/// <summary>
/// Verifies an MDS dataset one shard at a time: every shard listed in index.json exists with the recorded size,
/// decompresses, has the recorded sample count, a config matching its entry and offsets that stay inside it;
/// every sample splits into its columns and decodes; the samples pass the layout's checks (ProLong's: ids in the
/// vocabulary, length = the ids, spans tiling them, lengths as recorded; mds-text's: the record checks); then the
/// recorded hashes of the raw and the compressed shard. A parent index must agree with its subfolders' indexes.
/// </summary>
internal static class MdsVerifier
{
    public static FormatCount Verify(string dir, DatasetExpectations expect, bool quick)
    {
        string indexPath = Path.Combine(dir, MdsIndex.FileName);
        var shards = MdsIndex.Read(indexPath);
        var columns = shards.Count > 0 ? shards[0].Columns : [];
        foreach (var shard in shards)
        {
            if (!shard.Columns.SequenceEqual(columns))
                throw new InvalidDataException($"{indexPath}: shard {shard.StoredBasename} has other columns than {shards[0].StoredBasename}");
        }
        SubfolderIndexes(dir, indexPath, shards);
        var layout = new Layout(columns);
        string format = layout.Ids >= 0 ? "mds" : layout.Text >= 0 && layout.Provenance >= 0 ? "mds-text" : "mds";

        var sample = new MdsSample(columns);
        byte[] stored = [], one = [];
        long total = 0, tokens = 0;
        foreach (var shard in shards)
        {
            string file = Path.Combine(dir, shard.StoredBasename);
            var recorded = shard.ZipData ?? shard.RawData;
            if (!File.Exists(file))
                throw new InvalidDataException($"{file}: listed in {indexPath} but missing");
            long length = new FileInfo(file).Length;
            if (length != recorded.Bytes)
                throw new InvalidDataException($"{file}: {length:N0} bytes, {indexPath} records {recorded.Bytes:N0}");
            if (quick)
            {
                if (shard.ZipData is null)
                    QuickHeader(file, shard.Samples, length);
                total += shard.Samples;
                continue;
            }
            if (length > Array.MaxLength)
                throw new InvalidDataException($"{file}: {length:N0} bytes, more than a shard can hold");
            ReadAll(file, ref stored, (int)length);
            ReadOnlySpan<byte> data = shard.ZipData is null ? stored.AsSpan(0, (int)length) : Decompress(file, shard, stored, (int)length);
            var offsets = Header(file, shard, indexPath, data);
            for (int j = 0; j < offsets.Length - 1; j++)
            {
                string where = $"{file}: sample {total + j} (shard sample {j})";
                uint begin = offsets[j], end = offsets[j + 1];
                if (end < begin || end > data.Length)
                    throw new InvalidDataException($"{where}: offsets {begin:N0}..{end:N0} run outside the shard's {data.Length:N0} bytes");
                int size = (int)(end - begin);
                if (one.Length < size)
                    one = new byte[Math.Max(size, one.Length * 2)];
                data.Slice((int)begin, size).CopyTo(one);
                sample.Load(one, size, where);
                tokens += Check(sample, layout, expect, where);
            }
            Hashes(file, "raw_data", shard.RawData, data);
            if (shard.ZipData is not null)
                Hashes(file, "zip_data", shard.ZipData, stored.AsSpan(0, (int)length));
            total += shard.Samples;
        }
        return new FormatCount(format, dir, total, quick || format == "mds" && layout.Ids < 0 ? null : tokens, Ids: layout.Ids >= 0);
    }

    /// <summary>The columns the layout checks look at; -1 when absent.</summary>
    private sealed class Layout(IReadOnlyList<MdsColumn> columns)
    {
        public int Ids { get; } = Find(columns, "input_ids", c => c.Encoding.IsNDArray);
        public int Length { get; } = Find(columns, "length", c => c.Encoding.FixedSize is not null && !c.Encoding.IsNDArray);
        public int Indices { get; } = Find(columns, "indices", c => c.Encoding.IsNDArray);
        public int Text { get; } = Find(columns, "text", c => c.Encoding.Name == "str");
        public int Provenance { get; } = Find(columns, "provenance", c => c.Encoding.Name == "json");

        private static int Find(IReadOnlyList<MdsColumn> columns, string name, Func<MdsColumn, bool> fits)
        {
            for (int i = 0; i < columns.Count; i++)
            {
                if (columns[i].Name == name && fits(columns[i]))
                    return i;
            }
            return -1;
        }
    }

    // Every column decodes; then the layout's checks. Returns the sample's tokens (ids, or num_tokens of mds-text).
    private static long Check(MdsSample sample, Layout layout, DatasetExpectations expect, string where)
    {
        for (int c = 0; c < sample.Columns.Count; c++)
        {
            var encoding = sample.Columns[c].Encoding;
            if (encoding.IsNDArray)
                sample.GetNdArray(c);
            else if (encoding.Name is "str" or "json" && !Utf8.IsValid(sample.Bytes(c)))
                throw new InvalidDataException($"{where}: column \"{sample.Columns[c].Name}\" is not valid UTF-8");
        }
        if (layout.Ids >= 0)
            return TokenSample(sample, layout, expect, where);
        if (layout.Text >= 0 && layout.Provenance >= 0)
            return TextSample(sample, layout, expect, where);
        return 0;
    }

    private static long TokenSample(MdsSample sample, Layout layout, DatasetExpectations expect, string where)
    {
        var ids = sample.GetNdArray(layout.Ids);
        if (ids.Shape.Length != 1)
            throw new InvalidDataException($"{where}: input_ids has shape [{string.Join(", ", ids.Shape)}], not one dimension");
        int bad = TokenIds.FirstOutside(ids.DType, ids.Values, expect.IdLimit);
        if (bad >= 0)
            throw new InvalidDataException($"{where}: {expect.IdProblem(TokenIds.At(ids.DType, ids.Values, bad), bad)}");
        long count = ids.Count;
        if (layout.Length >= 0 && sample.GetInt64(layout.Length) is long recorded && recorded != count)
            throw new InvalidDataException($"{where}: length is {recorded:N0}, input_ids holds {count:N0}");
        if (expect.LengthProblem(count) is { } wrong)
            throw new InvalidDataException($"{where}: {wrong}");
        if (expect.Bos is int bos && (count == 0 || TokenIds.Get(ids.DType, ids.Values, 0) != bos))
            throw new InvalidDataException($"{where}: does not start with BOS {bos} as config.json records");
        if (expect.Eos is int eos && (count == 0 || TokenIds.Get(ids.DType, ids.Values, (int)count - 1) != eos))
            throw new InvalidDataException($"{where}: does not end with EOS {eos} as config.json records");
        if (layout.Indices >= 0)
        {
            var indices = sample.GetNdArray(layout.Indices);
            if (indices.Shape is not [_, 2])
                throw new InvalidDataException($"{where}: indices has shape [{string.Join(", ", indices.Shape)}], not [n, 2]");
            long at = 0;
            for (int row = 0; row < indices.Shape[0]; row++)
            {
                long start = indices.GetInt64(2 * row), end = indices.GetInt64(2 * row + 1);
                if (start != at || end <= start || end > count)
                    throw new InvalidDataException($"{where}: indices row {row} [{start}, {end}) does not continue the spans at {at} within the {count:N0} ids");
                at = end;
            }
            if (at != count)
                throw new InvalidDataException($"{where}: indices end at {at:N0}, input_ids holds {count:N0}");
        }
        return count;
    }

    private static long TextSample(MdsSample sample, Layout layout, DatasetExpectations expect, string where)
    {
        try
        {
            var reader = new Utf8JsonReader(sample.Bytes(layout.Provenance));
            using var provenance = JsonDocument.ParseValue(ref reader);
            if (provenance.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{where}: provenance is not a JSON object");
            if (TextRecords.Check(provenance.RootElement, sample.GetString(layout.Text), expect, out long numTokens) is { } wrong)
                throw new InvalidDataException($"{where}: {wrong}");
            return numTokens;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where}: provenance is not valid JSON ({e.Message})", e);
        }
    }

    // u32 N, u32 offsets[N+1], config: N as recorded, the config of the entry, offsets from the end of the config to the end of the shard.
    private static uint[] Header(string file, MdsShardInfo shard, string indexPath, ReadOnlySpan<byte> data)
    {
        if (data.Length < 8)
            throw new InvalidDataException($"{file}: {data.Length} bytes cannot hold a shard header");
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (n != shard.Samples)
            throw new InvalidDataException($"{file}: holds {n:N0} samples, {indexPath} records {shard.Samples:N0}");
        long headerEnd = 4 + 4 * ((long)n + 1);
        if (data.Length < headerEnd)
            throw new InvalidDataException($"{file}: {data.Length:N0} bytes cannot hold the offsets of {n:N0} samples");
        var offsets = new uint[n + 1];
        for (int i = 0; i <= n; i++)
            offsets[i] = BinaryPrimitives.ReadUInt32LittleEndian(data[(4 + 4 * i)..]);
        if (offsets[0] < headerEnd || offsets[0] > data.Length)
            throw new InvalidDataException($"{file}: the first sample starts at byte {offsets[0]:N0}, inside the header or past the end");
        if (offsets[n] != data.Length)
            throw new InvalidDataException($"{file}: the last sample ends at byte {offsets[n]:N0}, the shard has {data.Length:N0}");
        Config(file, shard, data[(int)headerEnd..(int)offsets[0]]);
        return offsets;
    }

    // The writer's config after the offsets: its columns must be the ones index.json lists, or samples would split differently.
    private static void Config(string file, MdsShardInfo shard, ReadOnlySpan<byte> config)
    {
        try
        {
            var reader = new Utf8JsonReader(config);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            bool same = root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("column_names", out var names) && names.ValueKind == JsonValueKind.Array
                && root.TryGetProperty("column_encodings", out var encodings) && encodings.ValueKind == JsonValueKind.Array
                && names.EnumerateArray().Select(e => e.GetString()).SequenceEqual(shard.Columns.Select(c => c.Name))
                && encodings.EnumerateArray().Select(e => e.GetString()).SequenceEqual(shard.Columns.Select(c => c.Encoding.Name));
            if (!same)
                throw new InvalidDataException($"{file}: the columns in its header differ from its index.json entry's");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"{file}: the config in its header is not valid JSON ({e.Message})", e);
        }
    }

    private static void QuickHeader(string file, long samples, long length)
    {
        using var handle = File.OpenHandle(file);
        uint n = Word(handle, file, 0);
        if (n != samples)
            throw new InvalidDataException($"{file}: holds {n:N0} samples, index.json records {samples:N0}");
        uint end = Word(handle, file, 4 + 4 * samples);
        if (end != length)
            throw new InvalidDataException($"{file}: the last sample ends at byte {end:N0}, the shard has {length:N0}");
    }

    private static uint Word(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string file, long at)
    {
        Span<byte> word = stackalloc byte[4];
        return RandomAccess.Read(handle, word, at) == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(word)
            : throw new InvalidDataException($"{file}: cut short at byte {at:N0}");
    }

    private static byte[] Decompress(string file, MdsShardInfo shard, byte[] stored, int length)
    {
        try
        {
            using var compressed = new MemoryStream(stored, 0, length, writable: false);
            return MdsCompression.Parse(shard.Compression!).Decompress(compressed, shard.RawData.Bytes);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            throw new InvalidDataException($"{file}: cannot be decompressed as {shard.Compression} to the {shard.RawData.Bytes:N0} bytes index.json records ({e.Message})", e);
        }
    }

    private static void Hashes(string file, string entry, MdsFileInfo recorded, ReadOnlySpan<byte> data)
    {
        // Algorithms this build cannot compute (python-xxhash has more) are passed over.
        foreach (var (algorithm, expected) in recorded.Hashes.Where(h => MdsHash.Supported.Contains(h.Key)))
        {
            using var hash = new MdsHash(algorithm);
            hash.Append(data);
            string actual = hash.HexDigestAndReset();
            if (actual != expected)
                throw new InvalidDataException($"{file}: {algorithm} is {actual}, index.json's {entry} records {expected}: the shard is corrupt though its samples decode");
        }
    }

    private static void SubfolderIndexes(string dir, string indexPath, List<MdsShardInfo> shards)
    {
        foreach (var group in shards.GroupBy(s => s.RawData.Basename.Contains('/') ? s.RawData.Basename[..s.RawData.Basename.LastIndexOf('/')] : ""))
        {
            string sub = Path.Combine(dir, group.Key, MdsIndex.FileName);
            if (group.Key.Length == 0 || !File.Exists(sub))
                continue;
            string folder = group.Key;
            if (MdsIndex.ToJson(MdsIndex.Read(sub).Select(s => s.InFolder(folder))) != MdsIndex.ToJson(group))
                throw new InvalidDataException($"{sub}: lists other shards than {indexPath} does for {folder}/");
        }
    }

    private static void ReadAll(string file, ref byte[] buffer, int length)
    {
        if (buffer.Length < length)
            buffer = new byte[Math.Max(length, Math.Min(Array.MaxLength, (long)buffer.Length * 2))];
        using var handle = File.OpenHandle(file);
        for (int at = 0, read; at < length; at += read)
        {
            read = RandomAccess.Read(handle, buffer.AsSpan(at, length - at), at);
            if (read == 0)
                throw new InvalidDataException($"{file}: cut short while being read");
        }
    }
}
