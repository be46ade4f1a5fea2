"use strict";
// Draws the report's measures with Vega-Lite and runs the sample viewer. The data is the JSON of
// `nextlong report --json` plus `samples`; every chart's rows are in its named dataset "table", so
// `report.views[id].data('table')` reads back exactly what is plotted.
const data = JSON.parse(document.getElementById('report-data').textContent);
const datasets = data.datasets, names = datasets.map(d => d.name);
const palette = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#ff9da6', '#79706e'];
const colourOf = name => palette[names.indexOf(name) % palette.length];
// The dataset colour encoding over some of the datasets (a legend of only those), each in its own colour.
const colorOf = some => ({ field: 'dataset', type: 'nominal', title: 'dataset', scale: { domain: some, range: some.map(colourOf) }, legend: names.length > 1 ? { orient: 'top', labelLimit: 0 } : null });
const color = colorOf(names);
const W = 470, H = 220, barStep = { step: Math.max(22, 14 * names.length + 8) };
const countAxis = { format: ',d', tickMinStep: 1 };
const config = {
  font: 'system-ui, sans-serif', view: { stroke: null },
  axis: { labelLimit: 0, labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, labelOverlap: true, gridColor: '#eceef4' },
  legend: { labelLimit: 0, labelFontSize: 11, titleFontSize: 11 }, title: { anchor: 'start', fontSize: 13, subtitleFontSize: 11, subtitleColor: '#556' },
};
const zoomX = [{ name: 'zoom', select: { type: 'interval', encodings: ['x'] }, bind: 'scales' }];
const report = window.report = { views: {}, pending: [] };

function h(tag, attrs, text) { const e = document.createElement(tag); for (const k in attrs || {}) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; }
function num(v, digits = 4) { return typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en') : (+v.toFixed(digits)).toLocaleString('en', { maximumFractionDigits: digits })) : (v ?? '–'); }
function pct(v, digits = 1) { return typeof v === 'number' ? (v * 100).toFixed(digits) + '\u00a0%' : '–'; }
function tokens(v) { return v >= 1024 && v % 1024 === 0 ? `${v / 1024}K` : num(v); }
function rows(f) { return datasets.flatMap(d => f(d).map(r => ({ dataset: d.name, ...r }))); }
function withShare(list) { const total = list.reduce((s, r) => s + r.count, 0); return list.map(r => ({ ...r, share: total ? r.count / total : 0 })); }
function table(parent, head, body, rowClass) {
  const t = h('table'), tr = h('tr'); head.forEach(c => tr.appendChild(h('th', {}, c))); t.appendChild(tr);
  body.forEach((cells, i) => { const r = h('tr', rowClass ? { class: rowClass(i) } : {}); cells.forEach(c => { const td = h('td'); if (c instanceof Node) td.appendChild(c); else td.textContent = c; r.appendChild(td); }); t.appendChild(r); });
  // A table wider than its section scrolls inside its own box instead of running past the page's edge.
  const wrap = h('div', { class: 'table-wrap' }); wrap.appendChild(t); parent.appendChild(wrap); return t;
}
function swatch(name, text) { const s = h('span', { class: 'swatch-name' }); const b = h('span', { class: 'swatch', style: `background:${colourOf(name)}` }); s.append(b, text ?? name); return s; }

// The text guard's skips by reason (stats.json false_negatives_skipped); its cosine reason is the near-duplicate count.
const guardReasons = [
  { key: 'shingle_jaccard', label: t => `skipped: 5-gram Jaccard with the meta-chunk ≥ ${t}` },
  { key: 'shingle_containment', label: t => `skipped: ≥ ${t} of its 5-grams in the meta-document` },
];
const guardSkipped = d => guardReasons.reduce((s, r) => s + ((d.falseNegatives.skippedByReason || {})[r.key] ?? 0), 0);

// One Vega-Lite chart into <figure id> (spec may be a function of the rows); an empty table gets a sentence instead of empty axes.
function chart(id, title, subtitle, values, spec, empty) {
  const fig = document.getElementById(id);
  if (!values.length) { fig.appendChild(h('p', { class: 'note' }, `${title}: ${empty || 'no data'}`)); fig.dataset.empty = 'true'; return; }
  const full = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title: { text: title, subtitle }, width: W, height: H, config,
    data: { name: 'table' }, datasets: { table: values }, ...(typeof spec === 'function' ? spec(values) : spec) };
  report.pending.push(vegaEmbed(fig, full, { renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } })
    .then(r => { report.views[id] = r.view; }));
}

// Overview and warnings. The dataset's method and settings go under its name, so the first column stays narrow.
function labelled(d) { const cell = h('span'); cell.append(swatch(d.name), h('span', { class: 'sub' }, d.label.slice(d.name.length).trim())); return cell; }
table(document.getElementById('overview'),
  ['dataset', 'documents', 'T', 'tokenizer', 'retriever', 'E chars/token', 'mean k', 'meta token share', 'mean similarity', 'coverage', 'false negatives', 'near-duplicates skipped', 'text-guard skips', 'dropped', 'warnings'],
  datasets.map(d => [labelled(d), num(d.documents), num(d.targetTokens), d.tokenizer, (d.retriever.kind === 'bm25' ? 'bm25' : `${d.retriever.kind} · ${d.retriever.embedder ?? '?'} (${d.retriever.indexSpec ?? '?'})`),
    num(d.encodingRate, 3), num(d.meanK, 1), pct(d.metaShareTokens, 2), num(d.similarity.mean, 4), pct(d.coverage.share),
    pct(d.falseNegatives.rate, 2), num(d.falseNegatives.nearDuplicatesSkipped), num(guardSkipped(d)),
    Object.keys(d.dropped).length ? Object.entries(d.dropped).map(([k, v]) => `${k}: ${num(v)}`).join(', ') + ` of ${num(d.candidatesTried)} tried` : `none of ${num(d.candidatesTried)} tried`,
    num(d.warnings)]));
{
  const checks = datasets.flatMap(d => d.checks.map(c => ({ dataset: d.name, ...c })));
  table(document.getElementById('warnings'), ['dataset', 'check', 'status', 'value', 'warns when', 'what it means'],
    checks.map(c => [swatch(c.dataset), c.check, h('span', { class: 'status-' + (c.status === 'n/a' ? 'na' : c.status) }, c.status), c.value, c.threshold, c.detail]),
    i => checks[i].status === 'warning' ? 'warning' : '');
}

// Coverage.
table(document.getElementById('coverage-summary'), ['dataset', 'meta-chunks kept', 'documents keeping all their meta-chunks'],
  datasets.map(d => [swatch(d.name), d.coverage.metaChunksTotal ? `${num(d.coverage.metaChunksKept)} of ${num(d.coverage.metaChunksTotal)} (${pct(d.coverage.share)})` : 'no meta-chunks (baseline)',
    d.coverage.documents ? `${num(d.coverage.documentsComplete)} of ${num(d.coverage.documents)}` : '–']));
const lengthBin = r => `≤ ${tokens(r.charsUpTo)} chars`;
const lengthSort = { field: 'charsUpTo' };
chart('chart-coverage', 'Meta-chunks kept, by meta-document length', 'share of the meta-chunks of the meta-documents in each length bin',
  rows(d => d.coverage.byLength.map(b => ({ ...b, bin: lengthBin(b) }))), {
    mark: { type: 'bar', tooltip: true },
    encoding: { x: { field: 'bin', type: 'ordinal', title: 'meta-document length (characters)', sort: lengthSort, axis: { labelAngle: 0 } }, xOffset: { field: 'dataset', sort: names },
      y: { field: 'share', type: 'quantitative', title: 'meta-chunks kept', axis: { format: '.0%' }, scale: { domain: [0, 1] } }, color,
      tooltip: [{ field: 'dataset' }, { field: 'bin', title: 'length' }, { field: 'share', format: '.1%', title: 'kept' }, { field: 'metaChunksKept', title: 'meta-chunks kept', format: ',d' },
        { field: 'metaChunksTotal', title: 'meta-chunks in all', format: ',d' }, { field: 'documents', format: ',d' }, { field: 'documentsComplete', title: 'documents complete', format: ',d' }] },
  }, 'no meta-chunks (baseline datasets)');
chart('chart-coverage-documents', 'Documents keeping all their meta-chunks', 'by meta-document length; lighter: some meta-chunks cut off',
  rows(d => d.coverage.byLength.flatMap(b => [{ bin: lengthBin(b), charsUpTo: b.charsUpTo, kept: 'all kept', documents: b.documentsComplete },
    { bin: lengthBin(b), charsUpTo: b.charsUpTo, kept: 'some cut', documents: b.documents - b.documentsComplete }])), {
    mark: { type: 'bar', tooltip: true },
    encoding: { x: { field: 'bin', type: 'ordinal', title: 'meta-document length (characters)', sort: lengthSort, axis: { labelAngle: 0 } }, xOffset: { field: 'dataset', sort: names },
      y: { field: 'documents', type: 'quantitative', title: 'documents', axis: countAxis, stack: 'zero' }, color,
      opacity: { field: 'kept', type: 'ordinal', title: 'meta-chunks', scale: { domain: ['all kept', 'some cut'], range: [1, 0.35] }, legend: { orient: 'top' } },
      order: { field: 'kept' },
      tooltip: [{ field: 'dataset' }, { field: 'bin', title: 'length' }, { field: 'kept', title: 'meta-chunks' }, { field: 'documents', format: ',d' }] },
  }, 'no meta-chunks (baseline datasets)');

// False negatives and near-duplicates.
chart('chart-false-negatives', 'Negatives that copy the meta-document, per reason', 'skipped at synthesis, or kept and found here',
  rows(d => { const f = d.falseNegatives, t = pct(f.guardThreshold, 0), skipped = f.skippedByReason || {};
    return [{ key: 'near_duplicate', reason: d.method === 'iclm' ? 'near-duplicate skipped (ICLM filter: first 100 characters, 3-gram Jaccard > 0.85)' : `near-duplicate skipped (similarity > ${f.nearDuplicateThreshold ?? '?'})`, count: f.nearDuplicatesSkipped },
      ...guardReasons.filter(r => r.key in skipped).map(r => ({ key: r.key, reason: r.label(t), count: skipped[r.key] })),
      { key: 'kept', reason: `false negative kept (≥ ${f.threshold * 100} % of ${f.ngram}-grams)`, count: f.falseNegatives, rate: f.rate }]; }), {
    mark: { type: 'bar', tooltip: true },
    height: barStep, encoding: { y: { field: 'reason', type: 'nominal', title: null }, yOffset: { field: 'dataset', sort: names },
      x: { field: 'count', type: 'quantitative', title: 'negatives', axis: countAxis }, color,
      tooltip: [{ field: 'dataset' }, { field: 'reason' }, { field: 'count', format: ',d', title: 'negatives' }, { field: 'rate', format: '.2%', title: 'of negatives checked' }] },
  });
chart('chart-overlap', 'Word 5-gram overlap of each negative with its meta-document', 'negatives per 5 % bin (symlog scale); ≥ 50 % is a false negative',
  rows(d => withShare(d.falseNegatives.overlap).map(b => ({ ...b, bin: `${Math.round(b.from * 100)}–${Math.round(b.to * 100)} %` }))), {
    layer: [{
      mark: { type: 'rect', tooltip: true },
      encoding: { x: { field: 'from', type: 'quantitative', title: 'share of the negative\'s 5-grams found in the meta-document', axis: { format: '.0%' }, scale: { domain: [0, 1] } }, x2: { field: 'to' },
        y: { field: 'count', type: 'quantitative', title: 'negatives', scale: { type: 'symlog' }, axis: { ...countAxis, values: [0, 1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8] } }, y2: { datum: 0 }, color, opacity: { value: names.length > 1 ? 0.6 : 0.9 },
        tooltip: [{ field: 'dataset' }, { field: 'bin', title: 'overlap' }, { field: 'count', format: ',d', title: 'negatives' }, { field: 'share', format: '.2%', title: 'of negatives checked' }] },
    }, { data: { values: [{ t: 0.5 }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#b45309' }, encoding: { x: { field: 't', type: 'quantitative' } } }],
  });

// Retriever and scores.
const denseCosineOf = d => (d.similarity.scoreKind ?? 'cosine') === 'cosine' ? 'the similarity'
  : d.denseCosine ? `index vectors, ${num(d.denseCosine.negatives)} of ${num(d.similarity.negatives)}`
  : `none (${d.retriever.indexRetriever ?? 'bm25'} index)`;
table(document.getElementById('retriever'), ['dataset', 'retriever', 'index built for', 'embedder', 'dimension', 'index', 'chunk chars', 'indexed chunks', 'negative selection', 'candidate pool', 'near-duplicate threshold', 'negatives scored', 'mean similarity', 'dense cosine'],
  datasets.map(d => [swatch(d.name), d.retriever.kind, d.retriever.indexRetriever ?? '–', d.retriever.embedder ?? '–', num(d.retriever.dimension), d.retriever.indexSpec ?? '–', num(d.retriever.chunkChars), num(d.retriever.indexedChunks),
    d.method === 'nextlong' ? (d.retriever.negativeSelection ?? 'topk') : `– (${d.method})`, num(d.retriever.candidatePool), num(d.falseNegatives.nearDuplicateThreshold), num(d.similarity.negatives), num(d.similarity.mean, 4), denseCosineOf(d)]));
// One pair of charts (distribution, by rank) per score kind, each on its own axis: BM25 scores are unbounded and
// tens wide, cosines lie in [-1, 1]. The cosine charts hold every dataset's cosines: the similarity of dense, hybrid
// and baseline datasets, and the embedding cosines a bm25 dataset records when its index has vectors (denseCosine).
// Colours stay the datasets' own in every chart.
const scoreKinds = [
  { kind: 'cosine', ids: ['chart-similarity', 'chart-similarity-rank'], title: 'cosine similarity', what: 'Cosine similarity', format: '.3f', bins: '0.001-wide bins',
    of: d => (d.similarity.scoreKind ?? 'cosine') === 'cosine' ? d.similarity : d.denseCosine },
  { kind: 'bm25', ids: ['chart-bm25', 'chart-bm25-rank'], title: 'BM25 score', what: 'BM25 score', format: ',.1f', bins: '0.1-wide bins',
    of: d => d.similarity.scoreKind === 'bm25' ? d.similarity : null },
];
const scoreCharts = document.getElementById('score-charts');
for (const k of scoreKinds) {
  const scored = datasets.filter(d => k.of(d));
  // A kind no dataset has gets no charts; cosines always do, to say when there are none.
  if (!scored.length && k.kind !== 'cosine') continue;
  const row = h('div', { class: 'charts', 'data-score-kind': k.kind });
  k.ids.forEach(id => row.appendChild(h('figure', { id })));
  scoreCharts.appendChild(row);
  const color = colorOf(scored.length ? scored.map(d => d.name) : names);
  const fromVectors = k.kind === 'cosine' ? scored.filter(d => d.similarity.scoreKind === 'bm25').map(d => d.name) : [];
  const note = fromVectors.length ? `; ${fromVectors.join(', ')} (bm25): cosines by the index's vectors` : '';
  const source = d => d.similarity.scoreKind === k.kind ? 'retriever score' : 'index embeddings';
  chart(k.ids[0], `${k.what} of negatives to their meta-chunk`, `share of negatives per bin (${k.bins})${note}; drag or scroll to zoom`,
    rows(d => k.of(d) ? withShare(k.of(d).histogram).map(b => ({ ...b, score: source(d) })) : []), {
      params: zoomX, mark: { type: 'line', interpolate: 'step-after', point: { size: 14 }, tooltip: true, clip: true },
      encoding: { x: { field: 'from', type: 'quantitative', title: k.title, scale: { zero: false, nice: false }, axis: { format: k.format } },
        y: { field: 'share', type: 'quantitative', title: 'negatives', axis: { format: '.1%' } }, color,
        tooltip: [{ field: 'dataset' }, { field: 'score', title: 'from' }, { field: 'from', title: `${k.title} from`, format: k.format }, { field: 'count', format: ',d', title: 'negatives' }, { field: 'share', format: '.2%', title: 'of negatives' }] },
    }, k.kind === 'cosine' ? 'no cosines: bm25 datasets over an index without vectors' : 'no scored negatives');
  chart(k.ids[1], `${k.what} by negative rank (Figure 6 style)`, `mean (line) and 10th–90th percentile (band) per rank; 1 = most similar${note}; drag or scroll to zoom`,
    rows(d => k.of(d) ? k.of(d).byRank.map(r => ({ ...r, score: source(d) })) : []), {
      encoding: { x: { field: 'rank', type: 'quantitative', title: 'negative rank', scale: { domainMin: 1, nice: false }, axis: countAxis }, color },
      layer: [
        { params: zoomX, mark: { type: 'area', opacity: 0.18, clip: true }, encoding: { y: { field: 'p10', type: 'quantitative', title: k.title, scale: { zero: false } }, y2: { field: 'p90' } } },
        { mark: { type: 'line', point: { size: 10 }, tooltip: true, clip: true }, encoding: { y: { field: 'mean', type: 'quantitative' },
          tooltip: [{ field: 'dataset' }, { field: 'score', title: 'from' }, { field: 'rank', format: ',d' }, { field: 'count', format: ',d', title: 'negatives' }, { field: 'mean', format: '.4f' },
            { field: 'p10', format: '.4f' }, { field: 'p50', format: '.4f', title: 'median' }, { field: 'p90', format: '.4f' }, { field: 'min', format: '.4f' }, { field: 'max', format: '.4f' }] } },
      ],
    }, k.kind === 'cosine' ? 'no cosines: bm25 datasets over an index without vectors' : 'no scored negatives');
}

// Dependency distance.
const binaryLabel = "datum.value >= 1048576 ? format(datum.value / 1048576, '~r') + 'M' : datum.value >= 1024 ? format(datum.value / 1024, '~r') + 'K' : format(datum.value, '~r')";
const log2Line = (xTitle, extra) => values => {
  const bounds = values.map(r => r.upTo), lo = Math.min(...bounds) / 2, hi = Math.max(...bounds) * 2, ticks = [];
  for (let t = 1; t <= hi; t *= 4) if (t >= lo) ticks.push(t);
  return {
  params: zoomX, mark: { type: 'line', point: { size: 24 }, tooltip: true, clip: true },
  encoding: { x: { field: 'upTo', type: 'quantitative', title: xTitle, scale: { type: 'log', base: 2, domain: [lo, hi], nice: false }, axis: { values: ticks, labelExpr: binaryLabel } },
    y: { field: 'share', type: 'quantitative', title: 'share', axis: { format: '.0%' } }, color, ...extra,
    tooltip: [{ field: 'dataset' }, ...(extra ? Object.values(extra).map(e => ({ field: e.field })) : []), { field: 'upTo', title: 'tokens ≤', format: ',d' }, { field: 'count', format: ',d' }, { field: 'share', format: '.1%' }] },
  };
};
document.getElementById('distance-note').textContent = datasets.map(d => {
  const own = d.distance.metaToOwnDocumentNegative.reduce((s, b) => s + b.count, 0);
  return `${d.name}: ${own ? num(own) + ' meta-chunks have a negative from their own meta-document' : 'no negative comes from its own meta-document'}.`;
}).join(' ');
chart('chart-meta-distance', 'Tokens between consecutive meta-chunks', 'share of meta-chunk pairs per power-of-two bin',
  rows(d => withShare(d.distance.metaToNextMeta)), log2Line('tokens between a meta-chunk and the next (≤, log scale)'), 'no document has two meta-chunks');
chart('chart-same-document', 'Tokens between spans from the same source document', 'share per power-of-two bin',
  rows(d => [...withShare(d.distance.negativeToSameDocument).map(b => ({ ...b, pair: 'negative → previous negative of its document' })),
    ...withShare(d.distance.metaToOwnDocumentNegative).map(b => ({ ...b, pair: 'meta-chunk → nearest negative of its meta-document' }))]),
  log2Line('tokens between (≤, log scale)', { strokeDash: { field: 'pair', type: 'nominal', title: 'pair', legend: { orient: 'top', symbolType: 'stroke' } } }), 'no source document supplies two spans');

// Sources and token shares.
chart('chart-sources', 'Tokens by corpus source', 'share of each dataset\'s tokens; solid: meta-chunks, light: negatives',
  rows(d => { const total = d.sources.reduce((s, r) => s + r.metaTokens + r.negativeTokens, 0);
    return d.sources.flatMap(s => [{ source: s.source, role: 'meta', tokens: s.metaTokens, spans: s.metaSpans, documents: s.documents },
      { source: s.source, role: 'negative', tokens: s.negativeTokens, spans: s.negativeSpans, documents: s.documents }].map(r => ({ ...r, share: total ? r.tokens / total : 0 }))); }), {
    mark: { type: 'bar', tooltip: true },
    height: barStep, encoding: { y: { field: 'source', type: 'nominal', title: 'source' }, yOffset: { field: 'dataset', sort: names },
      x: { field: 'share', type: 'quantitative', title: 'share of tokens', axis: { format: '.0%' }, stack: 'zero' }, color,
      opacity: { field: 'role', type: 'ordinal', scale: { domain: ['meta', 'negative'], range: [1, 0.4] }, legend: { orient: 'top' } }, order: { field: 'role' },
      tooltip: [{ field: 'dataset' }, { field: 'source' }, { field: 'role' }, { field: 'tokens', format: ',d' }, { field: 'share', format: '.2%' }, { field: 'spans', format: ',d' }, { field: 'documents', format: ',d', title: 'documents seeded' }] },
  });
chart('chart-meta-share', 'Share of meta tokens per document', 'documents per 5 % bin',
  rows(d => d.metaShare.map(b => ({ ...b, bin: `${Math.round(b.from * 100)}–${Math.round(b.to * 100)} %` }))), {
    params: zoomX, mark: { type: 'rect', tooltip: true, clip: true },
    encoding: { x: { field: 'from', type: 'quantitative', title: 'meta tokens / document tokens', axis: { format: '.0%' }, scale: { domain: [0, 1] } }, x2: { field: 'to' },
      y: { field: 'count', type: 'quantitative', title: 'documents', axis: countAxis }, y2: { datum: 0 }, color, opacity: { value: names.length > 1 ? 0.6 : 0.9 },
      tooltip: [{ field: 'dataset' }, { field: 'bin', title: 'meta share' }, { field: 'count', format: ',d', title: 'documents' }] },
  });
chart('chart-span-tokens', 'Span lengths', 'share of spans per power-of-two bin',
  rows(d => [...withShare(d.spanTokens.meta).map(b => ({ ...b, role: 'meta' })), ...withShare(d.spanTokens.negative).map(b => ({ ...b, role: 'negative' }))]),
  log2Line('span length in tokens (≤, log scale)', { strokeDash: { field: 'role', type: 'nominal', title: 'span', legend: { orient: 'top', symbolType: 'stroke' } } }));

// Exact T.
table(document.getElementById('exact-summary'), ['dataset', 'T', 'documents of exactly T tokens', 'first mismatches'],
  datasets.map(d => [swatch(d.name), num(d.exactT.targetTokens), `${num(d.exactT.exact)} of ${num(d.exactT.documents)}`, d.exactT.firstMismatches.join('; ') || 'none']));
chart('chart-exact-t', 'Document lengths', 'documents per length in tokens; all should sit at T',
  rows(d => d.exactT.lengths.map(l => ({ ...l, target: d.exactT.targetTokens, label: num(l.tokens) }))), {
    mark: { type: 'bar', tooltip: true },
    encoding: { x: { field: 'label', type: 'ordinal', title: 'tokens', sort: { field: 'tokens' }, axis: { labelAngle: 0 } }, xOffset: { field: 'dataset', sort: names },
      y: { field: 'count', type: 'quantitative', title: 'documents', axis: countAxis }, color,
      tooltip: [{ field: 'dataset' }, { field: 'tokens', format: ',d' }, { field: 'target', format: ',d', title: 'T' }, { field: 'count', format: ',d', title: 'documents' }] },
  });

Promise.all(report.pending).then(() => document.body.setAttribute('data-rendered', Object.keys(report.views).length),
  e => { document.body.setAttribute('data-render-error', String(e)); throw e; });

// The sample viewer: a virtual list. Rows are meta-chunks, fold buttons and (unfolded) negatives; only rows inside
// the viewport (plus a margin) exist in the DOM, placed absolutely from measured or estimated heights, so a
// 512K-token document with thousands of spans scrolls as lightly as a short one.
const viewer = document.getElementById('viewer'), spacer = viewer.querySelector('.spacer');
const select = document.getElementById('sample-select'), metaJump = document.getElementById('meta-jump');
const searchBox = document.getElementById('search'), searchStatus = document.getElementById('search-status');
const samples = data.samples || [];
samples.forEach((s, i) => select.appendChild(h('option', { value: i }, `${s.dataset} / ${s.id} (meta-document ${s.metaDocument})`)));
const isMeta = s => s.role === 'meta' || (s.role === 'document' && s.rank === 0);
const state = { sample: -1, rows: [], open: new Set(), heights: new Map(), offsets: [0], pin: -1, top: 0, current: -1, query: '', matches: [], match: -1, frame: 0 };

function buildRows() {
  const spans = samples[state.sample].spans, out = [];
  for (let j = 0; j < spans.length;) {
    if (isMeta(spans[j])) { out.push({ key: 's' + j, span: j }); j++; continue; }
    const first = j; while (j < spans.length && !isMeta(spans[j])) j++;
    out.push({ key: 'g' + first, group: [first, j] });
    if (state.open.has(first)) for (let k = first; k < j; k++) out.push({ key: 's' + k, span: k });
  }
  state.rows = out;
  layout();
}
let charWidth = 7;
function estimate(row) {
  if (row.group) return 32;
  const text = samples[state.sample].spans[row.span].text, perLine = Math.max(20, Math.floor((viewer.clientWidth - 48) / charWidth));
  let lines = 1; for (const part of text.split('\n')) lines += Math.max(1, Math.ceil(part.length / perLine));
  return 36 + lines * 18;
}
function layout() {
  const offsets = new Float64Array(state.rows.length + 1);
  state.rows.forEach((r, i) => { offsets[i + 1] = offsets[i] + (state.heights.get(r.key) ?? estimate(r)); });
  state.offsets = offsets;
  spacer.style.height = offsets[state.rows.length] + 'px';
}
function rowAt(y) { let lo = 0, hi = state.rows.length - 1; while (lo < hi) { const m = (lo + hi + 1) >> 1; if (state.offsets[m] <= y) lo = m; else hi = m - 1; } return lo; }
// What a span's score is, by its dataset's retriever: a BM25 score is not a similarity in [-1, 1].
function scoreName() {
  const d = datasets.find(x => x.name === samples[state.sample].dataset);
  return d && d.similarity.scoreKind === 'bm25' ? 'BM25 score' : 'similarity';
}
function spanLabel(s) {
  const sim = (s.similarity == null ? '' : ` · ${scoreName()} ${s.similarity.toFixed(4)}`) + (s.cosine == null ? '' : ` · cosine ${s.cosine.toFixed(4)}`);
  const what = isMeta(s) ? (s.role === 'meta' ? `meta-chunk ${s.metaChunk}` : 'document (seed)') : `${s.role} rank ${s.rank}${s.role === 'negative' ? ' for meta-chunk ' + s.metaChunk : ''}`;
  return `${what}${sim} · ${s.tokens.toLocaleString('en')} tokens from ${s.tokenStart.toLocaleString('en')} · source ${s.source}: ${s.document}${s.truncated ? ' · cut here' : ''}`;
}
function highlighted(parent, text) {
  const q = state.query.toLowerCase();
  if (!q) { parent.appendChild(document.createTextNode(text)); return; }
  const lower = text.toLowerCase(); let at = 0;
  for (let i = lower.indexOf(q); i >= 0; i = lower.indexOf(q, i + q.length)) {
    parent.appendChild(document.createTextNode(text.slice(at, i))); parent.appendChild(h('mark', {}, text.slice(i, i + q.length))); at = i + q.length;
  }
  parent.appendChild(document.createTextNode(text.slice(at)));
}
function renderRow(row, i) {
  const div = h('div', { class: 'row', 'data-row': i }); div.style.top = state.offsets[i] + 'px';
  const spans = samples[state.sample].spans;
  if (row.group) {
    const [a, b] = row.group, group = spans.slice(a, b), sims = group.map(s => s.similarity).filter(s => s != null);
    const open = state.open.has(a);
    const btn = h('button', { class: 'fold', 'data-group': a }, `${open ? '▾' : '▸'} ${b - a} ${group[0].role === 'repeat' ? 'repeats' : group[0].role === 'document' ? 'documents' : 'negatives'}` +
      (sims.length ? ` (${scoreName()} ${Math.min(...sims).toFixed(3)}–${Math.max(...sims).toFixed(3)}, ${group.reduce((t, s) => t + s.tokens, 0).toLocaleString('en')} tokens)` : ''));
    btn.addEventListener('click', () => { if (open) state.open.delete(a); else state.open.add(a); buildRows(); render(); });
    div.appendChild(btn);
  } else {
    const s = spans[row.span], piece = h('div', { class: `piece ${s.role}${row.span === state.current ? ' current' : ''}`, 'data-span': row.span });
    if (s.role === 'meta') piece.setAttribute('data-meta-chunk', s.metaChunk);
    piece.appendChild(h('span', { class: 'label' }, spanLabel(s)));
    highlighted(piece, s.text);
    div.appendChild(piece);
  }
  return div;
}
function render() {
  state.frame = 0;
  if (state.sample < 0 || !state.rows.length) { spacer.replaceChildren(); return; }
  if (state.pin >= 0) setTop(state.offsets[state.pin]);
  const top = viewer.scrollTop, bottom = top + viewer.clientHeight, margin = viewer.clientHeight / 2;
  const first = rowAt(Math.max(0, top - margin)), nodes = [];
  for (let i = first; i < state.rows.length && state.offsets[i] < bottom + margin; i++) nodes.push(renderRow(state.rows[i], i));
  spacer.replaceChildren(...nodes);
  // Estimates become measurements; if any changed, lay out again keeping the top row where it was.
  let changed = false;
  for (const n of nodes) { const r = state.rows[+n.dataset.row], hgt = n.offsetHeight; if (state.heights.get(r.key) !== hgt) { state.heights.set(r.key, hgt); changed = true; } }
  if (changed) {
    const anchor = rowAt(top), within = top - state.offsets[anchor];
    layout();
    setTop(state.pin >= 0 ? state.offsets[state.pin] : state.offsets[anchor] + within);
    for (const n of nodes) n.style.top = state.offsets[+n.dataset.row] + 'px';
    schedule(); // rows that now fall in view get drawn (and measured) next frame; converges once all are measured
  }
  updateMetaJump();
}
function schedule() { if (!state.frame) state.frame = requestAnimationFrame(render); }
// A scroll the viewer did not make itself (wheel, scrollbar, keys, scrollIntoView) releases a pinned jump target.
function setTop(y) { viewer.scrollTop = y; state.top = viewer.scrollTop; }
viewer.addEventListener('scroll', () => { if (Math.abs(viewer.scrollTop - state.top) > 1) state.pin = -1; schedule(); });
new ResizeObserver(() => { state.heights.clear(); if (state.sample >= 0) { layout(); schedule(); } }).observe(viewer);

function showSample(i) {
  state.sample = i; state.open = new Set(); state.heights = new Map(); state.pin = -1; state.current = -1;
  select.value = String(i);
  const s = samples[i], metas = s.spans.filter(x => x.role === 'meta');
  metaJump.replaceChildren(...metas.map(m => h('option', { value: m.metaChunk }, `meta-chunk ${m.metaChunk} of ${s.metaChunks}`)));
  document.getElementById('viewer-info').textContent = `${s.dataset} · ${s.id}: ${s.tokens.toLocaleString('en')} tokens, ${s.spans.length.toLocaleString('en')} spans, k = ${s.k}; ` +
    `meta-document ${s.metaDocument}: ${metas.length} of ${s.metaChunks} meta-chunks kept`;
  setTop(0); buildRows(); render();
}
function scrollToSpan(span) {
  const spans = samples[state.sample].spans;
  if (!isMeta(spans[span])) { let a = span; while (a > 0 && !isMeta(spans[a - 1])) a--; if (!state.open.has(a)) { state.open.add(a); buildRows(); } }
  state.current = span;
  state.pin = state.rows.findIndex(r => r.span === span);
  render();
}
function jumpMeta(chunk) {
  const span = samples[state.sample].spans.findIndex(s => s.role === 'meta' && s.metaChunk === chunk);
  if (span >= 0) scrollToSpan(span);
}
function visibleMeta() {
  const spans = samples[state.sample].spans; let r = state.rows[rowAt(viewer.scrollTop)];
  let j = r.span ?? r.group[0]; while (j > 0 && spans[j].role !== 'meta') j--;
  return spans[j].role === 'meta' ? spans[j].metaChunk : -1;
}
function updateMetaJump() { const m = visibleMeta(); if (m >= 0) metaJump.value = String(m); }
function stepMeta(direction) {
  const chunks = [...metaJump.options].map(o => +o.value), at = chunks.indexOf(visibleMeta());
  const next = chunks[Math.min(chunks.length - 1, Math.max(0, at + direction))];
  if (next !== undefined) jumpMeta(next);
}
select.addEventListener('change', () => showSample(+select.value));
metaJump.addEventListener('change', () => jumpMeta(+metaJump.value));
document.getElementById('meta-prev').addEventListener('click', () => stepMeta(-1));
document.getElementById('meta-next').addEventListener('click', () => stepMeta(1));

// Search: a sample whose id or meta-document id matches, then every span whose source document id or text does.
function search(query) {
  state.query = query.trim(); state.matches = []; state.match = -1;
  const q = state.query.toLowerCase();
  if (q) samples.forEach((s, i) => {
    if (s.id.toLowerCase().includes(q) || s.metaDocument.toLowerCase().includes(q)) state.matches.push({ sample: i, span: 0 });
    s.spans.forEach((x, j) => { if (state.matches.length < 10000 && (x.document.toLowerCase().includes(q) || x.text.toLowerCase().includes(q))) state.matches.push({ sample: i, span: j }); });
  });
  state.matches = state.matches.filter((m, i, all) => i === 0 || m.sample !== all[i - 1].sample || m.span !== all[i - 1].span);
  if (state.matches.length) gotoMatch(0); else { searchStatus.textContent = q ? 'no match' : ''; render(); }
}
function gotoMatch(i) {
  const n = state.matches.length; if (!n) return;
  state.match = (i + n) % n; const m = state.matches[state.match];
  if (m.sample !== state.sample) { const q = state.query; showSample(m.sample); state.query = q; }
  scrollToSpan(m.span);
  searchStatus.textContent = `match ${state.match + 1} of ${n.toLocaleString('en')}${n >= 10000 ? '+' : ''}`;
}
let searchTimer = 0;
searchBox.addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => search(searchBox.value), 250); });
searchBox.addEventListener('keydown', e => { if (e.key === 'Enter') { clearTimeout(searchTimer); if (state.query !== searchBox.value.trim()) search(searchBox.value); else gotoMatch(state.match + (e.shiftKey ? -1 : 1)); } });
document.getElementById('search-prev').addEventListener('click', () => gotoMatch(state.match - 1));
document.getElementById('search-next').addEventListener('click', () => gotoMatch(state.match + 1));
report.viewer = { state, showSample, jumpMeta, search, gotoMatch };
{
  const probe = h('span', { class: 'piece', style: 'position:absolute;visibility:hidden;white-space:pre;font-size:12.5px' }, 'x'.repeat(100));
  viewer.appendChild(probe); charWidth = probe.getBoundingClientRect().width / 100 || 7; probe.remove();
}
if (samples.length) showSample(0);
