using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using NExtLong.Retrieval;

namespace NExtLong.Tests;

/// <summary>
/// Lucene.Net 4.8 as the reference BM25 engine: the chunks' terms exactly as <see cref="Bm25Analyzer"/> makes them,
/// BM25Similarity at index and search time, one segment in chunk order, and a query as SHOULD TermQuery clauses.
/// </summary>
internal sealed class LuceneReference : IDisposable
{
    private const string Field = "body";
    private readonly RAMDirectory _directory = new();
    private readonly DirectoryReader _reader;
    private readonly IndexSearcher _searcher;

    public LuceneReference(IEnumerable<string> chunks, Bm25Settings settings)
    {
        var config = new IndexWriterConfig(LuceneVersion.LUCENE_48, new TermsAnalyzer(settings))
        {
            Similarity = new BM25Similarity(settings.K1, settings.B),
            MergePolicy = new LogByteSizeMergePolicy(),
        };
        using (var writer = new IndexWriter(_directory, config))
        {
            foreach (string chunk in chunks) writer.AddDocument(new Document { new TextField(Field, chunk, Lucene.Net.Documents.Field.Store.NO) });
            writer.ForceMerge(1);
        }
        _reader = DirectoryReader.Open(_directory);
        _searcher = new IndexSearcher(_reader) { Similarity = new BM25Similarity(settings.K1, settings.B) };
    }

    public ScoreDoc[] Search(IEnumerable<string> terms, int k)
    {
        var query = new BooleanQuery();
        foreach (string t in terms) query.Add(new TermQuery(new Term(Field, t)), Occur.SHOULD);
        return _searcher.Search(query, k).ScoreDocs;
    }

    public void Dispose()
    {
        _reader.Dispose();
        _directory.Dispose();
    }

    private sealed class TermsAnalyzer(Bm25Settings settings) : Analyzer
    {
        protected override TokenStreamComponents CreateComponents(string fieldName, TextReader reader)
            => new(new TermsTokenizer(reader, new Bm25Analyzer(settings)));
    }

    private sealed class TermsTokenizer : Tokenizer
    {
        private readonly Bm25Analyzer _analyzer;
        private readonly ICharTermAttribute _term;
        private readonly char[] _buffer = new char[Bm25Analyzer.MaxTermChars + 2];
        private string _text = "";
        private int _position;

        public TermsTokenizer(TextReader input, Bm25Analyzer analyzer) : base(input)
        {
            _analyzer = analyzer;
            _term = AddAttribute<ICharTermAttribute>();
        }

        public override bool IncrementToken()
        {
            ClearAttributes();
            int length = _analyzer.Next(_text, ref _position, _buffer);
            if (length < 0) return false;
            _term.CopyBuffer(_buffer, 0, length);
            return true;
        }

        public override void Reset()
        {
            base.Reset();
            _text = m_input.ReadToEnd();
            _position = 0;
        }
    }
}
