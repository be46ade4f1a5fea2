using System.Buffers.Binary;
using System.Text;

namespace NExtLong.Index;

/// <summary>
/// The 128-byte header of an <see cref="IvfIndexFile"/> and the section layout it implies (little-endian):
/// <code>
///   0  8  magic "NLIVF001"             40  u32 default nprobe
///   8  u32 format version              44  u32 default refine factor (kfactor)
///  12  u32 dimension                   48  u64 XxHash64 of every byte after the header
///  16  u64 vectors in this file        56  u64 training fingerprint (centroids and codec)
///  24  u64 first id                    64  64 B spec string, UTF-8, zero-padded
///  32  u32 nlist
///  36  u8 storage (0 Flat, 1 FP16, 2 SQ8), u8 id bytes (4|8), u8 refine (RFlat), u8 reserved
/// </code>
/// Sections follow at multiples of 64 bytes: centroids (nlist × d float32); codec parameters (SQ8: d minima then
/// d ranges, float32; else empty); list starts ((nlist + 1) × u64, list l holds vectors [starts[l], starts[l+1])
/// of the file's order); ids (count × id bytes, list by list); codes: each list from a multiple of 64 bytes, its
/// full panels (16 vectors interleaved by dimension) then its tail of count % 16 vectors interleaved with that stride.
/// </summary>
internal readonly record struct IvfFileHeader(int Dimension, long Count, long FirstId, IvfSpec Spec, int IdBytes, ulong Checksum, ulong Fingerprint)
{
    public const int Bytes = 128;
    public const int FormatVersion = 1;
    private const int SpecOffset = 64;
    private static ReadOnlySpan<byte> Magic => "NLIVF001"u8;

    public int ElementBytes => Spec.Storage switch { IvfStorage.Flat => 4, IvfStorage.FP16 => 2, _ => 1 };

    public long CentroidsOffset => Bytes;

    public long CodecOffset => Align(CentroidsOffset + (long)Spec.Nlist * Dimension * sizeof(float));

    public long StartsOffset => Align(CodecOffset + (Spec.Storage == IvfStorage.SQ8 ? 2L * Dimension * sizeof(float) : 0));

    public long IdsOffset => Align(StartsOffset + (Spec.Nlist + 1L) * sizeof(long));

    public long CodesOffset => Align(IdsOffset + Count * IdBytes);

    public static long Align(long offset) => (offset + 63) & ~63L;

    /// <summary>Where each list's codes start, and (last entry) where the file ends.</summary>
    public long[] CodeOffsets(ReadOnlySpan<long> starts)
    {
        var offsets = new long[Spec.Nlist + 1];
        long at = CodesOffset, codeBytes = (long)Dimension * ElementBytes;
        for (int l = 0; l < Spec.Nlist; l++)
        {
            offsets[l] = at;
            at = Align(at + (starts[l + 1] - starts[l]) * codeBytes);
        }
        offsets[Spec.Nlist] = at;
        return offsets;
    }

    public byte[] ToBytes()
    {
        var h = new byte[Bytes];
        Magic.CopyTo(h);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(12), Dimension);
        BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(16), Count);
        BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(24), FirstId);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(32), Spec.Nlist);
        h[36] = (byte)Spec.Storage;
        h[37] = (byte)IdBytes;
        h[38] = Spec.Refine ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(40), Spec.NProbe);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(44), Spec.RefineFactor);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(48), Checksum);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(56), Fingerprint);
        Encoding.UTF8.GetBytes(Spec.ToString(), h.AsSpan(SpecOffset));
        return h;
    }

    /// <summary>Parses and sanity-checks a header; <paramref name="path"/> names the file in errors.</summary>
    public static IvfFileHeader Parse(ReadOnlySpan<byte> h, string path)
    {
        if (!h[..8].SequenceEqual(Magic)) throw new InvalidDataException($"{path}: not a nextlong IVF index (bad magic)");
        int version = BinaryPrimitives.ReadInt32LittleEndian(h[8..]);
        if (version != FormatVersion) throw new InvalidDataException($"{path}: IVF index format version {version}, this build reads {FormatVersion}");
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(h[12..]);
        long count = BinaryPrimitives.ReadInt64LittleEndian(h[16..]);
        long firstId = BinaryPrimitives.ReadInt64LittleEndian(h[24..]);
        int nlist = BinaryPrimitives.ReadInt32LittleEndian(h[32..]);
        int storage = h[36], idBytes = h[37], refine = h[38];
        int nprobe = BinaryPrimitives.ReadInt32LittleEndian(h[40..]);
        int factor = BinaryPrimitives.ReadInt32LittleEndian(h[44..]);
        if (dimension < 1 || count < 0 || firstId < 0 || nlist < 1 || storage > 2 || idBytes is not (4 or 8) || refine > 1 || nprobe < 1 || factor < 1)
            throw new InvalidDataException($"{path}: IVF index header is corrupt");
        var spec = new IvfSpec(nlist, (IvfStorage)storage, refine == 1, Math.Min(nprobe, nlist), factor);
        return new IvfFileHeader(dimension, count, firstId, spec, idBytes,
            BinaryPrimitives.ReadUInt64LittleEndian(h[48..]), BinaryPrimitives.ReadUInt64LittleEndian(h[56..]));
    }
}
