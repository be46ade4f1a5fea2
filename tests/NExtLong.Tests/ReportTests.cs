using System.Text.Json;
using System.Text.Json.Nodes;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Report;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

public class ReportTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private string Dataset(string name, SynthesisOptions options)
    {
        string dir = Path.Combine(sample.Root, name);
        SynthesisStage.Run(new SynthesisStage.Options { IndexDir = sample.IndexDir, Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] }, OutDir = dir, Synthesis = options, Execution = new() { Overwrite = true } });
        return dir;
    }

    [Fact]
    public void Report_embeds_every_dataset_and_escapes_its_text()
    {
        string a = Dataset("report-a", new SynthesisOptions { TargetTokens = 4096, NumSamples = 3 });
        string html = ReportBuilder.Build([a], samplesPerDataset: 1);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("\"name\":\"report-a\"", html);
        // Document text may hold "</script>"; the embedded JSON must never close its element early.
        int data = html.IndexOf("id=\"report-data\">", StringComparison.Ordinal);
        int end = html.IndexOf("</script>", data, StringComparison.Ordinal);
        Assert.DoesNotContain("<", html[(data + "id=\"report-data\">".Length)..end]);
        // Self-contained: the plotting library is inlined, nothing is fetched.
        Assert.DoesNotContain("<script src", html);
        Assert.DoesNotContain("/*@", html);
        Assert.Contains("vegaEmbed", html);
        Assert.Throws<FileNotFoundException>(() => ReportBuilder.Build([Path.Combine(sample.Root, "nothing-here")]));
    }

    [Fact]
    public void Json_measures_add_up_against_the_dataset()
    {
        string a = Dataset("report-json", new SynthesisOptions { TargetTokens = 4096, NumSamples = 4 });
        var d = JsonNode.Parse(ReportBuilder.BuildJson([a, a]))!["datasets"]!.AsArray();
        Assert.Equal(["report-json", "report-json-2"], d.Select(x => x!["name"]!.GetValue<string>()));
        var m = d[0]!;
        var stats = JsonNode.Parse(File.ReadAllText(Path.Combine(a, "stats.json")))!;
        Assert.Equal(4, m["documents"]!.GetValue<int>());
        Assert.Equal(stats["meta_chunks"]!.GetValue<long>(), m["coverage"]!["metaChunksKept"]!.GetValue<long>());
        Assert.True(m["coverage"]!["metaChunksKept"]!.GetValue<long>() <= m["coverage"]!["metaChunksTotal"]!.GetValue<long>());
        Assert.Equal(stats["negatives"]!.GetValue<long>(), m["similarity"]!["negatives"]!.GetValue<long>());
        Assert.Equal(stats["negatives"]!.GetValue<long>(), m["similarity"]!["byRank"]!.AsArray().Sum(r => r!["count"]!.GetValue<long>()));
        Assert.Equal(4 * 4096L, m["sources"]!.AsArray().Sum(s => s!["metaTokens"]!.GetValue<long>() + s["negativeTokens"]!.GetValue<long>()));
        Assert.Equal(4, m["exactT"]!["exact"]!.GetValue<long>());
        Assert.Equal("glove", m["retriever"]!["embedder"]!.GetValue<string>());
        Assert.Equal("dense", m["retriever"]!["kind"]!.GetValue<string>());
        // A dense dataset's similarity is the cosine itself: no second copy.
        Assert.Null(m["denseCosine"]);
        // The guard's skips by reason, as synthesis counted them.
        var byReason = stats["false_negatives_skipped"]!.AsObject();
        Assert.Equal(3, byReason.Count);
        Assert.Equal(byReason.ToJsonString(), m["falseNegatives"]!["skippedByReason"]!.ToJsonString());
        Assert.Equal(0.5, m["falseNegatives"]!["guardThreshold"]!.GetValue<double>());
        var checks = m["checks"]!.AsArray().ToDictionary(c => c!["check"]!.GetValue<string>(), c => c!["status"]!.GetValue<string>());
        Assert.Equal(["tokenizer vs recipe model", "false-negative rate", "meta-chunk coverage", "dropped candidates", "exact T"], checks.Keys);
        // A cl100k_base dataset's recipe assumes no model, so there is nothing to compare yet.
        Assert.Equal("n/a", checks["tokenizer vs recipe model"]);
        Assert.Equal("ok", checks["exact T"]);
        // Once the recipe names a Llama 3 model for cl100k_base ids, the panel warns.
        string recipe = Path.Combine(a, "train-prolong.sh");
        File.WriteAllText(recipe, File.ReadAllText(recipe).Replace("MODEL=${MODEL:-}", "MODEL=${MODEL:-meta-llama/Meta-Llama-3-8B}"));
        var warned = JsonNode.Parse(ReportBuilder.BuildJson([a]))!["datasets"]![0]!["checks"]!.AsArray()
            .ToDictionary(c => c!["check"]!.GetValue<string>(), c => c!["status"]!.GetValue<string>());
        Assert.Equal("warning", warned["tokenizer vs recipe model"]);
    }

    [Fact]
    public void A_bm25_dataset_says_so_with_its_lexical_settings_and_the_spread_of_its_scores()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 1, documentsPerFile: 120);
        string index = Path.Combine(root, "index"), dir = Path.Combine(root, "bm25");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = index, Retriever = NExtLong.Retrieval.RetrieverKind.Bm25 });
        SynthesisStage.Run(new SynthesisStage.Options { IndexDir = index, Corpus = new() { Inputs = [corpus] }, OutDir = dir, Synthesis = new SynthesisOptions { TargetTokens = 4096, NumSamples = 2 } });
        var m = JsonNode.Parse(ReportBuilder.BuildJson([dir]))!["datasets"]![0]!;
        var retriever = m["retriever"]!;
        Assert.Equal("bm25", retriever["kind"]!.GetValue<string>());
        Assert.Equal("none", retriever["embedder"]!.GetValue<string>());
        Assert.Equal(new NExtLong.Retrieval.Bm25Settings().K1, retriever["lexical"]!["k1"]!.GetValue<double>(), 6);
        Assert.NotNull(retriever["lexical"]!["analyzer"]);
        // BM25 scores are not cosines: unbounded, tens wide. The histogram and the percentiles per rank must span them,
        // not fold them into a cosine's [-1, 1].
        var stats = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "stats.json")))!;
        var similarity = m["similarity"]!;
        Assert.Equal("bm25", similarity["scoreKind"]!.GetValue<string>());
        Assert.Equal(stats["negatives"]!.GetValue<long>(), similarity["histogram"]!.AsArray().Sum(b => b!["count"]!.GetValue<long>()));
        Assert.True(similarity["histogram"]!.AsArray().Count > 10, "BM25 scores fell into a handful of bins");
        foreach (var rank in similarity["byRank"]!.AsArray())
        {
            double min = rank!["min"]!.GetValue<double>(), max = rank["max"]!.GetValue<double>(), width = similarity["binWidth"]!.GetValue<double>();
            Assert.True(min > 1, $"rank {rank["rank"]}: a BM25 score of {min}");
            foreach (var p in new[] { "p10", "p50", "p90" })
                Assert.InRange(rank[p]!.GetValue<double>(), min - width, max + width);
        }
        Assert.True(similarity["byRank"]![0]!["p50"]!.GetValue<double>() > similarity["byRank"]!.AsArray()[^1]!["p50"]!.GetValue<double>());
    }

    [Fact]
    public void A_bm25_dataset_from_a_hybrid_index_reports_the_dense_cosine_of_its_negatives_by_rank()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 1, documentsPerFile: 120);
        string index = Path.Combine(root, "index"), dir = Path.Combine(root, "bm25-hybrid");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = index, Retriever = NExtLong.Retrieval.RetrieverKind.Hybrid });
        SynthesisStage.Run(new SynthesisStage.Options { IndexDir = index, Corpus = new() { Inputs = [corpus] }, OutDir = dir,
            Synthesis = new SynthesisOptions { TargetTokens = 4096, NumSamples = 2, Retriever = NExtLong.Retrieval.RetrieverKind.Bm25 } });
        var m = JsonNode.Parse(ReportBuilder.BuildJson([dir]))!["datasets"]![0]!;
        Assert.Equal("bm25", m["similarity"]!["scoreKind"]!.GetValue<string>());
        Assert.Equal("hybrid", m["retriever"]!["indexRetriever"]!.GetValue<string>());
        // The index holds vectors: every negative also has its embedding cosine, per rank as for the BM25 scores.
        var cosine = m["denseCosine"]!;
        long negatives = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "stats.json")))!["negatives"]!.GetValue<long>();
        Assert.Equal("cosine", cosine["scoreKind"]!.GetValue<string>());
        Assert.Equal(negatives, cosine["negatives"]!.GetValue<long>());
        Assert.Equal(m["similarity"]!["byRank"]!.AsArray().Select(r => r!["rank"]!.GetValue<int>()), cosine["byRank"]!.AsArray().Select(r => r!["rank"]!.GetValue<int>()));
        foreach (var rank in cosine["byRank"]!.AsArray())
            Assert.InRange(rank!["mean"]!.GetValue<double>(), -1.0, 1.0);
        // Each recorded cosine is the dot product of the index's vectors of the negative and of its meta-chunk.
        var doc = DatasetReader.ReadDocuments(dir)[0];
        using var opened = ChunkIndex.Open(index);
        var own = opened.Document(opened.FindDocuments(doc.GetProperty("meta_document").GetProperty("id").GetString()!).First());
        float[] meta = new float[opened.Manifest.Dimension], negative = new float[opened.Manifest.Dimension];
        int checkedSpans = 0;
        foreach (var span in doc.GetProperty("spans").EnumerateArray().Where(s => s.GetProperty("role").GetString() == "negative"))
        {
            opened.ReadVector(own.FirstChunk + span.GetProperty("meta_chunk").GetInt32(), meta);
            opened.ReadVector(span.GetProperty("chunk_id").GetInt64(), negative);
            Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot(meta, negative), span.GetProperty("cosine").GetDouble(), 5);
            checkedSpans++;
        }
        Assert.True(checkedSpans > 0);
    }

    [Fact]
    public void A_negative_that_copies_the_meta_document_is_a_false_negative()
    {
        static HashSet<ulong> Grams(string text) { var set = new HashSet<ulong>(); WordShingles.Add(text, set); return set; }
        var meta = Grams("The quick brown fox jumps over the lazy dog near the river bank today.");
        var stats = new FalseNegativeStats();
        stats.Add(meta, Grams("the QUICK brown fox, jumps over the lazy dog near the river!")); // a copy, case and punctuation aside
        stats.Add(meta, Grams("An entirely different sentence about retrieval and long context training."));
        stats.Add(meta, Grams("too short")); // no 5-gram: not comparable, not counted
        Assert.Equal(2, stats.Checked);
        Assert.Equal(1, stats.FalseNegatives);
    }

    [Fact]
    public void Cli_report_json_writes_the_measures_to_stdout()
    {
        string a = Dataset("report-cli", new SynthesisOptions { TargetTokens = 4096, NumSamples = 2 });
        var (code, stdout, stderr) = CliProcess.Run("report", a, "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal(JsonNode.Parse(ReportBuilder.BuildJson([a]))!.ToJsonString(), JsonNode.Parse(stdout)!.ToJsonString());
    }

    [Fact]
    [Trait("Tier", "slow")]
    public async Task Report_renders_in_headless_chromium_with_the_json_values_and_a_virtualised_viewer()
    {
        if (!File.Exists(HeadlessChromium.Binary))
        {
            // CI installs Chromium and sets this, so there the test can only pass by really running.
            Assert.False(Environment.GetEnvironmentVariable("NEXTLONG_REQUIRE_BROWSER") == "1", "Chromium is required but not installed");
            Assert.Skip("Debian chromium is not installed (apt-get install chromium)");
        }
        string a = Dataset("report-topk", new SynthesisOptions { TargetTokens = 4096, NumSamples = 3 });
        string b = Dataset("report-knn", new SynthesisOptions { TargetTokens = 4096, NumSamples = 3, Method = SynthesisMethod.Knn });
        // One 512K-token document: the viewer must stay light on thousands of spans.
        string c = Dataset("report-512k", new SynthesisOptions { TargetTokens = 524288, NumSamples = 1 });
        // A bm25 dataset from a hybrid index: BM25 scores and, from the index's vectors, cosines; each kind on its own charts.
        string root = TempDir.Create(), corpus = SplitSample.Create(root, files: 1, documentsPerFile: 120), hybrid = Path.Combine(root, "index"), e = Path.Combine(root, "report-bm25");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = hybrid, Retriever = NExtLong.Retrieval.RetrieverKind.Hybrid });
        SynthesisStage.Run(new SynthesisStage.Options { IndexDir = hybrid, Corpus = new() { Inputs = [corpus] }, OutDir = e,
            Synthesis = new SynthesisOptions { TargetTokens = 4096, NumSamples = 2, Retriever = NExtLong.Retrieval.RetrieverKind.Bm25 } });
        string path = Path.Combine(sample.Root, "report.html");
        ReportBuilder.Write([a, b, c, e], path, samplesPerDataset: 1);
        var json = JsonDocument.Parse(CliRun("report", a, b, c, e, "--json")).RootElement.GetProperty("datasets");

        await using var browser = await HeadlessChromium.Open(new Uri(path).AbsoluteUri);
        await browser.WaitFor("document.body && (document.body.hasAttribute('data-rendered') || document.body.hasAttribute('data-render-error'))", TimeSpan.FromSeconds(60));
        Assert.Equal("", (await browser.Evaluate("document.body.getAttribute('data-render-error') || ''")).GetString());

        // Every chart figure holds a Vega view with rows and drawn marks (or says why it has no data).
        var figures = (await browser.Evaluate("[...document.querySelectorAll('.charts figure')].map(f => [f.id, f.dataset.empty === 'true', report.views[f.id] ? report.views[f.id].data('table').length : 0, f.querySelectorAll('svg .mark-rect path, svg .mark-line path, svg .mark-symbol path, svg .mark-area path').length])"))
            .EnumerateArray().Select(f => (Id: f[0].GetString()!, Empty: f[1].GetBoolean(), Rows: f[2].GetInt32(), Marks: f[3].GetInt32())).ToList();
        Assert.True(figures.Count >= 12, $"only {figures.Count} charts");
        foreach (var f in figures)
            Assert.True(f.Empty || (f.Rows > 0 && f.Marks > 0), $"{f.Id}: {f.Rows} rows, {f.Marks} marks");
        Assert.DoesNotContain(figures, f => f.Empty && f.Id is "chart-coverage" or "chart-similarity-rank" or "chart-false-negatives" or "chart-exact-t");

        // Plotted values read back from the views equal report --json.
        async Task<double> Plotted(string chart, string dataset, string filter, string field)
            => (await browser.Evaluate($"report.views['{chart}'].data('table').filter(r => r.dataset === '{dataset}' && ({filter})).reduce((s, r) => s + r.{field}, 0)")).GetDouble();
        var topk = json[0];
        Assert.Equal(topk.GetProperty("coverage").GetProperty("metaChunksKept").GetInt64(), await Plotted("chart-coverage", "report-topk", "true", "metaChunksKept"));
        Assert.Equal(topk.GetProperty("coverage").GetProperty("metaChunksTotal").GetInt64(), await Plotted("chart-coverage", "report-topk", "true", "metaChunksTotal"));
        var rank1 = topk.GetProperty("similarity").GetProperty("byRank")[0];
        Assert.Equal(rank1.GetProperty("mean").GetDouble(), await Plotted("chart-similarity-rank", "report-topk", "r.rank === 1", "mean"), 9);
        Assert.Equal(topk.GetProperty("falseNegatives").GetProperty("falseNegatives").GetInt64(), await Plotted("chart-false-negatives", "report-topk", "r.reason.startsWith('false negative')", "count"));
        foreach (var reason in new[] { "shingle_jaccard", "shingle_containment" })
            Assert.Equal(topk.GetProperty("falseNegatives").GetProperty("skippedByReason").GetProperty(reason).GetInt64(), await Plotted("chart-false-negatives", "report-topk", $"r.key === '{reason}'", "count"));
        for (int i = 0; i < 4; i++)
        {
            string name = json[i].GetProperty("name").GetString()!;
            Assert.Equal(json[i].GetProperty("exactT").GetProperty("exact").GetInt64(), await Plotted("chart-exact-t", name, $"r.tokens === {json[i].GetProperty("targetTokens").GetInt64()}", "count"));
            // The cosine charts: a cosine dataset's similarity, the bm25 dataset's cosines by the index's vectors.
            var cosines = json[i].GetProperty("similarity").GetProperty("scoreKind").GetString() == "cosine" ? json[i].GetProperty("similarity") : json[i].GetProperty("denseCosine");
            Assert.Equal(cosines.GetProperty("negatives").GetInt64(), await Plotted("chart-similarity", name, "true", "count"));
            foreach (var rank in cosines.GetProperty("byRank").EnumerateArray())
                Assert.Equal(rank.GetProperty("mean").GetDouble(), await Plotted("chart-similarity-rank", name, $"r.rank === {rank.GetProperty("rank").GetInt32()}", "mean"), 9);
        }
        // Score kinds never share an axis: the BM25 charts hold the bm25 dataset alone, on a BM25 axis; the cosine charts only cosines.
        var bm25 = json[3].GetProperty("similarity");
        Assert.Equal("bm25", bm25.GetProperty("scoreKind").GetString());
        foreach (var id in new[] { "chart-bm25", "chart-bm25-rank" })
            Assert.Equal("report-bm25", (await browser.Evaluate($"[...new Set(report.views['{id}'].data('table').map(r => r.dataset))].join()")).GetString());
        Assert.Equal(bm25.GetProperty("negatives").GetInt64(), await Plotted("chart-bm25", "report-bm25", "true", "count"));
        Assert.Equal(bm25.GetProperty("byRank")[0].GetProperty("mean").GetDouble(), await Plotted("chart-bm25-rank", "report-bm25", "r.rank === 1", "mean"), 9);
        Assert.True((await browser.Evaluate("report.views['chart-bm25'].scale('x').domain()[1]")).GetDouble() > 1);
        Assert.InRange((await browser.Evaluate("Math.max(...report.views['chart-similarity'].scale('x').domain().map(Math.abs))")).GetDouble(), 0, 1);
        Assert.Equal("BM25 score", (await browser.Evaluate("[...document.querySelectorAll('#chart-bm25 .role-axis-title text')].map(t => t.textContent).find(t => t.startsWith('BM25')) ?? ''")).GetString());
        Assert.Equal(json.EnumerateArray().Sum(d => d.GetProperty("checks").GetArrayLength()), (await browser.Evaluate("document.querySelectorAll('#warnings tr').length - 1")).GetInt32());
        Assert.Equal(4, (await browser.Evaluate("document.querySelectorAll('#overview tr').length - 1")).GetInt32());
        // On a laptop screen (1280 px wide) the tables fit their sections: no column runs past the edge.
        foreach (var section in new[] { "#overview-section", "#warnings-section", "#retriever-section" })
            Assert.True((await browser.Evaluate($"document.querySelector('{section} table').getBoundingClientRect().width <= document.querySelector('{section}').clientWidth")).GetBoolean(), $"the {section} table is wider than its section");
        await Shot(browser, "#overview-section", "report-overview.png", "#warnings-section");
        await Shot(browser, "#coverage-section", "report-coverage.png");
        await Shot(browser, "#retriever-section", "report-scores.png");

        // The viewer: negatives folded until clicked.
        Assert.True((await browser.Evaluate("document.querySelectorAll('#viewer .piece.meta').length")).GetInt32() > 0);
        Assert.Equal(0, (await browser.Evaluate("document.querySelectorAll('#viewer .piece.negative').length")).GetInt32());
        await ScrollToFirstFold(browser);
        await browser.Click("#viewer button.fold");
        await browser.WaitFor("document.querySelectorAll('#viewer .piece.negative').length > 0", TimeSpan.FromSeconds(5));
        Assert.StartsWith("▾", (await browser.Evaluate("document.querySelector('#viewer button.fold').textContent")).GetString());
        // Each negative says its rank, similarity and source document.
        string label = (await browser.Evaluate("document.querySelector('#viewer .piece.negative .label').textContent")).GetString()!;
        Assert.Matches(@"^negative rank \d+ for meta-chunk \d+ · similarity -?\d\.\d{4} · .* · source [^:]+: \S", label);

        // Search by a negative's source document id: the match is that span, shown unfolded.
        string negativeId = (await browser.Evaluate("data.samples[0].spans.filter(s => s.role === 'negative').at(-1).document")).GetString()!;
        await browser.Evaluate($"(() => {{ const s = document.getElementById('search'); s.value = {JsonSerializer.Serialize(negativeId)}; s.dispatchEvent(new Event('input')); }})()");
        await browser.WaitFor("/^match 1 of/.test(document.getElementById('search-status').textContent)", TimeSpan.FromSeconds(5));
        await browser.WaitFor("document.querySelector('#viewer .piece.current')", TimeSpan.FromSeconds(5));
        Assert.Contains(negativeId, (await browser.Evaluate("document.querySelector('#viewer .piece.current .label').textContent")).GetString());
        await browser.Evaluate("document.getElementById('search').value = ''; report.viewer.search('')");

        // Search by text: a phrase from the 512K document's last meta-chunk selects that sample and shows the span, marked.
        await browser.Evaluate("(() => { const s = document.getElementById('sample-select'); s.value = '2'; s.dispatchEvent(new Event('change')); })()");
        await browser.Evaluate("(() => { const s = document.getElementById('sample-select'); s.value = '0'; s.dispatchEvent(new Event('change')); })()");
        int spans = (await browser.Evaluate("report.viewer.state.rows.length + data.samples[2].spans.length")).GetInt32();
        Assert.True(spans > 1000, $"the 512K document has only {spans} rows and spans");
        string phrase = (await browser.Evaluate("(() => { const t = data.samples[2].spans.filter(s => s.role === 'meta').at(-1).text; return t.substr(Math.floor(t.length / 2), 24); })()")).GetString()!;
        await browser.Evaluate($"(() => {{ const s = document.getElementById('search'); s.value = {JsonSerializer.Serialize(phrase)}; s.dispatchEvent(new Event('input')); }})()");
        await browser.WaitFor("/^match 1 of/.test(document.getElementById('search-status').textContent)", TimeSpan.FromSeconds(5));
        Assert.True((await browser.Evaluate("document.querySelectorAll('#viewer .piece.current mark').length")).GetInt32() > 0);
        int matches = (await browser.Evaluate("report.viewer.state.matches.length")).GetInt32();
        await browser.Click("#search-next");
        await browser.WaitFor($"document.getElementById('search-status').textContent.startsWith('match {(matches > 1 ? 2 : 1)} of')", TimeSpan.FromSeconds(5));

        // Jump: to the 512K document's last meta-chunk, then back one with the button; only spans near the view exist.
        await browser.Evaluate("document.getElementById('search').value = ''; report.viewer.search(''); report.viewer.showSample(2)");
        int last = (await browser.Evaluate("Math.max(...[...document.getElementById('meta-jump').options].map(o => +o.value))")).GetInt32();
        await browser.Evaluate($"(() => {{ const s = document.getElementById('meta-jump'); s.value = '{last}'; s.dispatchEvent(new Event('change')); }})()");
        const string inView = "(() => { const e = document.querySelector('#viewer .piece.current'), v = document.getElementById('viewer').getBoundingClientRect(); if (!e) return -1; const r = e.getBoundingClientRect(); return r.top >= v.top - 1 && r.top < v.bottom ? +e.dataset.metaChunk : -1; })()";
        await browser.WaitFor($"{inView} === {last}", TimeSpan.FromSeconds(5));
        Assert.True((await browser.Evaluate("document.querySelectorAll('#viewer .row').length")).GetInt32() < 60, "the viewer drew far more rows than fit in view");
        await browser.Click("#meta-prev");
        await browser.WaitFor($"{inView} === {last - 1}", TimeSpan.FromSeconds(5));
        await ScrollToFirstFold(browser);
        await browser.Click("#viewer button.fold");
        await browser.WaitFor("document.querySelectorAll('#viewer .piece.negative').length > 0", TimeSpan.FromSeconds(5));
        await Shot(browser, "#viewer-section", "report-viewer.png");

        // A bm25 dataset's spans carry BM25 scores, and the viewer calls them so, not similarities.
        await browser.Evaluate("report.viewer.showSample(3)");
        Assert.Equal("report-bm25", (await browser.Evaluate("data.samples[3].dataset")).GetString());
        await ScrollToFirstFold(browser);
        Assert.Contains("(BM25 score ", (await browser.Evaluate("document.querySelector('#viewer button.fold').textContent")).GetString());
        await browser.Click("#viewer button.fold");
        await browser.WaitFor("document.querySelectorAll('#viewer .piece.negative').length > 0", TimeSpan.FromSeconds(5));
        Assert.Matches(@"^negative rank \d+ for meta-chunk \d+ · BM25 score \d+\.\d{4} · cosine -?\d\.\d{4} · ",
            (await browser.Evaluate("document.querySelector('#viewer .piece.negative .label').textContent")).GetString()!);
    }

    // A long meta-chunk can fill the viewer, and rows out of view are not drawn: scroll the next fold button into it.
    private static async Task ScrollToFirstFold(HeadlessChromium browser)
    {
        await browser.Evaluate("(() => { const s = report.viewer.state, from = s.rows.findIndex(r => r.span === s.current), i = s.rows.findIndex((r, j) => r.group && j > from); viewer.scrollTop = s.offsets[i]; })()");
        await browser.WaitFor("document.querySelector('#viewer button.fold')", TimeSpan.FromSeconds(5));
    }

    private static string CliRun(params string[] args)
    {
        var (code, stdout, stderr) = CliProcess.Run(args);
        Assert.True(code == 0, stderr);
        return stdout;
    }

    // A PNG of one part of the page (from `from` to the end of `to`), for docs/REPORT.md: in the test output folder.
    private static async Task Shot(HeadlessChromium browser, string from, string file, string? to = null)
    {
        var box = await browser.Evaluate($"(() => {{ const a = document.querySelector('{from}').getBoundingClientRect(), b = document.querySelector('{to ?? from}').getBoundingClientRect(); return [a.x + scrollX, a.y + scrollY, Math.max(a.width, b.width), b.bottom - a.top]; }})()");
        // A margin each side: capturing beyond the viewport drops the scrollbar, and the centred page moves by half its width.
        const double margin = 12;
        var clip = new { x = box[0].GetDouble() - margin, y = box[1].GetDouble(), width = box[2].GetDouble() + 2 * margin, height = Math.Min(1600, box[3].GetDouble()), scale = 0.75 };
        var png = Convert.FromBase64String((await browser.Send("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true, clip })).GetProperty("data").GetString()!);
        Assert.True(png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
        Assert.True(png.Length > 10_000, $"{file} is nearly empty");
        string dir = Path.Combine(AppContext.BaseDirectory, "report-screenshots");
        Directory.CreateDirectory(dir);
        await File.WriteAllBytesAsync(Path.Combine(dir, file), png);
    }
}
