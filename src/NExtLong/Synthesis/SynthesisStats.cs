namespace NExtLong.Synthesis;

/// <summary>What a synthesis run did, written as stats.json: counts, drops and why, E, k, similarities, token shares.</summary>
public sealed class SynthesisStats
{
    /// <summary>Bins of <see cref="SimilarityHistogram"/>: 40 of width 0.05 over [-1, 1].</summary>
    public const int SimilarityBins = 40;

    /// <summary>Long documents written, each exactly T tokens.</summary>
    public int DocumentsWritten { get; set; }

    /// <summary>Meta-document candidates synthesized and accepted or dropped, in candidate order, until every quota was met.</summary>
    public int CandidatesTried { get; set; }

    /// <summary>Candidates passed over because their source already had its quota of documents.</summary>
    public int CandidatesSkippedSourceFull { get; set; }

    /// <summary>Candidates for which no document could be made, by reason.</summary>
    public Dictionary<DropReason, int> Dropped { get; set; } = [];

    /// <summary>E, the target tokenizer's characters per token, measured once per run on index chunks (Appendix C.1).</summary>
    public double EncodingRateCharsPerToken { get; set; }

    /// <summary>Characters (Unicode scalar values) of the chunks E was measured on.</summary>
    public long EncodingRateSampleChars { get; set; }

    /// <summary>Tokens those chunks encode to.</summary>
    public long EncodingRateSampleTokens { get; set; }

    /// <summary>Sum of k over the documents written (NExtLong: hard negatives per meta-chunk; baselines: documents after the anchor), for the mean.</summary>
    public long KSum { get; set; }

    /// <summary>Smallest k of a document written; <see cref="int.MaxValue"/> while none is.</summary>
    public int KMin { get; set; } = int.MaxValue;

    /// <summary>Largest k of a document written; 0 while none is.</summary>
    public int KMax { get; set; }

    /// <summary>Attempts beyond the first over the documents written (<see cref="SynthesisOptions.MaxAttempts"/>).</summary>
    public long Retries { get; set; }

    /// <summary>Meta-chunk spans in the documents written (a baseline's anchor document counts as one).</summary>
    public long MetaChunks { get; set; }

    /// <summary>Negative spans in the documents written (a baseline's documents after its anchor).</summary>
    public long Negatives { get; set; }

    /// <summary>Retrieved chunks skipped as copies of their meta-chunk by <see cref="SynthesisOptions.NearDuplicateThreshold"/> (also in <see cref="FalseNegativesSkipped"/>).</summary>
    public long NearDuplicatesSkipped { get; set; }


    /// <summary>Candidates skipped as false negatives, by reason (<see cref="FalseNegativeCounts.ByReason"/>).</summary>
    public SortedDictionary<string, long> FalseNegativesSkipped { get; set; } = new(StringComparer.Ordinal)
    {
        ["near_duplicate_cosine"] = 0,
        ["shingle_containment"] = 0,
        ["shingle_jaccard"] = 0,
    };

    /// <summary>Tokens of the documents written: <see cref="DocumentsWritten"/>·T.</summary>
    public long TokensTotal { get; set; }

    /// <summary>Tokens of meta-chunk spans (a baseline's anchors) after the cut to T.</summary>
    public long TokensMeta { get; set; }

    /// <summary>Tokens of negative spans after the cut to T.</summary>
    public long TokensNegative { get; set; }

    /// <summary>Sum of the negatives' scores against their meta-chunk (<see cref="DocumentSpan.Similarity"/>: a cosine for dense retrieval; 0 for a span without one), for the mean.</summary>
    public double SimilaritySum { get; set; }

    /// <summary>Lowest negative score; +∞ while there is no negative.</summary>
    public float SimilarityMin { get; set; } = float.PositiveInfinity;

    /// <summary>Highest negative score; −∞ while there is no negative.</summary>
    public float SimilarityMax { get; set; } = float.NegativeInfinity;

    /// <summary>Negatives' similarity to their meta-chunk, in bins of 0.05 over [-1, 1].</summary>
    public long[] SimilarityHistogram { get; set; } = new long[SimilarityBins];

    /// <summary>Documents written per meta-document source (by source name).</summary>
    public Dictionary<string, int> DocumentsPerSource { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Counts one candidate dropped for <paramref name="reason"/>.</summary>
    public void Drop(DropReason reason) => Dropped[reason] = Dropped.GetValueOrDefault(reason) + 1;

    /// <summary>Counts one document written: its source, k, retries, skipped false negatives, and its spans' tokens and similarities.</summary>
    public void Add(SynthesizedDocument doc)
    {
        DocumentsWritten++;
        DocumentsPerSource[doc.MetaDocumentSource] = DocumentsPerSource.GetValueOrDefault(doc.MetaDocumentSource) + 1;
        KSum += doc.K;
        KMin = Math.Min(KMin, doc.K);
        KMax = Math.Max(KMax, doc.K);
        Retries += doc.Attempts - 1;
        NearDuplicatesSkipped += doc.NearDuplicatesSkipped;
        foreach (var (reason, count) in doc.FalseNegativesSkipped.ByReason())
            FalseNegativesSkipped[reason] = FalseNegativesSkipped.GetValueOrDefault(reason) + count;
        TokensTotal += doc.TokenCount;
        foreach (var s in doc.Spans)
        {
            int tokens = s.TokenEnd - s.TokenStart;
            // A baseline's anchor document stands where NExtLong's meta-chunks do.
            if (s.Role == SpanRole.Meta || (s.Role == SpanRole.Document && s.Rank == 0))
            {
                MetaChunks++;
                TokensMeta += tokens;
                continue;
            }
            Negatives++;
            TokensNegative += tokens;
            float sim = s.Similarity ?? 0;
            SimilaritySum += sim;
            SimilarityMin = Math.Min(SimilarityMin, sim);
            SimilarityMax = Math.Max(SimilarityMax, sim);
            int bin = (int)Math.Floor((Math.Clamp(sim, -1f, 1f) + 1f) / 2f * SimilarityBins);
            SimilarityHistogram[Math.Min(bin, SimilarityBins - 1)]++;
        }
    }

    /// <summary>
    /// How stats are saved in a checkpoint (progress.json, a writer's resume state): similarity stats start at ±∞ (no
    /// similarity seen yet), which plain JSON numbers cannot hold.
    /// </summary>
    internal static readonly System.Text.Json.JsonSerializerOptions CheckpointJson = JsonContracts.Make(new System.Text.Json.JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });

    /// <summary>Drop counts by each reason's stable JSON name, in ordinal order of the names: stats.json's and unit stats' form.</summary>
    internal static SortedDictionary<string, int> DroppedByName(IReadOnlyDictionary<DropReason, int> dropped)
        => new(dropped.ToDictionary(d => JsonContracts.Plain.Serialize(d.Key).Trim('"'), d => d.Value), StringComparer.Ordinal);

    /// <summary>The stats as a JSON-ready tree with stable key order.</summary>
    public Dictionary<string, object?> ToJson() => new()
    {
        ["documents_written"] = DocumentsWritten,
        ["documents_per_source"] = new SortedDictionary<string, int>(DocumentsPerSource, StringComparer.Ordinal),
        ["candidates_tried"] = CandidatesTried,
        ["candidates_skipped_source_full"] = CandidatesSkippedSourceFull,
        ["dropped"] = DroppedByName(Dropped),
        ["encoding_rate"] = new Dictionary<string, object>
        {
            ["chars_per_token"] = Math.Round(EncodingRateCharsPerToken, 6),
            ["sample_chars"] = EncodingRateSampleChars,
            ["sample_tokens"] = EncodingRateSampleTokens,
        },
        ["k"] = new Dictionary<string, object>
        {
            ["mean"] = DocumentsWritten == 0 ? 0 : Math.Round((double)KSum / DocumentsWritten, 4),
            ["min"] = DocumentsWritten == 0 ? 0 : KMin,
            ["max"] = KMax,
        },
        ["retries"] = Retries,
        ["meta_chunks"] = MetaChunks,
        ["negatives"] = Negatives,
        ["near_duplicates_skipped"] = NearDuplicatesSkipped,
        ["false_negatives_skipped"] = new SortedDictionary<string, long>(FalseNegativesSkipped, StringComparer.Ordinal),
        ["tokens"] = new Dictionary<string, object>
        {
            ["total"] = TokensTotal,
            ["meta"] = TokensMeta,
            ["negative"] = TokensNegative,
            ["meta_share"] = TokensTotal == 0 ? 0 : Math.Round((double)TokensMeta / TokensTotal, 6),
        },
        ["similarity"] = new Dictionary<string, object>
        {
            ["mean"] = Negatives == 0 ? 0 : Math.Round(SimilaritySum / Negatives, 6),
            ["min"] = Negatives == 0 ? 0 : Math.Round(SimilarityMin, 6),
            ["max"] = Negatives == 0 ? 0 : Math.Round(SimilarityMax, 6),
            ["histogram_bin_width"] = 2.0 / SimilarityBins,
            ["histogram_from"] = -1.0,
            ["histogram"] = SimilarityHistogram,
        },
    };
}
