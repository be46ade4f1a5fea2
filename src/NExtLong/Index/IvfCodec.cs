namespace NExtLong.Index;

/// <summary>
/// Encodes vectors for an IVF list and prepares queries so that the panel kernel's plain inner product of the
/// prepared query with the stored elements, plus a per-(query, list) bias, is the score.
/// <list type="bullet">
/// <item>Flat: the vector itself; query unchanged; no bias (scores are exactly those of <see cref="FlatIndex"/>).</item>
/// <item>FP16: the residual r = x − c as IEEE half; query scaled by 2^112 (see <see cref="Fp16PanelCodec"/>); bias q·c.</item>
/// <item>SQ8: residual code c_j = ⌊255·(r_j − min_j)/range_j⌋, decoded as min_j + (c_j + ½)·range_j/255, so
/// q·x ≈ q·c + Σ q_j·min_j + ½·Σ q_j·step_j + Σ (q_j·step_j)·c_j: query scaled by step_j, bias q·c + the constant.</item>
/// </list>
/// </summary>
internal sealed class IvfCodec
{
    private readonly float[] _min;
    private readonly float[] _range;

    public IvfCodec(IvfStorage storage, int dimension, float[]? min = null, float[]? range = null)
    {
        Storage = storage;
        Dimension = dimension;
        _min = min ?? new float[storage == IvfStorage.SQ8 ? dimension : 0];
        _range = range ?? new float[storage == IvfStorage.SQ8 ? dimension : 0];
    }

    public IvfStorage Storage { get; }

    public int Dimension { get; }

    public int ElementBytes => Storage switch { IvfStorage.Flat => 4, IvfStorage.FP16 => 2, _ => 1 };

    public int CodeBytes => ElementBytes * Dimension;

    /// <summary>Whether vectors are stored relative to their list's centroid (so scores get q·c added).</summary>
    public bool ByResidual => Storage != IvfStorage.Flat;

    /// <summary>Per-dimension minimum and range (SQ8 only; empty otherwise).</summary>
    public ReadOnlySpan<float> Min => _min;

    public ReadOnlySpan<float> Range => _range;

    /// <summary>Learns the SQ8 per-dimension ranges from residuals (n × d, row-major); other storages learn nothing.</summary>
    public void Train(ReadOnlySpan<float> residuals)
    {
        if (Storage != IvfStorage.SQ8) return;
        int d = Dimension, n = residuals.Length / d;
        for (int j = 0; j < d; j++)
        {
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                float v = residuals[i * d + j];
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }
            if (n == 0) lo = hi = 0;
            _min[j] = lo;
            _range[j] = hi - lo;
        }
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
            default:
                for (int j = 0; j < d; j++)
                {
                    float x = _range[j] > 0 ? (vector[j] - centroid[j] - _min[j]) / _range[j] : 0;
                    code[j] = (byte)Math.Clamp((int)(x * 255f), 0, 255);
                }
                break;
        }
    }

    /// <summary>Writes the prepared query the kernel multiplies with stored elements, and returns the constant part of the bias.</summary>
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
