using NExtLong.Corpus;
using NExtLong.Index;
using NExtLong.Synthesis;

namespace NExtLong.Pipeline;

/// <summary>
/// Meta-documents chosen and read from the index instead of the corpus. Choosing them by seeded id hashes
/// (<see cref="MetaDocumentSampler"/>) needs only ids, which the index holds; reading the chosen ones needs their
/// prepared text, which the index holds as chunks and the gaps between them (<see cref="ChunkIndex.PreparedText"/>).
/// So a run over a corpus the index was built from decompresses and parses none of it: only the dozens of documents
/// it keeps are rebuilt. The documents, their order and the read report are the ones reading the files would give.
/// </summary>
internal static class IndexedMetaDocuments
{
    /// <summary>
    /// For each source, the index source that holds exactly what reading it would give, or −1: the same name, files
    /// (path and size; their content is compared by the run's freshness check before any candidate is used) and
    /// fields, an index that keeps its documents' texts and skipped no record while it read them (so every read
    /// policy gives the same documents and an empty skip report).
    /// </summary>
    public static int[] Servers(ChunkIndex index, IReadOnlyList<CorpusSource> sources, IReadOnlyList<IndexedSource> described)
    {
        var manifest = index.Manifest;
        var servers = new int[sources.Count];
        Array.Fill(servers, -1);
        if (!index.HoldsDocumentTexts || manifest.SkippedRecords != 0 || manifest.Fields is not { } fields || fields.Count != manifest.Sources.Count)
            return servers;
        for (int i = 0; i < sources.Count; i++)
            for (int j = 0; j < manifest.Sources.Count; j++)
            {
                var indexed = manifest.Sources[j];
                if (indexed.Name == sources[i].Name && fields[j] == new IndexedFields(sources[i].TextField, sources[i].IdField)
                    && indexed.Files.Select(f => (f.Path, f.Bytes)).SequenceEqual(described[i].Files.Select(f => (f.Path, f.Bytes))))
                    servers[i] = j;
            }
        return servers;
    }

    /// <summary>
    /// Offers source <paramref name="source"/>'s documents, held by index source <paramref name="server"/>, to
    /// <paramref name="sampler"/> and returns what reading each of <paramref name="files"/> (the source's files as
    /// given, in order) would report. Documents are offered without text (see <see cref="WithTexts"/>), and made only
    /// when the sampler might keep them.
    /// </summary>
    public static CorpusReadReport.Snapshot[] Offer(ChunkIndex index, int server, int source, IReadOnlyList<string> files, MetaDocumentSampler sampler,
        Dictionary<CorpusDocument, int> offered, Action<long>? progress, CancellationToken ct)
    {
        int firstFile = index.Manifest.Sources.Take(server).Sum(s => s.Files.Count);
        var read = new long[files.Count];
        string name = index.Manifest.Sources[server].Name;
        for (int doc = 0; doc < index.DocumentCount; doc++)
        {
            if ((doc & 0xFFFF) == 0)
            {
                ct.ThrowIfCancellationRequested();
                progress?.Invoke(doc);
            }
            if (index.DocumentSourceIndex(doc) != server) continue;
            var (inputFile, record) = index.Origin(doc);
            int file = inputFile - firstFile;
            if ((uint)file >= (uint)files.Count)
                throw new InvalidDataException($"{index.Directory}: document {doc} names input file {inputFile}, not one of source {name}'s");
            read[file]++;
            if (!sampler.MightKeep(source, sampler.KeyOf(index.IdUtf8(doc)))) continue;
            var document = new CorpusDocument(index.Document(doc).Id, "", name, CorpusReader.LocationOf(files[file], record)) { Record = record };
            offered.Add(document, doc);
            sampler.Offer(document, source);
        }
        return [.. files.Select((path, f) => new CorpusReadReport.Snapshot([new CorpusReadReport.FileSnapshot(path, read[f], [])], []))];
    }

    /// <summary>The candidates with the texts of those offered by <see cref="Offer"/> rebuilt from the index; the others as they are.</summary>
    public static List<MetaDocumentSampler.Candidate> WithTexts(ChunkIndex index, List<MetaDocumentSampler.Candidate> candidates, Dictionary<CorpusDocument, int> offered)
        => [.. candidates.Select(c => offered.TryGetValue(c.Document, out int doc) ? c with { Document = c.Document with { Text = index.PreparedText(doc) } } : c)];
}
