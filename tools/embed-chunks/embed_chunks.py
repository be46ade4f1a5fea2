#!/usr/bin/env python3
"""Embeds the chunk shards of `nextlong chunks` where you embed (a GPU node, a Slurm array task), writing one
`emb-NNNNN.npy` per shard (rows in the shard's order, L2-normalised) that `nextlong index --vectors` reads.

  nextlong chunks --input 'data/*.parquet' --out chunks --shard-chunks 1000000
  python3 embed_chunks.py chunks --out emb --model jinaai/jina-embeddings-v3 --trust-remote-code \\
      --task text-matching --max-length 8192 --dtype float16
  nextlong index --input 'data/*.parquet' --out idx --vectors emb --vectors-model jina-embeddings-v3

Backends (--backend, default auto: sentence-transformers when importable, else transformers):
  sentence-transformers  SentenceTransformer(MODEL).encode(texts, task=..., prompt_name=..., normalize_embeddings=True)
  transformers           AutoTokenizer + AutoModel, mean or CLS pooling as the model's 1_Pooling/config.json says
  http                   a running server: Text Embeddings Inference (--api tei: POST URL/embed) or any
                         OpenAI-compatible one, vLLM and TEI included (--api openai: POST URL/v1/embeddings)

Shards: all of them, or as one task of W (--rank R --world-size W, by default from a Slurm job array's
SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT) the shards s with s mod W = R. A shard whose
vectors exist and were made with the same settings is skipped, so a requeued or rerun task only does what is left.
The chunks' manifest.json is copied into the output folder: it tells `nextlong index --vectors` which chunks these
vectors belong to, and a folder already holding vectors of other chunks is refused.

Reads Parquet shards with pyarrow, .jsonl.zst shards (`nextlong chunks --shard-format jsonl.zst`) with zstandard;
needs numpy. Memory holds --read-rows texts and their vectors; the output is written in place through a memory map.
"""
import argparse
import io
import json
import math
import os
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np

SETTINGS_KEYS = ('backend', 'model', 'task', 'prompt_name', 'max_length', 'dim', 'pooling', 'dtype', 'api')


def fail(message):
    print(f'embed_chunks: error: {message}', file=sys.stderr)
    sys.exit(1)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('chunks', help='the folder `nextlong chunks` wrote (manifest.json and chunks-NNNNN shards)')
    p.add_argument('--out', required=True, help='folder for emb-NNNNN.npy (+ emb-NNNNN.json) and a copy of manifest.json')
    p.add_argument('--model', required=True, help='model name or folder (sentence-transformers, transformers), or the name the server expects (http)')
    p.add_argument('--backend', choices=['auto', 'sentence-transformers', 'transformers', 'http'], default='auto')
    p.add_argument('--task', help='task adapter of a multi-task model, e.g. text-matching or retrieval.passage for jina-embeddings-v3 (sentence-transformers)')
    p.add_argument('--prompt-name', help='prompt of the model to prepend (sentence-transformers; default: the --task, for jina-embeddings-v3)')
    p.add_argument('--max-length', type=int, help='tokens per text before truncation (default: the model\'s)')
    p.add_argument('--dim', type=int, help='keep the first N dimensions (Matryoshka models such as jina-embeddings-v3), then normalise')
    p.add_argument('--pooling', choices=['mean', 'cls'], help='transformers backend: pooling (default: the model\'s 1_Pooling/config.json, else mean)')
    p.add_argument('--dtype', choices=['float32', 'float16'], default='float32', help='type of the .npy files')
    p.add_argument('--batch-size', type=int, default=64, help='texts per forward pass or per request')
    p.add_argument('--read-rows', type=int, default=16384, help='texts read and embedded at a time (bounds memory)')
    p.add_argument('--device', help='torch device, e.g. cuda, cuda:1, cpu (default: cuda when available)')
    p.add_argument('--trust-remote-code', action='store_true', help='let the model run its own code (jina-embeddings-v3 needs it)')
    p.add_argument('--url', help='http backend: the server, e.g. http://localhost:8080')
    p.add_argument('--api', choices=['tei', 'openai'], default='tei', help='http backend: TEI\'s /embed or the OpenAI-compatible /v1/embeddings')
    p.add_argument('--concurrency', type=int, default=4, help='http backend: requests in flight')
    p.add_argument('--timeout', type=float, default=600, help='http backend: seconds per request')
    p.add_argument('--rank', type=int, help='this task\'s share of the shards (default: from SLURM_ARRAY_TASK_ID, else 0)')
    p.add_argument('--world-size', type=int, help='tasks sharing the shards (default: SLURM_ARRAY_TASK_COUNT, else 1)')
    p.add_argument('--overwrite', action='store_true', help='embed every shard of this task again, even if its vectors exist')
    a = p.parse_args(argv)
    if a.rank is None and a.world_size is None and 'SLURM_ARRAY_TASK_ID' in os.environ:
        a.rank = int(os.environ['SLURM_ARRAY_TASK_ID']) - int(os.environ.get('SLURM_ARRAY_TASK_MIN', '0'))
        a.world_size = int(os.environ['SLURM_ARRAY_TASK_COUNT'])
    a.rank = 0 if a.rank is None else a.rank
    a.world_size = 1 if a.world_size is None else a.world_size
    if a.world_size < 1 or not 0 <= a.rank < a.world_size:
        fail(f'--rank must be in [0, --world-size) and --world-size >= 1 (got {a.rank} of {a.world_size})')
    for name in ('batch_size', 'read_rows', 'concurrency'):
        if getattr(a, name) < 1:
            fail(f'--{name.replace("_", "-")} must be >= 1 (got {getattr(a, name)})')
    for name in ('max_length', 'dim'):
        if getattr(a, name) is not None and getattr(a, name) < 1:
            fail(f'--{name.replace("_", "-")} must be >= 1 (got {getattr(a, name)})')
    if a.backend == 'auto':
        a.backend = 'sentence-transformers' if importable('sentence_transformers') else 'transformers'
    if a.backend == 'http' and not a.url:
        fail('--backend http needs --url')
    if a.backend != 'http' and a.url:
        fail(f'--url is for --backend http, not {a.backend}')
    if a.backend != 'sentence-transformers' and (a.task or a.prompt_name):
        fail(f'--task and --prompt-name need --backend sentence-transformers (got {a.backend})')
    if a.backend != 'transformers' and a.pooling:
        fail(f'--pooling is for --backend transformers (got {a.backend})')
    if a.task and not a.prompt_name:
        a.prompt_name = a.task
    return a


def importable(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def torch_device(requested):
    import torch
    return requested or ('cuda' if torch.cuda.is_available() else 'cpu')


class SentenceTransformersEncoder:
    def __init__(self, a):
        from sentence_transformers import SentenceTransformer
        self.model = SentenceTransformer(a.model, device=torch_device(a.device), trust_remote_code=a.trust_remote_code, truncate_dim=a.dim)
        if a.max_length:
            self.model.max_seq_length = a.max_length
        self.kwargs = {k: v for k, v in (('task', a.task), ('prompt_name', a.prompt_name)) if v}
        self.batch_size = a.batch_size

    def encode(self, texts):
        return self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False, **self.kwargs)


class TransformersEncoder:
    def __init__(self, a):
        import torch
        from transformers import AutoModel, AutoTokenizer
        self.torch = torch
        self.device = torch_device(a.device)
        self.tokenizer = AutoTokenizer.from_pretrained(a.model, trust_remote_code=a.trust_remote_code)
        self.model = AutoModel.from_pretrained(a.model, trust_remote_code=a.trust_remote_code).to(self.device).eval()
        self.pooling = a.pooling or model_pooling(a.model)
        self.max_length = a.max_length or min(self.tokenizer.model_max_length, 1 << 20)
        self.batch_size = a.batch_size

    def encode(self, texts):
        torch = self.torch
        out = []
        # Longest first within the call, so a batch pads little; rows go back to the caller's order.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = [texts[i] for i in order[start:start + self.batch_size]]
                enc = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length, return_tensors='pt').to(self.device)
                hidden = self.model(**enc).last_hidden_state
                if self.pooling == 'cls':
                    pooled = hidden[:, 0]
                else:
                    mask = enc['attention_mask'].unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
                out.append(pooled.float().cpu().numpy())
        vectors = np.concatenate(out) if out else np.zeros((0, 0), np.float32)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result


def model_pooling(model):
    """mean or cls, as sentence-transformers' 1_Pooling/config.json of a local model folder says; mean otherwise."""
    path = os.path.join(model, '1_Pooling', 'config.json')
    if os.path.isfile(path):
        with open(path) as f:
            config = json.load(f)
        if config.get('pooling_mode_cls_token'):
            return 'cls'
    return 'mean'


class HttpEncoder:
    """Text Embeddings Inference (POST /embed) or an OpenAI-compatible server (POST /v1/embeddings: vLLM, TEI, ...)."""

    def __init__(self, a):
        self.url = a.url.rstrip('/') + ('/embed' if a.api == 'tei' else '/v1/embeddings')
        self.api, self.model, self.dim = a.api, a.model, a.dim
        self.batch_size, self.timeout = a.batch_size, a.timeout
        self.pool = ThreadPoolExecutor(a.concurrency)

    def encode(self, texts):
        batches = [texts[i:i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        parts = list(self.pool.map(self.request, batches))
        return np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)

    def request(self, texts):
        if self.api == 'tei':
            body = {'inputs': texts, 'normalize': True, 'truncate': True}
        else:
            body = {'model': self.model, 'input': texts, 'encoding_format': 'float'}
            if self.dim:
                body['dimensions'] = self.dim
        data = json.dumps(body).encode()
        for attempt in range(5):
            try:
                req = urllib.request.Request(self.url, data=data, headers={'Content-Type': 'application/json'})
                with urllib.request.urlopen(req, timeout=self.timeout) as response:
                    answer = json.load(response)
                break
            except urllib.error.HTTPError as e:
                # 429 and 5xx are the server's load or restart: wait and retry; anything else is a real refusal.
                if e.code != 429 and e.code < 500 or attempt == 4:
                    fail(f'{self.url}: HTTP {e.code}: {e.read()[:500].decode(errors="replace")}')
            except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
                if attempt == 4:
                    fail(f'{self.url}: {e}')
            time.sleep(2 ** attempt)
        if self.api == 'tei':
            rows = answer
        else:
            rows = [item['embedding'] for item in sorted(answer['data'], key=lambda item: item['index'])]
        if len(rows) != len(texts):
            fail(f'{self.url}: {len(rows)} vectors for {len(texts)} texts')
        return np.asarray(rows, dtype=np.float32)


def read_shard(path, rows_at_a_time):
    """Yields (chunk_ids, texts) blocks of a chunk shard, in row order."""
    if path.endswith('.parquet'):
        import pyarrow.parquet as pq
        for batch in pq.ParquetFile(path).iter_batches(batch_size=rows_at_a_time, columns=['chunk_id', 'text']):
            yield batch.column(0).to_numpy(), batch.column(1).to_pylist()
    elif path.endswith('.jsonl.zst'):
        import zstandard
        with open(path, 'rb') as raw, zstandard.ZstdDecompressor().stream_reader(raw) as stream:
            ids, texts = [], []
            for line_number, line in enumerate(io.TextIOWrapper(stream, encoding='utf-8'), 1):
                try:
                    row = json.loads(line)
                    ids.append(row['chunk_id'])
                    texts.append(row['text'])
                except (ValueError, KeyError) as e:
                    fail(f'{path} line {line_number}: not a chunk row ({e})')
                if len(texts) == rows_at_a_time:
                    yield np.asarray(ids, np.int64), texts
                    ids, texts = [], []
            if texts:
                yield np.asarray(ids, np.int64), texts
    else:
        fail(f'{path}: not a chunk shard (.parquet or .jsonl.zst)')


def normalise(vectors, dim):
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2:
        fail(f'the encoder returned an array of shape {vectors.shape}, not (texts, dimension)')
    if dim:
        if dim > vectors.shape[1]:
            fail(f'--dim {dim} exceeds the model\'s {vectors.shape[1]} dimensions')
        vectors = vectors[:, :dim]
    if not np.isfinite(vectors).all():
        fail('the encoder returned a non-finite value')
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # A zero vector (nothing to embed) stays zero, as nextlong's own embedders leave it.
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)


def write_atomic(path, text):
    temp = f'{path}.{os.getpid()}.tmp'
    with open(temp, 'w') as f:
        f.write(text)
    os.replace(temp, path)


def settings_of(a):
    return {k: getattr(a, k) for k in SETTINGS_KEYS if getattr(a, k) is not None and (a.backend == 'http' or k != 'api')}


def embed_shard(a, encoder, chunks_dir, shard, index, settings):
    name = f'emb-{index:05d}'
    out_path, info_path = os.path.join(a.out, name + '.npy'), os.path.join(a.out, name + '.json')
    wanted = {'shard': shard['file'], 'first_chunk': shard['first_chunk'], 'rows': shard['rows'], 'xxh64': shard['xxh64'], 'settings': settings}
    if not a.overwrite and os.path.isfile(out_path) and os.path.isfile(info_path):
        with open(info_path) as f:
            done = json.load(f)
        if {k: done.get(k) for k in wanted} == wanted:
            print(f'embed_chunks: {name}.npy is up to date ({shard["rows"]} rows); skipped', file=sys.stderr)
            return
    temp = out_path + '.tmp'
    clock = time.monotonic()
    output, row = None, 0
    path = os.path.join(chunks_dir, shard['file'])
    for ids, texts in read_shard(path, a.read_rows):
        expected = np.arange(shard['first_chunk'] + row, shard['first_chunk'] + row + len(ids), dtype=np.int64)
        if row + len(ids) > shard['rows'] or not np.array_equal(np.asarray(ids, np.int64), expected):
            fail(f'{path} row {row}: chunk ids do not follow the manifest (shard of {shard["rows"]} rows from chunk {shard["first_chunk"]}); was the shard replaced?')
        vectors = normalise(encoder.encode(texts), a.dim)
        if len(vectors) != len(texts):
            fail(f'the encoder returned {len(vectors)} vectors for {len(texts)} texts')
        if output is None:
            output = np.lib.format.open_memmap(temp, mode='w+', dtype=np.dtype(a.dtype).newbyteorder('<'), shape=(shard['rows'], vectors.shape[1]))
        elif vectors.shape[1] != output.shape[1]:
            fail(f'the encoder returned {vectors.shape[1]}-d vectors after {output.shape[1]}-d ones')
        output[row:row + len(vectors)] = vectors
        row += len(vectors)
        print(f'embed_chunks: {name}: {row}/{shard["rows"]} rows', file=sys.stderr)
    if row != shard['rows']:
        fail(f'{path}: {row} rows, but the manifest says {shard["rows"]}; was the shard replaced?')
    if output is None:
        fail(f'{path}: an empty shard')
    output.flush()
    del output
    os.replace(temp, out_path)
    seconds = time.monotonic() - clock
    write_atomic(info_path, json.dumps({**wanted, 'dimension': int(np.load(out_path, mmap_mode='r').shape[1]), 'seconds': round(seconds, 3)}, indent=1) + '\n')
    print(f'embed_chunks: {name}.npy: {row} vectors in {seconds:.1f} s ({row / max(seconds, 1e-9):.1f}/s)', file=sys.stderr)


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    manifest_path = os.path.join(a.chunks, 'manifest.json')
    try:
        with open(manifest_path, 'rb') as f:
            manifest_bytes = f.read()
        manifest = json.loads(manifest_bytes)
        shards = manifest['shards']
    except (OSError, ValueError, KeyError) as e:
        fail(f'{manifest_path}: not the manifest of a `nextlong chunks` folder ({e})')
    os.makedirs(a.out, exist_ok=True)
    copy = os.path.join(a.out, 'manifest.json')
    if os.path.isfile(copy):
        with open(copy, 'rb') as f:
            if f.read() != manifest_bytes:
                fail(f'{a.out} holds vectors of other chunks ({copy} differs from {manifest_path}); use another --out')
    else:
        temp = f'{copy}.{os.getpid()}.tmp'
        with open(temp, 'wb') as f:
            f.write(manifest_bytes)
        os.replace(temp, copy)
    mine = [i for i in range(len(shards)) if i % a.world_size == a.rank]
    if not mine:
        print(f'embed_chunks: task {a.rank} of {a.world_size}: no shard (there are {len(shards)})', file=sys.stderr)
        return 0
    encoder = {'sentence-transformers': SentenceTransformersEncoder, 'transformers': TransformersEncoder, 'http': HttpEncoder}[a.backend](a)
    settings = settings_of(a)
    for i in mine:
        embed_shard(a, encoder, a.chunks, shards[i], i, settings)
    return 0


if __name__ == '__main__':
    sys.exit(main())
