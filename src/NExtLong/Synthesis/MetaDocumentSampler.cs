using System.IO.Hashing;
using System.Text;
using NExtLong.Corpus;

namespace NExtLong.Synthesis;

/// <summary>
/// Picks meta-documents from a stream without holding the corpus: every document gets a key hashed from the
/// seed and its id, and each source keeps the documents with the smallest keys — a uniform random sample that
/// does not depend on reading order. Each source keeps twice its quota (plus a margin) so that documents
/// dropped during synthesis are replaced by the next ones in key order.
/// </summary>
public sealed class MetaDocumentSampler
{
    private readonly ulong _seed;
    private readonly int[] _quotas;
    private readonly PriorityQueue<Candidate, ulong>[] _kept;

    /// <summary>A sampler keeping, for source i, the <see cref="CandidatesFor"/>(<paramref name="quotas"/>[i]) documents of smallest key.</summary>
    /// <param name="seed">The run's seed, hashed with each id into the document's key.</param>
    /// <param name="quotas">Long documents wanted from each source, in source order; 0 takes nothing from that source.</param>
    public MetaDocumentSampler(ulong seed, IReadOnlyList<int> quotas)
    {
        _seed = seed;
        _quotas = [.. quotas];
        _kept = new PriorityQueue<Candidate, ulong>[quotas.Count];
        for (int i = 0; i < _kept.Length; i++)
            _kept[i] = new PriorityQueue<Candidate, ulong>(Comparer<ulong>.Create((a, b) => b.CompareTo(a)));
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
    public static ulong KeyOf(ulong seed, string id) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(id), (long)seed);

    /// <summary>Considers one document of source <paramref name="sourceIndex"/>: kept if its key is among the source's smallest so far.</summary>
    public void Offer(CorpusDocument document, int sourceIndex)
    {
        int capacity = CandidatesFor(_quotas[sourceIndex]);
        if (capacity == 0) return;
        ulong key = KeyOf(document.Id);
        var kept = _kept[sourceIndex];
        if (kept.Count < capacity) kept.Enqueue(new Candidate(document, sourceIndex, key), key);
        else if (kept.TryPeek(out _, out var worstKey) && key < worstKey)
            kept.EnqueueDequeue(new Candidate(document, sourceIndex, key), key);
    }

    /// <summary>All kept candidates of every source, ordered by key (then id), which is the order synthesis tries them in.</summary>
    public List<Candidate> Candidates()
    {
        var all = _kept.SelectMany(q => q.UnorderedItems.Select(x => x.Element)).ToList();
        all.Sort((a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : string.CompareOrdinal(a.Document.Id, b.Document.Id));
        return all;
    }
}
