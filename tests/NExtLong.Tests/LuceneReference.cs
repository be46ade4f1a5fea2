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
/// Lucene.Net 4.8 as the reference BM25 engine, for the tests (ids and scores checked against ours) and the
/// benchmark (speed and size measured against ours); bench/NExtLong.Bench compiles this same file. The chunks'
/// terms exactly as <see cref="Bm25Analyzer"/> makes them (fed through a Tokenizer, so both engines index identical
/// terms), BM25Similarity with the same k1 and b at index and search time, one segment whose doc ids are the chunk
/// ids (an order-preserving merge policy), and a query as SHOULD TermQuery clauses in our query-term order: the
/// query MoreLikeThis builds.
/// </summary>
internal sealed class LuceneReference : IDisposable
{
    private const string Field = "body";
    private readonly Lucene.Net.Store.Directory _directory;
    private readonly DirectoryReader _reader;
    private readonly IndexSearcher _searcher;

    /// <param name="directory">Where the index goes (a <see cref="RAMDirectory"/>, or an <see cref="FSDirectory"/> to measure its size); disposed with this.</param>
    public LuceneReference(Lucene.Net.Store.Directory directory, IEnumerable<string> chunks, Bm25Settings settings)
    {
        _directory = directory;
        var config = new IndexWriterConfig(LuceneVersion.LUCENE_48, new TermsAnalyzer(settings))
        {
            Similarity = new BM25Similarity(settings.K1, settings.B),
            OpenMode = OpenMode.CREATE,
            RAMBufferSizeMB = 256,
            MergePolicy = new LogByteSizeMergePolicy(),
        };
        using (var writer = new IndexWriter(_directory, config))
        {
            // One document reused: the benchmark times this loop.
            var field = new TextField(Field, "", Lucene.Net.Documents.Field.Store.NO);
            var doc = new Document { field };
            foreach (string chunk in chunks)
            {
                field.SetStringValue(chunk);
                writer.AddDocument(doc);
            }
            writer.ForceMerge(1);
            writer.Commit();
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

    // Emits exactly the terms Bm25Analyzer gives for the field's text.
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
