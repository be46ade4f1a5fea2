namespace NExtLong.Output.Mds;

/// <summary>
/// The columns ProLong's trainer reads (training/dataset.py), as datatools' pack writes them:
/// <c>domain</c> str, <c>indices</c> ndarray:uint32 [n, 2] document spans tiling the sequence, <c>input_ids</c>
/// ndarray:uint32, <c>length</c> int (the number of ids).
/// </summary>
internal static class ProLongLayout
{
    public static readonly IReadOnlyList<MdsColumn> Columns =
    [
        new("domain", MdsEncoding.Str),
        new("indices", MdsEncoding.NDArrayUInt32),
        new("input_ids", MdsEncoding.NDArrayUInt32),
        new("length", MdsEncoding.Int),
    ];

    /// <summary>Writes one training sequence; <paramref name="documents"/> must tile [0, ids) with no gap.</summary>
    public static void Write(MdsWriter writer, ReadOnlySpan<int> inputIds, ReadOnlySpan<TokenRange> documents, string domain)
    {
        int at = 0;
        foreach (var d in documents)
        {
            if (d.Start != at || d.End <= d.Start)
                throw new ArgumentException($"document spans must tile the sequence: [{d.Start}, {d.End}) follows {at}", nameof(documents));
            at = d.End;
        }
        if (at != inputIds.Length)
            throw new ArgumentException($"document spans end at {at}, the sequence has {inputIds.Length} ids", nameof(documents));
        writer.Write(writer.NewSample()
            .String(writer.Column("domain"), domain)
            .Spans(writer.Column("indices"), documents)
            .Tokens(writer.Column("input_ids"), inputIds)
            .Int(writer.Column("length"), inputIds.Length));
    }
}
