// NExtLong as a library: an index over a corpus on disk, then long documents made from meta-documents held in
// memory, with the public API alone (no CLI, no internals).
//   dotnet run --project samples/LibraryUsage -- CORPUS.jsonl[.gz] WORK_DIR
using NExtLong.Corpus;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Retrieval;
using NExtLong.Synthesis;
using NExtLong.Tokenization;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: LibraryUsage CORPUS WORK_DIR");
    return 2;
}
string corpus = args[0], indexDir = Path.Combine(args[1], "index");

// 1. The index of corpus chunks the hard negatives come from (BM25: no embedder needed).
IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = indexDir, Retriever = RetrieverKind.Bm25 });

// 2. Meta-documents from anywhere: here, two held in memory.
CorpusDocument[] metaDocuments =
[
    new("memo-1", "Long-context models need long documents.\n\nNExtLong makes them from short ones by interleaving "
        + "each meta-chunk with hard negatives retrieved from a corpus, so the model must find the thread again.", "memory", "memory#1"),
    new("memo-2", "A changelog entry.\n\nFixed a crash when the index folder was missing; the error now names the folder.", "memory", "memory#2"),
];

// 3. One synthesizer, E measured once, then one call per document.
using var index = ChunkIndex.Open(indexDir);
var options = new SynthesisOptions { TargetTokens = 2048 };
var tokenizer = TargetTokenizer.Load("cl100k_base");
using var synthesizer = new Synthesizer(index, embedder: null, tokenizer, options);
var context = synthesizer.MeasureContext();
int made = 0;
foreach (var document in metaDocuments)
{
    var outcome = synthesizer.Synthesize(document, context);
    if (outcome.Document is not { } long_)
    {
        Console.WriteLine($"{document.Id}: dropped ({outcome.DropReason})");
        continue;
    }
    int negatives = long_.Spans.Count(s => s.Role == SpanRole.Negative);
    Console.WriteLine($"{document.Id}: {long_.TokenCount} tokens, k = {long_.K}, {negatives} negatives, {long_.Text.Length} chars");
    made++;
}
return made == metaDocuments.Length ? 0 : 1;
