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
///  24  u64 first id                    64  spec string, UTF-8, zero-padded: 64 B (version 1), 56 B (version 2)
///  32  u32 nlist                      120  versions 2 and 3: u32 PQ sub-quantizers m; 124 version 3: u8 by residual (x4fsr)
///  36  u8 storage (0 Flat, 1 FP16, 2 SQ8, 3 PQ), u8 id bytes (4|8), u8 refine (RFlat), u8 bits per PQ sub-code (8 in version 2, 4 in version 3; 0 in version 1)
/// </code>
/// Sections follow at multiples of 64 bytes: centroids (nlist × d float32); codec parameters (SQ8: d minima then
/// d ranges; PQ: codebooks, d × 2^bits, as <see cref="ProductQuantizer.Codebooks"/>; float32; else empty); list starts
/// ((nlist + 1) × u64, list l holds vectors [starts[l], starts[l+1]) of the file's order); ids (count × id bytes,
/// list by list); codes: each list from a multiple of 64 bytes, its full panels (16 vectors interleaved by element:
/// dimension, or PQ code byte) then its tail of count % 16 vectors interleaved with that stride. Version 2 adds PQ;
/// version 3 its 4-bit fast-scan codes (⌈m/2⌉ bytes per vector, two sub-codes a byte, low nibble first), so a build
/// that predates them names the version instead of calling the file corrupt; files of the other storages are still
/// written as version 1 and 8-bit PQ as version 2, so indexes built before stay valid and identical.
/// </summary>
internal readonly record struct IvfFileHeader(int Dimension, long Count, long FirstId, IvfSpec Spec, int IdBytes, ulong Checksum, ulong Fingerprint)
{
    public const int Bytes = 128;
    /// <summary>The version of files without PQ.</summary>
    public const int FormatVersion = 1;

    /// <summary>The version of 8-bit PQ files.</summary>
    public const int ProductFormatVersion = 2;

    /// <summary>The version of 4-bit fast-scan PQ files (the newest this build reads).</summary>
    public const int FastScanFormatVersion = 3;

    private const int SpecOffset = 64;
    private const int SubQuantizersOffset = 120;
    private const int ResidualOffset = 124;
    private static ReadOnlySpan<byte> Magic => "NLIVF001"u8;

    public int ElementBytes => Spec.Storage switch { IvfStorage.Flat => 4, IvfStorage.FP16 => 2, _ => 1 };

    /// <summary>Elements per stored vector: d, or PQ's code bytes (m, or ⌈m/2⌉ with 4-bit sub-codes).</summary>
    public int CodeWidth => Spec.Storage != IvfStorage.PQ ? Dimension : Spec.CodeBits == 4 ? (Spec.SubQuantizers + 1) / 2 : Spec.SubQuantizers;

    public int Version => Spec.Storage != IvfStorage.PQ ? FormatVersion : Spec.CodeBits == 4 ? FastScanFormatVersion : ProductFormatVersion;

    public long CentroidsOffset => Bytes;

    public long CodecOffset => Align(CentroidsOffset + (long)Spec.Nlist * Dimension * sizeof(float));

    /// <summary>Float32 codec parameters: SQ8's minima and ranges, or PQ's codebooks.</summary>
    public long CodecFloats => Spec.Storage switch
    {
        IvfStorage.SQ8 => 2L * Dimension,
        IvfStorage.PQ => (long)Dimension << Spec.CodeBits,
        _ => 0,
    };

    public long StartsOffset => Align(CodecOffset + CodecFloats * sizeof(float));

    public long IdsOffset => Align(StartsOffset + (Spec.Nlist + 1L) * sizeof(long));

    public long CodesOffset => Align(IdsOffset + Count * IdBytes);

    public static long Align(long offset) => (offset + 63) & ~63L;

    /// <summary>Where each list's codes start, and (last entry) where the file ends.</summary>
    public long[] CodeOffsets(ReadOnlySpan<long> starts)
    {
        var offsets = new long[Spec.Nlist + 1];
        long at = CodesOffset, codeBytes = (long)CodeWidth * ElementBytes;
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
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(8), Version);
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
        int specBytes = Bytes - SpecOffset;
        if (Spec.Storage == IvfStorage.PQ)
        {
            h[39] = (byte)Spec.CodeBits;
            BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(SubQuantizersOffset), Spec.SubQuantizers);
            specBytes = SubQuantizersOffset - SpecOffset;
            if (Spec.CodeBits == 4) h[ResidualOffset] = Spec.Residual ? (byte)1 : (byte)0;
        }
        // The spec string is for people reading the file (the fields above are what counts); an extreme one is cut.
        string spec = Spec.ToString();
        Encoding.ASCII.GetBytes(spec.AsSpan(0, Math.Min(spec.Length, specBytes)), h.AsSpan(SpecOffset));
        return h;
    }

    /// <summary>Parses and sanity-checks a header; <paramref name="path"/> names the file in errors.</summary>
    public static IvfFileHeader Parse(ReadOnlySpan<byte> h, string path)
    {
        if (!h[..8].SequenceEqual(Magic)) throw new InvalidDataException($"{path}: not a nextlong IVF index (bad magic)");
        int version = BinaryPrimitives.ReadInt32LittleEndian(h[8..]);
        if (version is not (FormatVersion or ProductFormatVersion or FastScanFormatVersion))
            throw new InvalidDataException($"{path}: IVF index format version {version}, this build reads {FormatVersion} to {FastScanFormatVersion}");
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(h[12..]);
        long count = BinaryPrimitives.ReadInt64LittleEndian(h[16..]);
        long firstId = BinaryPrimitives.ReadInt64LittleEndian(h[24..]);
        int nlist = BinaryPrimitives.ReadInt32LittleEndian(h[32..]);
        int storage = h[36], idBytes = h[37], refine = h[38], bits = h[39];
        int m = version != FormatVersion ? BinaryPrimitives.ReadInt32LittleEndian(h[SubQuantizersOffset..]) : 0;
        int residual = version == FastScanFormatVersion ? h[ResidualOffset] : 1;
        int nprobe = BinaryPrimitives.ReadInt32LittleEndian(h[40..]);
        int factor = BinaryPrimitives.ReadInt32LittleEndian(h[44..]);
        bool product = storage == (int)IvfStorage.PQ;
        if (dimension < 1 || count < 0 || firstId < 0 || nlist < 1 || nlist > IvfSpec.MaxNlist || storage > 3 || idBytes is not (4 or 8) || refine > 1
            || nprobe < 1 || factor < 1 || residual > 1 || product != (version != FormatVersion)
            || (product && (bits != (version == FastScanFormatVersion ? 4 : 8) || m < 1 || m > dimension || dimension % m != 0)) || (!product && bits != 0))
            throw new InvalidDataException($"{path}: IVF index header is corrupt");
        var spec = new IvfSpec(nlist, (IvfStorage)storage, refine == 1, Math.Min(nprobe, nlist), factor, m, product ? bits : 8, residual == 1);
        return new IvfFileHeader(dimension, count, firstId, spec, idBytes,
            BinaryPrimitives.ReadUInt64LittleEndian(h[48..]), BinaryPrimitives.ReadUInt64LittleEndian(h[56..]));
    }
}
