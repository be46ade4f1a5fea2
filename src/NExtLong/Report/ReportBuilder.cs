using System.Text.Json;
using System.Text.Json.Nodes;

namespace NExtLong.Report;

/// <summary>
/// `nextlong report`: one self-contained HTML file about one or more dataset folders, to look at before spending
/// GPU hours on them. The data is embedded as JSON and drawn as SVG by a small script in the page (no external
/// assets); a viewer shows whole sample documents with meta-chunks highlighted and negatives folded.
/// </summary>
public static class ReportBuilder
{
    public static string Build(IReadOnlyList<string> datasetDirs, int samplesPerDataset = 2, CancellationToken ct = default)
    {
        if (datasetDirs.Count == 0) throw new ArgumentException("no dataset folder given");
        OptionValidationException.AtLeast("SamplesPerDataset", samplesPerDataset, 0);
        var datasets = new JsonArray([.. datasetDirs.Select(d => (JsonNode)DatasetSummary.Read(d, samplesPerDataset, ct).ToJson())]);
        // The default encoder escapes '<', so the JSON cannot close the script element it sits in.
        string json = new JsonObject { ["datasets"] = datasets }.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
        return Template.Replace("/*DATA*/", json, StringComparison.Ordinal);
    }

    public static void Write(IReadOnlyList<string> datasetDirs, string outPath, int samplesPerDataset = 2, CancellationToken ct = default)
    {
        string html = Build(datasetDirs, samplesPerDataset, ct);
        string temp = outPath + ".tmp";
        File.WriteAllText(temp, html);
        File.Move(temp, outPath, overwrite: true);
    }

    private const string Template = """
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>nextlong report</title>
<style>
 body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1d2330;background:#fbfbfd}
 h1{font-size:22px;margin:8px 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde;padding-bottom:4px}
 table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #dde;padding:4px 8px;text-align:right} th{background:#eef0f6} td:first-child,th:first-child{text-align:left}
 .charts{display:flex;flex-wrap:wrap;gap:12px} figure.chart{margin:0;background:#fff;border:1px solid #e3e5ee;border-radius:6px;padding:6px}
 figcaption{font-size:12px;font-weight:600;margin:2px 4px} .bar{fill:#4a6fd1} .bar.alt{fill:#d1784a} .axis{stroke:#99a;stroke-width:1} .tick{font-size:10px;fill:#556}
 #viewer .piece{white-space:pre-wrap;border-radius:4px;padding:6px 8px;margin:4px 0;font-size:12.5px}
 #viewer .meta{background:#fff3c4;border-left:4px solid #e0a800} #viewer .negative{background:#eef2fb;border-left:4px solid #7d96d8}
 #viewer .document{background:#f1f6ee;border-left:4px solid #7fae5f} #viewer .repeat{background:#fde3e3;border-left:4px solid #d06060}
 #viewer .label{font-size:11px;color:#556;display:block;margin-bottom:2px;white-space:normal}
 button.fold{font-size:12px;margin:2px 0 6px;padding:3px 8px;border:1px solid #99a;border-radius:4px;background:#fff;cursor:pointer}
 .folded{display:none} .note{color:#556;font-size:12px}
</style></head><body>
<h1>nextlong report</h1>
<p class="note">NExtLong (Gao et al., ICML 2025) datasets: each long document interleaves the meta-chunks of one short
document with hard negatives retrieved for them. Baseline datasets concatenate whole documents.</p>
<h2>Overview</h2><div id="overview"></div>
<h2>Similarity of negatives to their meta-chunk (Figure 6 style)</h2><div class="charts" id="similarity"></div>
<h2>Share of meta tokens per document</h2><div class="charts" id="share"></div>
<h2>Span lengths in tokens</h2><div class="charts" id="lengths"></div>
<h2>Distance between consecutive meta-chunks (tokens)</h2><div class="charts" id="distance"></div>
<h2>Source mix</h2><div class="charts" id="sources"></div>
<h2>Sample viewer</h2>
<p class="note">Meta-chunks are highlighted; the negatives after each are folded: click to unfold.</p>
<select id="sample-select"></select><div id="viewer"></div>
<script type="application/json" id="report-data">/*DATA*/</script>
<script>
"use strict";
const data = JSON.parse(document.getElementById('report-data').textContent);
const NS = 'http://www.w3.org/2000/svg';
function el(tag, attrs, text) { const e = document.createElementNS(NS, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; }
function h(tag, attrs, text) { const e = document.createElement(tag); for (const k in attrs || {}) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; }
function fmt(v) { return typeof v === 'number' ? (Math.abs(v) >= 1000 ? v.toLocaleString('en') : (+v.toFixed(4)).toString()) : (v ?? '–'); }
function barChart(parent, title, labels, values, alt, base) {
  const W = 360, H = 200, L = 44, B = 42, T = 8, R = 8, min = base ?? 0, max = Math.max(min + 1e-9, ...values);
  const fig = h('figure', { class: 'chart' }); fig.appendChild(h('figcaption', {}, title));
  const svg = el('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: 'chart-svg' });
  svg.appendChild(el('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }));
  svg.appendChild(el('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' }));
  for (let i = 0; i <= 4; i++) { const y = H - B - (H - B - T) * i / 4; svg.appendChild(el('text', { x: L - 4, y: y + 3, 'text-anchor': 'end', class: 'tick' }, fmt(min + (max - min) * i / 4))); }
  const n = Math.max(1, values.length), bw = (W - L - R) / n, every = Math.ceil(n / 12);
  values.forEach((v, i) => {
    const bh = (H - B - T) * Math.max(0, v - min) / (max - min), x = L + i * bw;
    const r = el('rect', { x: x + 1, y: H - B - bh, width: Math.max(1, bw - 2), height: bh, class: alt ? 'bar alt' : 'bar' });
    r.appendChild(el('title', {}, `${labels[i]}: ${fmt(v)}`)); svg.appendChild(r);
    if (i % every === 0) svg.appendChild(el('text', { x: x + bw / 2, y: H - B + 12, 'text-anchor': 'end', transform: `rotate(-35 ${x + bw / 2} ${H - B + 12})`, class: 'tick' }, labels[i]));
  });
  fig.appendChild(svg); parent.appendChild(fig);
}
// Similarities sit in a narrow band for most embedders: show only the occupied 0.01-wide bins.
function simChart(parent, title, counts) {
  let a = counts.findIndex(c => c > 0), b = counts.length - 1 - [...counts].reverse().findIndex(c => c > 0);
  if (a < 0) { a = 0; b = counts.length - 1; }
  const labels = []; for (let i = a; i <= b; i++) labels.push((-1 + i * 2 / counts.length).toFixed(2));
  barChart(parent, title, labels, counts.slice(a, b + 1));
}
const shareLabels = Array.from({ length: 20 }, (_, i) => `${i * 5}%`);
const ov = h('table'); const head = h('tr');
['dataset', 'documents', 'T', 'tokenizer', 'E chars/token', 'mean k', 'meta token share', 'mean similarity', 'near-duplicate rate', 'dropped'].forEach(c => head.appendChild(h('th', {}, c)));
ov.appendChild(head);
for (const d of data.datasets) {
  const tr = h('tr');
  [d.label, d.documents, d.targetTokens, d.tokenizer, d.encodingRate, d.meanK, d.metaShareTokens, d.meanSimilarity, d.nearDuplicateRate, JSON.stringify(d.dropped)].forEach(v => tr.appendChild(h('td', {}, fmt(v))));
  ov.appendChild(tr);
}
document.getElementById('overview').appendChild(ov);
if (data.datasets.length > 1) {
  const means = data.datasets.map(d => d.meanSimilarity ?? 0), lo = Math.min(...means), hi = Math.max(...means);
  barChart(document.getElementById('similarity'), 'mean similarity by dataset', data.datasets.map(d => d.name), means, false, Math.max(-1, lo - (hi - lo || 0.1) * 0.5));
}
for (const d of data.datasets) {
  simChart(document.getElementById('similarity'), `${d.label}: negatives by similarity`, d.similarity);
  barChart(document.getElementById('share'), `${d.label}: documents by meta share`, shareLabels, d.metaShare);
  barChart(document.getElementById('lengths'), `${d.label}: meta spans (tokens ≤)`, d.metaSpanTokens.labels, d.metaSpanTokens.values);
  barChart(document.getElementById('lengths'), `${d.label}: negative spans (tokens ≤)`, d.negativeSpanTokens.labels, d.negativeSpanTokens.values, true);
  if (d.metaDistance.values.length) barChart(document.getElementById('distance'), `${d.label}: meta-chunk to next (tokens ≤)`, d.metaDistance.labels, d.metaDistance.values);
  barChart(document.getElementById('sources'), `${d.label}: meta sources`, d.metaSources.labels, d.metaSources.values);
  if (d.negativeSources.values.length) barChart(document.getElementById('sources'), `${d.label}: negative sources`, d.negativeSources.labels, d.negativeSources.values, true);
}
const select = document.getElementById('sample-select'), viewer = document.getElementById('viewer'), samples = [];
data.datasets.forEach(d => d.samples.forEach(s => { samples.push(s); select.appendChild(h('option', { value: samples.length - 1 }, `${d.name} / ${s.id} (meta-document ${s.metaDocument})`)); }));
function piece(s) {
  const div = h('div', { class: `piece ${s.role}` });
  const sim = s.similarity == null ? '' : ` · similarity ${s.similarity.toFixed(3)}`;
  div.appendChild(h('span', { class: 'label' }, `${s.role}${s.role === 'meta' ? ' chunk ' + s.metaChunk : ' #' + s.rank}${sim} · ${s.tokens} tokens · ${s.source}: ${s.document}${s.truncated ? ' · cut here' : ''}`));
  div.appendChild(document.createTextNode(s.text)); return div;
}
function show(i) {
  viewer.replaceChildren();
  const spans = samples[i].spans; let j = 0;
  while (j < spans.length) {
    if (spans[j].role === 'meta' || spans[j].role === 'document') { viewer.appendChild(piece(spans[j++])); continue; }
    const group = []; while (j < spans.length && spans[j].role !== 'meta' && spans[j].role !== 'document') group.push(spans[j++]);
    const sims = group.map(s => s.similarity).filter(s => s != null);
    const box = h('div', { class: 'folded negatives' }); group.forEach(s => box.appendChild(piece(s)));
    const btn = h('button', { class: 'fold' }, `▸ ${group.length} ${group[0].role === 'repeat' ? 'repeats' : 'negatives'}` + (sims.length ? ` (similarity ${Math.min(...sims).toFixed(3)}–${Math.max(...sims).toFixed(3)})` : ''));
    btn.addEventListener('click', () => { const open = box.classList.toggle('folded'); btn.textContent = (open ? '▸' : '▾') + btn.textContent.slice(1); });
    viewer.appendChild(btn); viewer.appendChild(box);
  }
}
select.addEventListener('change', () => show(+select.value));
if (samples.length) show(0);
document.body.setAttribute('data-rendered', document.querySelectorAll('svg.chart-svg rect.bar').length);
</script></body></html>
""";
}
