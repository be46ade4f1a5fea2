using System.Numerics.Tensors;

namespace NExtLong.Index;

/// <summary>
/// Encodes vectors for an IVF list and prepares queries so that the panel kernel's plain inner product of the
/// prepared query with the stored elements, plus a per-(query, list) bias, is the score.
/// <list type="bullet">
/// <item>Flat: the vector itself; query unchanged; no bias (scores are exactly those of <see cref="FlatIndex"/>).</item>
/// <item>FP16: the residual r = x − c as IEEE half; query scaled by 2^112 (see <see cref="Fp16PanelCodec"/>); bias q·c.</item>
/// <item>SQ8: residual code c_j = ⌊(r_j − min_j)·(255/range_j)⌋ clamped to [0, 255], decoded as min_j + (c_j + ½)·range_j/255, so
/// q·x ≈ q·c + Σ q_j·min_j + ½·Σ q_j·step_j + Σ (q_j·step_j)·c_j: query scaled by step_j, bias q·c + the constant.</item>
/// <item>PQ: m sub-codes of the residual (<see cref="ProductQuantizer"/>), scored by table look-ups
/// (<see cref="ProductCodeScanner"/>, or <see cref="FastScanCodeScanner"/> for 4-bit codes) rather than the panel
/// kernel; bias q·c. 4-bit codes without "r" (FAISS's default for them) quantize the vector itself: no bias.</item>
/// </list>
/// </summary>
internal sealed class IvfCodec
{
    private readonly float[] _min;
    private readonly float[] _range;
    private readonly float[] _scale;

    /// <exception cref="ArgumentException">PQ with a number of sub-quantizers that does not divide <paramref name="dimension"/>.</exception>
    public IvfCodec(IvfStorage storage, int dimension, float[]? min = null, float[]? range = null, int subQuantizers = 0, float[]? codebooks = null, int codeBits = 8, bool residual = true)
    {
        Storage = storage;
        Dimension = dimension;
        _min = min ?? new float[storage == IvfStorage.SQ8 ? dimension : 0];
        _range = range ?? new float[storage == IvfStorage.SQ8 ? dimension : 0];
        _scale = new float[_range.Length];
        UpdateScale();
        if (storage == IvfStorage.PQ) Product = new ProductQuantizer(dimension, subQuantizers, codebooks, codeBits);
        ByResidual = storage != IvfStorage.Flat && residual;
        _origin = ByResidual ? [] : new float[dimension];
    }

    public IvfStorage Storage { get; }

    public int Dimension { get; }

    public int ElementBytes => Storage switch { IvfStorage.Flat => 4, IvfStorage.FP16 => 2, _ => 1 };

    /// <summary>Elements per stored vector, the panels' "dimension": d, or PQ's code bytes (m, or ⌈m/2⌉ nibble pairs).</summary>
    public int CodeWidth => Product?.CodeBytes ?? Dimension;

    public int CodeBytes => ElementBytes * CodeWidth;

    /// <summary>The product quantizer (PQ only; null otherwise).</summary>
    public ProductQuantizer? Product { get; }

    /// <summary>PQ codebooks (empty for other storages).</summary>
    public ReadOnlySpan<float> Codebooks => Product is null ? [] : Product.Codebooks;

    /// <summary>A codec with the same trained parameters, for a shard.</summary>
    public IvfCodec Copy() => new(Storage, Dimension, _min.ToArray(), _range.ToArray(), Product?.SubQuantizers ?? 0, Product?.Codebooks.ToArray(), Product?.Bits ?? 8, ByResidual);

    /// <summary>Whether vectors are stored relative to their list's centroid (so scores get q·c added).</summary>
    public bool ByResidual { get; }

    /// <summary>The zero vector PQ codes are taken relative to when they are not residuals.</summary>
    private readonly float[] _origin;

    /// <summary>Per-dimension minimum and range (SQ8 only; empty otherwise).</summary>
    public ReadOnlySpan<float> Min => _min;

    public ReadOnlySpan<float> Range => _range;

    /// <summary>Learns the SQ8 per-dimension ranges or the PQ codebooks from residuals (or, for PQ that is not by residual, the vectors; n × d, row-major); other storages learn nothing.</summary>
    public void Train(ReadOnlySpan<float> residuals, ulong seed, int threads, CancellationToken ct = default)
    {
        Product?.Train(residuals, seed, threads, ct);
        if (Storage != IvfStorage.SQ8) return;
        int d = Dimension, n = residuals.Length / d;
        var hi = new float[d];
        if (n == 0) return;
        residuals[..d].CopyTo(_min);
        residuals[..d].CopyTo(hi);
        for (int i = 1; i < n; i++)
        {
            var row = residuals.Slice(i * d, d);
            TensorPrimitives.Min(_min, row, _min);
            TensorPrimitives.Max(hi, row, hi);
        }
        TensorPrimitives.Subtract(hi, _min, _range);
        UpdateScale();
    }

    /// <summary>Codes per unit of each dimension (0 for a constant dimension), so encoding multiplies instead of divides.</summary>
    private void UpdateScale()
    {
        for (int j = 0; j < _range.Length; j++) _scale[j] = _range[j] > 0 ? 255f / _range[j] : 0;
    }

    /// <summary>Writes the row-major code of <paramref name="vector"/> (in list <paramref name="centroid"/>) to <paramref name="code"/>.</summary>
    public void Encode(ReadOnlySpan<float> vector, ReadOnlySpan<float> centroid, Span<byte> code)
    {
        int d = Dimension;
        switch (Storage)
        {
            case IvfStorage.Flat:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector).CopyTo(code);
                break;
            case IvfStorage.FP16:
                var halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(code);
                for (int j = 0; j < d; j++) halves[j] = (Half)Math.Clamp(vector[j] - centroid[j], -65504f, 65504f);
                break;
            case IvfStorage.PQ:
                Product!.Encode(vector, ByResidual ? centroid : _origin, code);
                break;
            default:
                for (int j = 0; j < d; j++) code[j] = (byte)Math.Clamp((int)((vector[j] - centroid[j] - _min[j]) * _scale[j]), 0, 255);
                break;
        }
    }

    /// <summary>Writes the prepared query the panel kernel multiplies with stored elements, and returns the constant part of the bias (not PQ: it scores by tables).</summary>
    public float PrepareQuery(ReadOnlySpan<float> query, Span<float> prepared)
    {
        int d = Dimension;
        switch (Storage)
        {
            case IvfStorage.Flat:
                query.CopyTo(prepared);
                return 0;
            case IvfStorage.FP16:
                for (int j = 0; j < d; j++) prepared[j] = query[j] * Fp16PanelCodec.QueryScale;
                return 0;
            default:
                float constant = 0;
                for (int j = 0; j < d; j++)
                {
                    float step = _range[j] / 255f;
                    prepared[j] = query[j] * step;
                    constant = MathF.FusedMultiplyAdd(query[j], _min[j] + 0.5f * step, constant);
                }
                return constant;
        }
    }
}
