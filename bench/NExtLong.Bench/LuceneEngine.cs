using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using NExtLong.Retrieval;

namespace NExtLong.Bench;

/// <summary>
/// Lucene.Net 4.8 over the same chunks as our lexical index: our analyzer's terms fed through a Tokenizer (so both
/// engines index identical terms), BM25Similarity with the same k1 and b at index and search time, one segment whose
/// doc ids are the chunk ids (an order-preserving merge policy), and queries as BooleanQuery of SHOULD TermQuery
/// clauses in our query-term order — the query MoreLikeThis builds.
/// </summary>
internal sealed class LuceneEngine : IDisposable
{
    public const string Field = "body";
    private readonly FSDirectory _directory;
    private readonly DirectoryReader _reader;

    public LuceneEngine(string dir, IReadOnlyList<string> chunks, Bm25Settings settings)
    {
        _directory = FSDirectory.Open(dir);
        var config = new IndexWriterConfig(LuceneVersion.LUCENE_48, new TermsAnalyzer(settings))
        {
            Similarity = new BM25Similarity(settings.K1, settings.B),
            OpenMode = OpenMode.CREATE,
            RAMBufferSizeMB = 256,
            MergePolicy = new LogByteSizeMergePolicy(),
        };
        using (var writer = new IndexWriter(_directory, config))
        {
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
        Searcher = new IndexSearcher(_reader) { Similarity = new BM25Similarity(settings.K1, settings.B) };
    }

    public IndexSearcher Searcher { get; }

    public long Bytes => System.IO.Directory.EnumerateFiles(_directory.Directory.FullName).Sum(f => new FileInfo(f).Length);

    public TopDocs Search(IReadOnlyList<string> terms, int k)
    {
        var query = new BooleanQuery();
        foreach (string t in terms) query.Add(new TermQuery(new Term(Field, t)), Occur.SHOULD);
        return Searcher.Search(query, k);
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
