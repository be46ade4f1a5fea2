using System.Runtime.InteropServices;

namespace NExtLong.Tokenization;

/// <summary>
/// Finds the longest prefix of a text that encodes, on its own, to exactly T tokens. BPE of a prefix is not the
/// prefix of the BPE (a cut word re-tokenizes), so candidates are always verified by encoding the prefix itself.
/// </summary>
/// <remarks>
/// <para>Let F(c) = token count of text[..c]. The search brackets a cut c with F(c) ≤ T &lt; F(c + one scalar);
/// that is the result when F(c) = T. Otherwise F jumped over T there, and the longest exact cut within
/// <see cref="JumpWindow"/> scalars either side is taken (F is not monotone), or <see cref="TruncationStatus.NoExactCut"/>.</para>
/// <para>Cost. With the regex pre-tokenizers this class knows (cl100k_base, o200k_base, Llama 3), F splits at
/// <em>stable boundaries</em> S: F(c) = F(S) + count(text[S..c]) for every c ≥ S (see <see cref="IsStableBoundary"/>).
/// The text is then counted once, piece by piece up to the piece holding the cut, and the cut is searched by
/// encoding only the few characters after the last stable boundary before it: about one encoding pass of the
/// prefix in all. Other tokenizers (SentencePiece: its normalizer and Viterbi see the whole text) evaluate F on the
/// whole prefix, O(log distance) times around the library's own estimate.</para>
/// </remarks>
internal static class ExactTruncation
{
    /// <summary>Characters per counted piece: large enough that per-call overhead vanishes, small enough to re-encode.</summary>
    private const int PieceChars = 4096;

    /// <summary>Scalars examined on each side of a jump over the target for an exact cut nearby.</summary>
    private const int JumpWindow = 16;

    /// <summary>Bound on F evaluations in one search: galloping and bisection need about 2·log2(distance), a jump 2·JumpWindow more.</summary>
    private const int MaxEvaluations = 200;

    /// <param name="encoder">The encoder to count with, used by this call alone.</param>
    /// <param name="stableBoundaries">
    /// Whether its pre-tokenizer has stable boundaries (<see cref="IsStableBoundary"/>): then the text is counted piece by piece.
    /// </param>
    /// <param name="text">The text to cut.</param>
    /// <param name="target">The token count T wanted; at least 1.</param>
    /// <param name="ids">Empty, or room for <paramref name="target"/> ids: on an Exact cut, the prefix's ids.</param>
    public static TruncatedText Find(ITokenEncoder encoder, bool stableBoundaries, ReadOnlySpan<char> text, int target, Span<int> ids)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(target);
        if (stableBoundaries)
            return FindByPieces(encoder, text, target, ids);
        var cut = FindOnWholePrefix(encoder, text, target);
        if (cut.IsExact && !ids.IsEmpty)
            CopyIds(encoder.EncodeToIds(text[..cut.Length]), ids, target, whole: true);
        return cut;
    }

    /// <summary>
    /// True if no pre-token of the cl100k_base/Llama 3 or o200k_base regexes can span position
    /// <paramref name="s"/>, and the regex run on text[..s] sees text[s] only as a "stop", exactly as it sees the end.
    /// </summary>
    /// <remarks>
    /// Why it holds: text[s-1] is a letter or decimal digit, so the pre-token containing it is a letter run (with
    /// its optional leading non-letter), a contraction ('s …) or a 1–3 digit run; each ends at the first character
    /// that is not a letter, mark or digit and reads no further. text[s] is whitespace, punctuation or a symbol, but
    /// not the apostrophe that o200k's letter runs may absorb ('s …). A whitespace run cannot reach text[s-1], so
    /// the lookahead (?!\S) and cl100k's `$` never look across s. The regexes have no lookbehind or start anchor,
    /// so matching text[s..c] alone equals matching it inside text[..c]. Special tokens are never split out
    /// (TargetTokenizer encodes them as plain text), and BPE runs per pre-token.
    /// </remarks>
    public static bool IsStableBoundary(ReadOnlySpan<char> text, int s)
    {
        if (s <= 0 || s >= text.Length || !char.IsLetterOrDigit(text[s - 1]))
            return false;
        char c = text[s];
        return c != '\'' && (char.IsWhiteSpace(c) || char.IsPunctuation(c) || char.IsSymbol(c));
    }

    /// <summary>
    /// True where two pieces of an assembled text are joined so that neither side's pre-tokens reach across:
    /// <see cref="IsStableBoundary"/>, or a line break at <paramref name="s"/> − 1 (the end of the default separator
    /// "\n\n") followed by a character that is neither White_Space nor '/'. Then the ids of text[..c] are those of
    /// text[..s] followed by those of text[s..c] for every c ≥ s, for cl100k_base, o200k_base and Llama 3 alike.
    /// </summary>
    /// <remarks>
    /// Why the line-break case holds: every alternative of the three regexes that can take \r or \n takes it either
    /// in a whitespace run (\s++$, \s*[\r\n]+, \s+(?!\S), \s+), which ends at the first non-White_Space character
    /// and, holding a break, ends at its last break whether or not the text ends there; or as a trailing [\r\n]* of a
    /// punctuation run (o200k: [\r\n/]*), which ends at the first other character. The optional character before a
    /// letter run excludes \r and \n. So the pre-token holding text[s − 1] ends at s both in text[..s] alone and in
    /// the whole text, and matching restarts at s with nothing behind it looked at (no lookbehind, no start anchor).
    /// </remarks>
    public static bool IsJoinBoundary(ReadOnlySpan<char> text, int s)
    {
        if (IsStableBoundary(text, s))
            return true;
        if (s <= 0 || s >= text.Length || text[s - 1] is not ('\r' or '\n'))
            return false;
        char c = text[s];
        return c != '/' && !char.IsWhiteSpace(c);
    }

    /// <summary>
    /// True where the ids of the <em>whole</em> <paramref name="text"/> are those of text[..s] followed by those of
    /// text[s..], though a prefix that ends in the whitespace right after s may not split so: a join boundary
    /// (<see cref="IsJoinBoundary"/>), or a line break at s − 1 followed by whitespace without a line break and then,
    /// still inside the text, a character that is not whitespace (a chunk that starts with a space).
    /// </summary>
    /// <remarks>
    /// Why it holds: the pre-token holding text[s − 1] is a whitespace run's line-break alternative or a punctuation
    /// run's trailing breaks (see <see cref="IsJoinBoundary"/>); in the whole text its whitespace run goes on past s
    /// but holds no break there, so the break alternative (tried before \s+(?!\S) and \s+) ends after the last break,
    /// at s, and a punctuation run's [\r\n]* (o200k: [\r\n/]*) stops at the whitespace; in text[..s] alone \s++$ or the
    /// same run ends there too. Matching restarts at s on the same characters to the end (no lookbehind). A prefix
    /// that ends inside that whitespace ends with a whitespace run that \s++$ takes across s, so only whole texts split.
    /// </remarks>
    public static bool SplitsWholeText(ReadOnlySpan<char> text, int s)
    {
        if (IsJoinBoundary(text, s))
            return true;
        // Not whitespace at s: only IsJoinBoundary's case (o200k's punctuation run takes a '/' across).
        if (s <= 0 || s >= text.Length || text[s - 1] is not ('\r' or '\n') || !char.IsWhiteSpace(text[s]))
            return false;
        for (int j = s; j < text.Length; j++)
        {
            if (text[j] is '\r' or '\n') return false;
            if (!char.IsWhiteSpace(text[j])) return true;
        }
        return false;
    }

    /// <remarks>
    /// With <paramref name="ids"/>, pieces are encoded to ids instead of counted (the same pass). They add up like
    /// the counts: no pre-token spans a stable boundary and BPE runs per pre-token, so the ids of text[..c] are those
    /// of text[..S] followed by those of text[S..c]. The cut's ids are then the pieces before it, the prefix of its
    /// piece's ids up to the anchor (a stable boundary at or before the cut), and the few chars from there encoded.
    /// </remarks>
    private static TruncatedText FindByPieces(ITokenEncoder encoder, ReadOnlySpan<char> text, int target, Span<int> ids)
    {
        bool collect = !ids.IsEmpty;
        IReadOnlyList<int> pieceIds = [];
        int pos = 0, before = 0, end, pieceTokens;
        while (true)
        {
            end = pos + PieceChars >= text.Length ? text.Length : NextStableBoundary(text, pos + PieceChars);
            if (collect)
            {
                pieceIds = end > pos ? encoder.EncodeToIds(text[pos..end]) : [];
                pieceTokens = pieceIds.Count;
            }
            else
            {
                pieceTokens = Count(encoder, text[pos..end]);
            }
            if (before + pieceTokens >= target || end == text.Length)
                break;
            if (collect)
                CopyIds(pieceIds, ids[before..], pieceTokens, whole: true);
            before += pieceTokens;
            pos = end;
        }
        int atEnd = before + pieceTokens;
        if (atEnd < target)
            return new TruncatedText(TruncationStatus.TextTooShort, text.Length, atEnd);
        if (atEnd == target)  // end is the text end or stable, so one more scalar adds at least one token
        {
            if (collect)
                CopyIds(pieceIds, ids[before..], pieceTokens, whole: true);
            return new TruncatedText(TruncationStatus.Exact, end, target);
        }

        // The cut lies inside the piece. Ask the encoder where the piece's own encoding reaches the remaining
        // budget, then restart counting at the last stable boundary before that, so each probe is short.
        ReadOnlySpan<char> piece = text[pos..end];
        int candidate = pos + encoder.IndexByTokenCount(piece, target - before, out _, out _);
        int anchor = candidate;
        while (anchor > pos && !IsStableBoundary(text, anchor))
            anchor--;
        int anchorTokens = before + Count(encoder, text[pos..anchor]);
        double charsPerToken = (double)(end - pos) / Math.Max(1, pieceTokens);
        var cut = Search(encoder, text, anchor, anchorTokens, candidate, target, charsPerToken);
        if (collect && cut.IsExact)
        {
            // The search never goes below the anchor (every probe is clamped to it).
            CopyIds(pieceIds, ids[before..], anchorTokens - before, whole: false);
            CopyIds(cut.Length > anchor ? encoder.EncodeToIds(text[anchor..cut.Length]) : [], ids[anchorTokens..], target - anchorTokens, whole: true);
        }
        return cut;
    }

    /// <summary>
    /// Copies the first <paramref name="count"/> ids of <paramref name="source"/> (all of them if <paramref name="whole"/>).
    /// The count was measured by counting, so a mismatch would break the additivity the ids rely on: checked.
    /// </summary>
    private static void CopyIds(IReadOnlyList<int> source, Span<int> destination, int count, bool whole)
    {
        if (whole ? source.Count != count : source.Count < count)
            throw new InvalidOperationException($"token ids do not add up at a stable boundary: {source.Count} where {count} were counted");
        ReadOnlySpan<int> ids = source switch
        {
            List<int> list => CollectionsMarshal.AsSpan(list),
            int[] array => array,
            _ => [.. source],
        };
        ids[..count].CopyTo(destination);
    }

    private static TruncatedText FindOnWholePrefix(ITokenEncoder encoder, ReadOnlySpan<char> text, int target)
    {
        int index = encoder.IndexByTokenCount(text, target, out string? normalized, out int tokens);
        int encodedLength = normalized?.Length ?? text.Length;
        if (index >= encodedLength)  // the whole text fits, so `tokens` is its count
        {
            return tokens < target
                ? new TruncatedText(TruncationStatus.TextTooShort, text.Length, tokens)
                : new TruncatedText(TruncationStatus.Exact, text.Length, tokens);
        }
        // With a normalizer the index counts normalized characters; scaled, it is still a close first probe.
        int candidate = normalized is null ? index : (int)((long)index * text.Length / encodedLength);
        double charsPerToken = (double)Math.Max(1, candidate) / Math.Max(1, tokens);
        return Search(encoder, text, 0, 0, candidate, target, charsPerToken);
    }

    /// <summary>
    /// Brackets the cut between lo (F ≤ T) and hi (F &gt; T) by galloping from <paramref name="candidate"/>, then
    /// bisects down to adjacent scalar values. F(c) = anchorTokens + count(text[anchor..c]) for c ≥ anchor.
    /// </summary>
    private static TruncatedText Search(
        ITokenEncoder encoder, ReadOnlySpan<char> text, int anchor, int anchorTokens, int candidate, int target, double charsPerToken)
    {
        int evaluations = 0;
        int F(ReadOnlySpan<char> t, int c)
        {
            if (++evaluations > MaxEvaluations)
                throw new InvalidOperationException($"exact truncation did not converge within {MaxEvaluations} token counts");
            return c == anchor ? anchorTokens : anchorTokens + Count(encoder, t[anchor..c]);
        }
        int Chars(double tokens) => Math.Max(1, (int)(tokens * charsPerToken));

        int lo, loTokens, hi, hiTokens;
        int start = ScalarStart(text, Math.Clamp(candidate, anchor, text.Length));
        int startTokens = F(text, start);
        if (startTokens > target)
        {
            // Back off, doubling the step; F(anchor) ≤ target ends this at the anchor at the latest.
            (hi, hiTokens) = (start, startTokens);
            for (int step = Chars(startTokens - target + 0.5); ; step *= 2)
            {
                int probe = ScalarStart(text, Math.Max(anchor, hi - step));
                int probeTokens = F(text, probe);
                if (probeTokens <= target)
                {
                    (lo, loTokens) = (probe, probeTokens);
                    break;
                }
                (hi, hiTokens) = (probe, probeTokens);
            }
        }
        else
        {
            // Go forward, doubling the stride; the first probe aims about one token short of the target.
            (lo, loTokens) = (start, startTokens);
            for (int stride = Chars(target - startTokens - 0.5); ; stride *= 2)
            {
                if (lo == text.Length)
                {
                    return new TruncatedText(
                        loTokens == target ? TruncationStatus.Exact : TruncationStatus.TextTooShort, lo, loTokens);
                }
                int probe = Advance(text, lo, stride);
                int probeTokens = F(text, probe);
                if (probeTokens > target)
                {
                    (hi, hiTokens) = (probe, probeTokens);
                    break;
                }
                (lo, loTokens) = (probe, probeTokens);
            }
        }

        // Bisect until hi is lo plus one scalar value.
        while (true)
        {
            int mid = ScalarStart(text, lo + (hi - lo) / 2);
            if (mid <= lo)
                mid = Advance(text, lo, 1);
            if (mid >= hi)
                break;
            int midTokens = F(text, mid);
            if (midTokens > target)
                (hi, hiTokens) = (mid, midTokens);
            else
                (lo, loTokens) = (mid, midTokens);
        }
        if (loTokens == target)
            return new TruncatedText(TruncationStatus.Exact, lo, loTokens);

        // F jumped over the target. F is not monotone (a SentencePiece word start costs "▁" + a piece until the
        // word completes; BPE re-merges), so an exact cut may still lie a few scalars away: take the longest one.
        int from = lo, to = Advance(text, hi, JumpWindow);
        for (int i = 0; i < JumpWindow && from > anchor; i++)
            from = ScalarStart(text, from - 1);
        int best = -1, c = from, cTokens = c == lo ? loTokens : F(text, c);
        while (c < to)
        {
            int next = Advance(text, c, 1);
            int nextTokens = next == lo ? loTokens : next == hi ? hiTokens : F(text, next);
            if (cTokens == target && nextTokens > target)
                best = c;
            (c, cTokens) = (next, nextTokens);
        }
        if (c == text.Length && cTokens == target)
            best = c;
        return best >= 0
            ? new TruncatedText(TruncationStatus.Exact, best, target)
            : new TruncatedText(TruncationStatus.NoExactCut, lo, loTokens);
    }

    private static int NextStableBoundary(ReadOnlySpan<char> text, int from)
    {
        for (int s = from; s < text.Length; s++)
        {
            if (IsStableBoundary(text, s))
                return s;
        }
        return text.Length;
    }

    private static int Count(ITokenEncoder encoder, ReadOnlySpan<char> text) =>
        text.IsEmpty ? 0 : encoder.CountTokens(text);

    /// <summary>Moves <paramref name="index"/> back off the low half of a surrogate pair.</summary>
    private static int ScalarStart(ReadOnlySpan<char> text, int index) =>
        index > 0 && index < text.Length && char.IsLowSurrogate(text[index]) && char.IsHighSurrogate(text[index - 1])
            ? index - 1
            : index;

    /// <summary>The index <paramref name="scalars"/> scalar values after <paramref name="index"/>, capped at the end.</summary>
    private static int Advance(ReadOnlySpan<char> text, int index, int scalars)
    {
        if (scalars >= text.Length - index)
            return text.Length;
        return index + TextLength.Utf16IndexOf(text[index..], scalars);
    }
}
