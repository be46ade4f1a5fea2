using System.Buffers;
using System.IO.Hashing;
using System.Text;
using NExtLong.Corpus;

namespace NExtLong.Synthesis;

/// <summary>
/// Picks meta-documents from a stream without holding the corpus: every document gets a key hashed from the
/// seed and its id, and each source keeps the documents with the smallest keys — a uniform random sample. Ties (a
/// corpus may repeat an id) are broken by the document's location, so the documents kept and their order depend only
/// on the documents offered, never on the order they come in: files may be read in parallel, offering from several
/// threads at once. Each source keeps twice its quota (plus a margin) so that documents dropped during synthesis are
/// replaced by the next ones in key order.
/// </summary>
public sealed class MetaDocumentSampler
{
    private readonly ulong _seed;
    private readonly int[] _quotas;
    private readonly PriorityQueue<Candidate, Candidate>[] _kept;

    /// <summary>A sampler keeping, for source i, the <see cref="CandidatesFor"/>(<paramref name="quotas"/>[i]) documents of smallest key.</summary>
    /// <param name="seed">The run's seed, hashed with each id into the document's key.</param>
    /// <param name="quotas">Long documents wanted from each source, in source order; 0 takes nothing from that source.</param>
    public MetaDocumentSampler(ulong seed, IReadOnlyList<int> quotas)
    {
        _seed = seed;
        _quotas = [.. quotas];
        _kept = new PriorityQueue<Candidate, Candidate>[quotas.Count];
        // The worst kept candidate first: the one a better document replaces.
        var worstFirst = Comparer<Candidate>.Create((a, b) => Compare(b, a));
        for (int i = 0; i < _kept.Length; i++) _kept[i] = new PriorityQueue<Candidate, Candidate>(worstFirst);
    }

    /// <summary>A meta-document in line for synthesis, in the order given by its key.</summary>
    /// <param name="Document">The meta-document, held in memory.</param>
    /// <param name="SourceIndex">The index of its source in the run's sources.</param>
    /// <param name="Key">Its key from the seed and its id (<see cref="KeyOf(ulong, string)"/>); smaller keys are tried first.</param>
    public sealed record Candidate(CorpusDocument Document, int SourceIndex, ulong Key);

    /// <summary>Candidates kept for a quota: twice the quota plus 8, so dropped documents have replacements; 0 for a quota of 0.</summary>
    public static int CandidatesFor(int quota) => quota == 0 ? 0 : 2 * quota + 8;

    /// <summary>The key a document with this id gets under this sampler's seed (see <see cref="KeyOf(ulong, string)"/>).</summary>
    public ulong KeyOf(string id) => KeyOf(_seed, id);

    /// <summary>The key a document with this id gets under <paramref name="seed"/>: candidates are tried in its order.</summary>
    public static ulong KeyOf(ulong seed, string id)
    {
        int max = Encoding.UTF8.GetMaxByteCount(id.Length);
        byte[]? rented = max > 1024 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> bytes = rented ?? stackalloc byte[1024];
        ulong key = XxHash64.HashToUInt64(bytes[..Encoding.UTF8.GetBytes(id, bytes)], (long)seed);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return key;
    }

    /// <summary>The key of a document whose id has these UTF-8 bytes (as <see cref="KeyOf(string)"/>), for ids read in place.</summary>
    public ulong KeyOf(ReadOnlySpan<byte> utf8Id) => XxHash64.HashToUInt64(utf8Id, (long)_seed);

    /// <summary>
    /// False when a document of this key would surely not be kept for source <paramref name="sourceIndex"/> now: its
    /// candidates are full and every one has a smaller key. A caller that makes documents only when this is true (and
    /// then offers them) keeps exactly what offering every document would.
    /// </summary>
    public bool MightKeep(int sourceIndex, ulong key)
    {
        int capacity = CandidatesFor(_quotas[sourceIndex]);
        if (capacity == 0) return false;
        var kept = _kept[sourceIndex];
        lock (kept) return kept.Count < capacity || (kept.TryPeek(out var worst, out _) && key <= worst.Key);
    }

    /// <summary>
    /// Considers one document of source <paramref name="sourceIndex"/>: kept if it is among the source's smallest
    /// (key, id, location) so far. Safe to call from several threads.
    /// </summary>
    public void Offer(CorpusDocument document, int sourceIndex)
    {
        int capacity = CandidatesFor(_quotas[sourceIndex]);
        if (capacity == 0) return;
        ulong key = KeyOf(document.Id);
        var kept = _kept[sourceIndex];
        lock (kept)
        {
            if (kept.Count < capacity)
            {
                var candidate = new Candidate(document, sourceIndex, key);
                kept.Enqueue(candidate, candidate);
            }
            else if (kept.TryPeek(out var worst, out _) && Compare(key, document, worst) < 0)
            {
                var candidate = new Candidate(document, sourceIndex, key);
                kept.EnqueueDequeue(candidate, candidate);
            }
        }
    }

    /// <summary>All kept candidates of every source, in the order synthesis tries them: by key, then id, then location.</summary>
    public List<Candidate> Candidates()
    {
        var all = _kept.SelectMany(q => q.UnorderedItems.Select(x => x.Element)).ToList();
        all.Sort(Compare);
        return all;
    }

    // A total order: a location names one record of a source.
    private static int Compare(Candidate a, Candidate b)
    {
        int c = Compare(a.Key, a.Document, b);
        return c != 0 ? c : a.SourceIndex.CompareTo(b.SourceIndex);
    }

    private static int Compare(ulong key, CorpusDocument document, Candidate other)
    {
        int c = key.CompareTo(other.Key);
        if (c == 0) c = string.CompareOrdinal(document.Id, other.Document.Id);
        if (c == 0) c = string.CompareOrdinal(document.Location, other.Document.Location);
        return c;
    }
}
