using NExtLong.Pipeline;
using NExtLong.Report;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

public class ReportTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private string Dataset(string name, SynthesisOptions options)
    {
        string dir = Path.Combine(sample.Root, name);
        SynthesisStage.Run(new SynthesisStage.Options { IndexDir = sample.IndexDir, Inputs = [SampleIndexFixture.SamplePath], OutDir = dir, Overwrite = true, Synthesis = options });
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
        Assert.Throws<FileNotFoundException>(() => ReportBuilder.Build([Path.Combine(sample.Root, "nothing-here")]));
    }

    [Fact]
    [Trait("Tier", "slow")]
    public async Task Report_renders_in_headless_chromium_and_the_viewer_unfolds_negatives()
    {
        if (!File.Exists(HeadlessChromium.Binary))
        {
            // CI installs Chromium and sets this, so there the test can only pass by really running.
            Assert.False(Environment.GetEnvironmentVariable("NEXTLONG_REQUIRE_BROWSER") == "1", "Chromium is required but not installed");
            Assert.Skip("Debian chromium is not installed (apt-get install chromium)");
        }
        string a = Dataset("report-topk", new SynthesisOptions { TargetTokens = 4096, NumSamples = 3 });
        string b = Dataset("report-knn", new SynthesisOptions { TargetTokens = 4096, NumSamples = 3, Method = SynthesisMethod.Knn });
        string path = Path.Combine(sample.Root, "report.html");
        ReportBuilder.Write([a, b], path);

        await using var browser = await HeadlessChromium.Open(new Uri(path).AbsoluteUri);
        await browser.WaitFor("document.body && document.body.hasAttribute('data-rendered')", TimeSpan.FromSeconds(30));
        // Every chart drew bars, and at least one bar of each has height.
        int charts = (await browser.Evaluate("document.querySelectorAll('svg.chart-svg').length")).GetInt32();
        Assert.True(charts >= 10, $"only {charts} charts rendered");
        Assert.True((await browser.Evaluate("[...document.querySelectorAll('svg.chart-svg')].every(s => [...s.querySelectorAll('rect.bar')].some(r => +r.getAttribute('height') > 0))")).GetBoolean());
        Assert.Equal(2, (await browser.Evaluate("document.querySelectorAll('#overview tr').length - 1")).GetInt32());

        // The viewer shows a NExtLong sample: meta-chunks highlighted, negatives folded until clicked.
        Assert.True((await browser.Evaluate("document.querySelectorAll('#viewer .piece.meta').length")).GetInt32() > 0);
        Assert.Equal(0, (await browser.Evaluate("document.querySelector('#viewer .negatives').offsetHeight")).GetInt32());
        await browser.Click("#viewer button.fold");
        await browser.WaitFor("document.querySelector('#viewer .negatives').offsetHeight > 0", TimeSpan.FromSeconds(5));
        Assert.StartsWith("▾", (await browser.Evaluate("document.querySelector('#viewer button.fold').textContent")).GetString());
        await browser.Click("#viewer button.fold");
        await browser.WaitFor("document.querySelector('#viewer .negatives').offsetHeight === 0", TimeSpan.FromSeconds(5));

        // Switching to a baseline sample shows whole documents instead.
        int options = (await browser.Evaluate("document.querySelectorAll('#sample-select option').length")).GetInt32();
        Assert.Equal(4, options);
        await browser.Evaluate("(() => { const s = document.getElementById('sample-select'); s.value = '3'; s.dispatchEvent(new Event('change')); })()");
        await browser.WaitFor("document.querySelectorAll('#viewer .piece.document').length > 1 && !document.querySelector('#viewer .piece.meta')", TimeSpan.FromSeconds(5));

        await browser.Evaluate("window.scrollTo(0, 0)");
        var png = await browser.Screenshot();
        Assert.True(png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
        string shot = Path.Combine(AppContext.BaseDirectory, "report-screenshot.png");
        await File.WriteAllBytesAsync(shot, png);
        Assert.True(png.Length > 20_000, "the screenshot is nearly empty");
    }
}
