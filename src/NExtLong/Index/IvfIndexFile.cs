using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace NExtLong.Index;

/// <summary>
/// Saving, opening and merging IVF indexes (layout in <see cref="IvfFileHeader"/>). Files are written under a
/// temporary name and renamed when complete; opening maps the file and checks magic, version, exact size and
/// (optionally) the payload checksum, so a truncated, corrupt or foreign file is a clear error. An RFlat index
/// re-ranks with the exact vectors of the <see cref="VectorIndexFile"/> beside it with extension ".flat"
/// (in an index folder: vectors.ivf next to vectors.flat). The same inputs give byte-identical files, whether
/// built at once or as shards merged with <see cref="Merge"/>.
/// </summary>
internal static class IvfIndexFile
{
    /// <summary>The exact-vector file an RFlat index at <paramref name="path"/> re-ranks with.</summary>
    public static string RefinePath(string path) => Path.ChangeExtension(path, ".flat");

    /// <summary>Writes <paramref name="index"/> to <paramref name="path"/>; an RFlat index built in memory also writes its exact vectors to <see cref="RefinePath"/>.</summary>
    public static void Save(IvfIndex index, string path)
    {
        if (!index.IsTrained) throw new InvalidOperationException("an untrained IVF index cannot be saved");
        Write(path, HeaderFor(index, index.FirstId, index.Count), index.Centroids, index.Codec, [index.Lists]);
        if (index.RefineVectors is { } refine && refine.Rows is ManagedVectorRows)
            VectorIndexFile.Save(refine, RefinePath(path));
    }

    /// <summary>
    /// Opens an IVF index memory-mapped (read-only). With <paramref name="verifyChecksum"/> the whole payload is
    /// hashed first; an RFlat index also opens its .flat file, which must hold the same number of vectors.
    /// </summary>
    public static IvfIndex Open(string path, bool verifyChecksum = true) => Open(path, verifyChecksum, attachRefine: true);

    /// <summary>
    /// Merges shards — built from one trained index with <see cref="IvfIndex.CreateShard"/> and saved — into one
    /// file. The shards must share training and tile an id range without gaps or overlaps; list by list, their
    /// vectors are concatenated in id order, so the result equals an index built in one piece.
    /// </summary>
    public static void Merge(IReadOnlyList<string> shardPaths, string path)
    {
        if (shardPaths.Count == 0) throw new ArgumentException("no shards to merge", nameof(shardPaths));
        var shards = new List<IvfIndex>();
        try
        {
            foreach (var shard in shardPaths) shards.Add(Open(shard, verifyChecksum: true, attachRefine: false));
            var ordered = shards.Select((s, i) => (Index: s, Path: shardPaths[i])).OrderBy(s => s.Index.FirstId).ToList();
            var first = ordered[0];
            ulong fingerprint = Fingerprint(first.Index);
            for (int i = 1; i < ordered.Count; i++)
            {
                var (s, p) = ordered[i];
                var prev = ordered[i - 1];
                if (s.Dimension != first.Index.Dimension || s.Parameters.Nlist != first.Index.Parameters.Nlist
                    || s.Parameters.Storage != first.Index.Parameters.Storage || s.Parameters.SubQuantizers != first.Index.Parameters.SubQuantizers
                    || s.Parameters.CodeBits != first.Index.Parameters.CodeBits || s.Parameters.Residual != first.Index.Parameters.Residual
                    || s.Parameters.Refine != first.Index.Parameters.Refine
                    || Fingerprint(s) != fingerprint)
                    throw new InvalidDataException($"{p}: trained differently from {first.Path} (spec {s.Spec} vs {first.Index.Spec}, or other centroids); shards must come from one trained index");
                if (prev.Index.FirstId + prev.Index.Count != s.FirstId)
                    throw new InvalidDataException($"{p}: starts at id {s.FirstId}, but {prev.Path} ends at {prev.Index.FirstId + prev.Index.Count}; shards must tile the ids without gaps or overlaps");
            }
            long count = ordered.Sum(s => s.Index.Count);
            Write(path, HeaderFor(first.Index, first.Index.FirstId, count), first.Index.Centroids, first.Index.Codec,
                ordered.Select(s => s.Index.Lists).ToList());
        }
        finally
        {
            foreach (var s in shards) s.Dispose();
        }
    }

    private static IvfFileHeader HeaderFor(IvfIndex index, long firstId, long count)
        => new(index.Dimension, count, firstId, index.Parameters, firstId + count <= 1L << 32 ? 4 : 8, 0, Fingerprint(index));

    private static ulong Fingerprint(IvfIndex index) => Fingerprint(index.Dimension, index.Parameters, index.Centroids, index.Codec);

    /// <summary>XxHash64 of what training decided: dimension, nlist, storage (and PQ's m and, for 4-bit codes, bits), centroids and codec parameters.</summary>
    private static ulong Fingerprint(int dimension, IvfSpec spec, ReadOnlySpan<float> centroids, IvfCodec codec)
    {
        var hash = new XxHash64();
        Span<byte> head = stackalloc byte[24];
        BinaryPrimitives.WriteInt32LittleEndian(head, dimension);
        BinaryPrimitives.WriteInt32LittleEndian(head[4..], spec.Nlist);
        BinaryPrimitives.WriteInt32LittleEndian(head[8..], (int)spec.Storage);
        BinaryPrimitives.WriteInt32LittleEndian(head[12..], spec.SubQuantizers);
        BinaryPrimitives.WriteInt32LittleEndian(head[16..], spec.CodeBits);
        BinaryPrimitives.WriteInt32LittleEndian(head[20..], spec.Residual ? 1 : 0);
        // Without PQ the head stays 12 bytes (16 for 8-bit PQ), so fingerprints of files written before PQ (or 4-bit PQ) existed still match.
        hash.Append(head[..(spec.Storage != IvfStorage.PQ ? 12 : spec.CodeBits == 8 ? 16 : 24)]);
        hash.Append(MemoryMarshal.AsBytes(centroids));
        hash.Append(MemoryMarshal.AsBytes(codec.Min));
        hash.Append(MemoryMarshal.AsBytes(codec.Range));
        hash.Append(MemoryMarshal.AsBytes(codec.Codebooks));
        return hash.GetCurrentHashAsUInt64();
    }

    private static unsafe void Write(string path, IvfFileHeader header, ReadOnlySpan<float> centroids, IvfCodec codec, IReadOnlyList<IvfLists> parts)
    {
        // Code copying works on elements: d of them per vector, or m PQ sub-codes.
        int nlist = header.Spec.Nlist, d = header.CodeWidth, e = header.ElementBytes;
        var starts = new long[nlist + 1];
        for (int l = 0; l < nlist; l++)
        {
            long n = 0;
            foreach (var part in parts) n += part.Count(l);
            starts[l + 1] = starts[l] + n;
        }
        string temp = path + ".tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20))
            {
                file.Write(new byte[IvfFileHeader.Bytes]);
                var output = new HashingWriter(file);
                output.Write(MemoryMarshal.AsBytes(centroids));
                output.PadTo(header.CodecOffset);
                output.Write(MemoryMarshal.AsBytes(codec.Min));
                output.Write(MemoryMarshal.AsBytes(codec.Range));
                output.Write(MemoryMarshal.AsBytes(codec.Codebooks));
                output.PadTo(header.StartsOffset);
                output.Write(MemoryMarshal.AsBytes(starts.AsSpan()));
                output.PadTo(header.IdsOffset);
                var buffer = Array.Empty<byte>();
                for (int l = 0; l < nlist; l++)
                {
                    int total = (int)(starts[l + 1] - starts[l]), at = 0;
                    if (buffer.Length < (long)total * header.IdBytes) buffer = new byte[(long)total * header.IdBytes];
                    foreach (var part in parts)
                    {
                        var run = part.Run(l);
                        for (int i = 0; i < run.Count; i++, at++)
                        {
                            if (header.IdBytes == 4) BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(at * 4), (uint)run.IdAt(i));
                            else BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(at * 8), run.IdAt(i));
                        }
                    }
                    output.Write(buffer.AsSpan(0, total * header.IdBytes));
                }
                output.PadTo(header.CodesOffset);
                for (int l = 0; l < nlist; l++)
                {
                    int total = (int)(starts[l + 1] - starts[l]);
                    long bytes = (long)total * d * e;
                    if (buffer.Length < bytes) buffer = new byte[bytes];
                    fixed (byte* dst = buffer)
                    {
                        int at = 0;
                        long panelBytes = (long)PanelKernel.Lanes * d * e;
                        foreach (var part in parts)
                        {
                            var run = part.Run(l);
                            int i = 0;
                            if (at % PanelKernel.Lanes == 0)
                            {
                                // Full panels land on full panels unchanged; only tails need re-interleaving.
                                int panels = run.Count / PanelKernel.Lanes;
                                Buffer.MemoryCopy(run.Codes, dst + at / PanelKernel.Lanes * panelBytes, panels * panelBytes, panels * panelBytes);
                                i = panels * PanelKernel.Lanes;
                                at += i;
                            }
                            for (; i < run.Count; i++, at++)
                                CopyVector(run.Codes, run.Count, run.TailStride, i, dst, total, total % PanelKernel.Lanes, at, d, e);
                        }
                    }
                    output.Write(buffer.AsSpan(0, (int)bytes));
                    output.PadTo(IvfFileHeader.Align(output.Position));
                }
                file.Position = 0;
                file.Write((header with { Checksum = output.Checksum }).ToBytes());
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Copies vector <paramref name="from"/> of one panel layout to position <paramref name="to"/> of another.</summary>
    private static unsafe void CopyVector(byte* src, int srcCount, int srcTail, int from, byte* dst, int dstCount, int dstTail, int to, int d, int e)
    {
        const int lanes = PanelKernel.Lanes;
        long panelBytes = (long)lanes * d * e;
        byte* s = Element(src, srcCount, srcTail, from, out int srcStride);
        byte* t = Element(dst, dstCount, dstTail, to, out int dstStride);
        srcStride *= e;
        dstStride *= e;
        switch (e)
        {
            case 1:
                for (int j = 0; j < d; j++, s += srcStride, t += dstStride) *t = *s;
                break;
            case 2:
                for (int j = 0; j < d; j++, s += srcStride, t += dstStride) *(ushort*)t = *(ushort*)s;
                break;
            default:
                for (int j = 0; j < d; j++, s += srcStride, t += dstStride) *(uint*)t = *(uint*)s;
                break;
        }

        byte* Element(byte* codes, int count, int tail, int position, out int stride)
        {
            int full = count / lanes, panel = position / lanes, lane = position % lanes;
            stride = panel < full ? lanes : tail;
            return codes + panel * panelBytes + (long)lane * e;
        }
    }

    private static unsafe IvfIndex Open(string path, bool verifyChecksum, bool attachRefine)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IVF index file not found: {path}", path);
        var file = new MappedFile(path);
        try
        {
            if (file.Length < IvfFileHeader.Bytes)
                throw new InvalidDataException($"{path}: truncated IVF index file ({file.Length} bytes, header needs {IvfFileHeader.Bytes})");
            var header = IvfFileHeader.Parse(file.Span(0, IvfFileHeader.Bytes), path);
            int d = header.Dimension, nlist = header.Spec.Nlist;
            if (file.Length < header.IdsOffset)
                throw new InvalidDataException($"{path}: truncated IVF index file ({file.Length} bytes; its list table alone ends at {header.IdsOffset})");
            var starts = MemoryMarshal.Cast<byte, long>(file.Span(header.StartsOffset, (nlist + 1) * sizeof(long))).ToArray();
            for (int l = 0; l < nlist; l++)
                if (starts[l + 1] < starts[l] || starts[l + 1] - starts[l] > int.MaxValue)
                    throw new InvalidDataException($"{path}: IVF list table is corrupt");
            if (starts[0] != 0 || starts[nlist] != header.Count) throw new InvalidDataException($"{path}: IVF list table is corrupt");
            var codeOffsets = header.CodeOffsets(starts);
            if (file.Length != codeOffsets[nlist])
                throw new InvalidDataException($"{path}: size {file.Length} bytes does not match {header.Count} vectors in {nlist} lists ({codeOffsets[nlist]} bytes); the file is truncated or corrupt");
            if (verifyChecksum)
            {
                var hash = new XxHash64();
                for (long off = IvfFileHeader.Bytes; off < file.Length; off += 1 << 30)
                    hash.Append(file.Span(off, (int)Math.Min(1 << 30, file.Length - off)));
                if (hash.GetCurrentHashAsUInt64() != header.Checksum) throw new InvalidDataException($"{path}: payload checksum mismatch; the file is corrupt");
            }
            var centroids = MemoryMarshal.Cast<byte, float>(file.Span(header.CentroidsOffset, nlist * d * sizeof(float))).ToArray();
            var codec = header.Spec.Storage switch
            {
                IvfStorage.SQ8 => new IvfCodec(header.Spec.Storage, d,
                    MemoryMarshal.Cast<byte, float>(file.Span(header.CodecOffset, d * sizeof(float))).ToArray(),
                    MemoryMarshal.Cast<byte, float>(file.Span(header.CodecOffset + d * sizeof(float), d * sizeof(float))).ToArray()),
                IvfStorage.PQ => new IvfCodec(header.Spec.Storage, d, subQuantizers: header.Spec.SubQuantizers,
                    codebooks: MemoryMarshal.Cast<byte, float>(file.Span(header.CodecOffset, (int)(header.CodecFloats * sizeof(float)))).ToArray(),
                    codeBits: header.Spec.CodeBits, residual: header.Spec.Residual),
                _ => new IvfCodec(header.Spec.Storage, d),
            };
            if (Fingerprint(d, header.Spec, centroids, codec) != header.Fingerprint)
                throw new InvalidDataException($"{path}: training fingerprint mismatch; the file is corrupt");
            var refine = header.Spec.Refine && attachRefine ? OpenRefine(path, header, verifyChecksum) : null;
            return new IvfIndex(d, header.Spec, centroids, codec, new MappedIvfLists(file, starts, codeOffsets, header.IdsOffset, header.IdBytes),
                header.FirstId, header.Count, refine);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static FlatIndex OpenRefine(string path, IvfFileHeader header, bool verifyChecksum)
    {
        string flatPath = RefinePath(path);
        if (!File.Exists(flatPath))
            throw new FileNotFoundException($"{path}: this RFlat index re-ranks with the exact vectors in {flatPath}, which is missing", flatPath);
        var flat = (FlatIndex)VectorIndexFile.Open(flatPath, verifyChecksum);
        if (flat.Dimension != header.Dimension || flat.Count != header.FirstId + header.Count)
        {
            flat.Dispose();
            throw new InvalidDataException($"{flatPath}: holds {flat.Count} vectors of dimension {flat.Dimension}, but {path} indexes {header.FirstId + header.Count} of dimension {header.Dimension}; they do not belong together");
        }
        return flat;
    }

    /// <summary>Writes through to a stream while hashing everything written.</summary>
    private sealed class HashingWriter(Stream stream)
    {
        private static readonly byte[] Zeros = new byte[64];
        private readonly XxHash64 _hash = new();

        public long Position => stream.Position;

        public ulong Checksum => _hash.GetCurrentHashAsUInt64();

        public void Write(ReadOnlySpan<byte> bytes)
        {
            _hash.Append(bytes);
            stream.Write(bytes);
        }

        public void PadTo(long offset) => Write(Zeros.AsSpan(0, (int)(offset - stream.Position)));
    }
}
