#!/usr/bin/env python3
"""Embeds the chunk shards of `nextlong chunks` where you embed (a GPU node, a Slurm array task), writing one
`emb-NNNNN.npy` per shard (rows in the shard's order, L2-normalised) that `nextlong index --vectors` reads.

  nextlong chunks --input 'data/*.parquet' --out chunks --shard-chunks 1000000
  python3 embed_chunks.py chunks --out emb --model jinaai/jina-embeddings-v3 --trust-remote-code \\
      --task text-matching --max-length 8192 --dtype float16
  nextlong index --input 'data/*.parquet' --out idx --vectors emb --vectors-model jina-embeddings-v3

Backends (--backend, default auto: sentence-transformers when importable, else transformers):
  sentence-transformers  SentenceTransformer(MODEL): its tokenize (with the --prompt-name prompt) and forward (with
                         the --task adapter), as its encode() calls them
  transformers           AutoTokenizer + AutoModel, mean or CLS pooling as the model's 1_Pooling/config.json says
  tiny-random            --model tiny-random:SEED, a tiny transformer with seeded random weights and a byte
                         tokenizer, built here: it tests the pipeline (needs only torch); its vectors mean nothing
  http                   a running server: Text Embeddings Inference (--api tei: POST URL/embed) or any
                         OpenAI-compatible one, vLLM and TEI included (--api openai: POST URL/v1/embeddings)
The three torch backends share one path (device, --precision, length-sorted batches, padding, truncation at
--max-length) and differ only in how the model is loaded, tokenizes and is called.

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

SETTINGS_KEYS = ('backend', 'model', 'task', 'prompt_name', 'max_length', 'dim', 'pooling', 'precision', 'dtype', 'api')


def fail(message):
    print(f'embed_chunks: error: {message}', file=sys.stderr)
    sys.exit(1)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('chunks', help='the folder `nextlong chunks` wrote (manifest.json and chunks-NNNNN shards)')
    p.add_argument('--out', required=True, help='folder for emb-NNNNN.npy (+ emb-NNNNN.json) and a copy of manifest.json')
    p.add_argument('--model', required=True, help='model name or folder (sentence-transformers, transformers), the name the server expects (http), or tiny-random:SEED (tiny-random)')
    p.add_argument('--backend', choices=['auto', 'sentence-transformers', 'transformers', 'tiny-random', 'http'], default='auto')
    p.add_argument('--task', help='task adapter of a multi-task model, e.g. text-matching or retrieval.passage for jina-embeddings-v3 (sentence-transformers)')
    p.add_argument('--prompt-name', help='prompt of the model to prepend (sentence-transformers; default: the --task, for jina-embeddings-v3)')
    p.add_argument('--max-length', type=int, help='tokens per text before truncation (default: the model\'s)')
    p.add_argument('--dim', type=int, help='keep the first N dimensions (Matryoshka models such as jina-embeddings-v3), then normalise')
    p.add_argument('--pooling', choices=['mean', 'cls'], help='transformers backend: pooling (default: the model\'s 1_Pooling/config.json, else mean)')
    p.add_argument('--dtype', choices=['float32', 'float16'], default='float32', help='type of the .npy files')
    p.add_argument('--precision', choices=['auto', 'float32', 'float16', 'bfloat16'], help='the model\'s weights and arithmetic (torch backends; default auto: float16 on CUDA, float32 on CPU)')
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
        if tiny_seed(a.model) is not None:
            a.backend = 'tiny-random'
        else:
            a.backend = 'sentence-transformers' if importable('sentence_transformers') else 'transformers'
    if (a.backend == 'tiny-random') != (tiny_seed(a.model) is not None):
        fail(f'--model tiny-random:SEED goes with --backend tiny-random, and only it (got --model {a.model} with {a.backend})')
    if a.backend == 'http' and not a.url:
        fail('--backend http needs --url')
    if a.backend != 'http' and a.url:
        fail(f'--url is for --backend http, not {a.backend}')
    if a.backend != 'sentence-transformers' and (a.task or a.prompt_name):
        fail(f'--task and --prompt-name need --backend sentence-transformers (got {a.backend})')
    if a.backend != 'transformers' and a.pooling:
        fail(f'--pooling is for --backend transformers (got {a.backend})')
    if a.backend == 'http' and a.precision:
        fail('--precision is for the torch backends; a server chooses its own (got --backend http)')
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


class TorchEncoder:
    """The one path of the torch backends, which differ only in the model they wrap (how it is loaded, tokenizes and
    is called): device, compute precision, batches of similar length, padding and truncation at the model's max
    length, rows back in the caller's order. The tiny-random backend runs this path in the tests."""

    def __init__(self, a, model):
        import torch
        self.torch = torch
        self.device = torch_device(a.device)
        if a.precision in (None, 'auto'):
            # Half precision is what GPUs embed at (TEI's default too); CPUs lack many float16 kernels.
            a.precision = 'float16' if self.device.startswith('cuda') else 'float32'
        self.model = model
        model.module.to(device=self.device, dtype=getattr(torch, a.precision)).eval()
        self.batch_size = a.batch_size

    def encode(self, texts):
        torch = self.torch
        out = []
        # Longest first within the call, so a batch pads little; rows go back to the caller's order.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                features = self.model.tokenize([texts[i] for i in order[start:start + self.batch_size]])
                features = {k: v.to(self.device) if torch.is_tensor(v) else v for k, v in features.items()}
                out.append(self.model.embed(features).float().cpu().numpy())
        vectors = np.concatenate(out) if out else np.zeros((0, 0), np.float32)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result


def pool(hidden, attention_mask, pooling):
    """The text's vector from its tokens' hidden states: the first (CLS) token's, or the mean over the attention
    mask (padding excluded), summed in float32 so a long half-precision text cannot overflow."""
    if pooling == 'cls':
        return hidden[:, 0]
    mask = attention_mask.unsqueeze(-1).float()
    return (hidden.float() * mask).sum(1) / mask.sum(1).clamp(min=1)


class SentenceTransformersModel:
    """SentenceTransformer's own tokenize and forward, as its encode() calls them: the prompt prepended (its token
    count passed on for models that pool without it), the task adapter passed to the forward pass."""

    def __init__(self, a):
        from sentence_transformers import SentenceTransformer
        self.module = SentenceTransformer(a.model, device='cpu', trust_remote_code=a.trust_remote_code)
        if a.max_length:
            self.module.max_seq_length = a.max_length
        name = a.prompt_name or self.module.default_prompt_name
        self.prompt = self.module.prompts.get(name) if name else None
        if a.prompt_name and self.prompt is None:
            fail(f'{a.model} has no prompt {a.prompt_name!r} (it has {sorted(self.module.prompts)})')
        self.extra = {}
        if self.prompt is not None:
            prompt_ids = self.module.tokenize([self.prompt]).get('input_ids')
            if prompt_ids is not None:
                self.extra['prompt_length'] = prompt_ids.shape[-1] - 1
        self.kwargs = {'task': a.task} if a.task else {}

    def tokenize(self, texts):
        features = self.module.tokenize(texts if self.prompt is None else [self.prompt + t for t in texts])
        features.update(self.extra)
        return features

    def embed(self, features):
        return self.module(features, **self.kwargs)['sentence_embedding']


class TransformersModel:
    """AutoTokenizer + AutoModel, pooled as the model's 1_Pooling/config.json says (or --pooling)."""

    def __init__(self, a):
        from transformers import AutoModel, AutoTokenizer
        self.tokenizer = AutoTokenizer.from_pretrained(a.model, trust_remote_code=a.trust_remote_code)
        self.module = AutoModel.from_pretrained(a.model, trust_remote_code=a.trust_remote_code)
        self.pooling = a.pooling or model_pooling(a.model)
        self.max_length = a.max_length or min(self.tokenizer.model_max_length, 1 << 20)

    def tokenize(self, texts):
        return dict(self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors='pt'))

    def embed(self, features):
        return pool(self.module(**features).last_hidden_state, features['attention_mask'], self.pooling)


def model_pooling(model):
    """mean or cls, as sentence-transformers' 1_Pooling/config.json of a local model folder says; mean otherwise."""
    path = os.path.join(model, '1_Pooling', 'config.json')
    if os.path.isfile(path):
        with open(path) as f:
            config = json.load(f)
        if config.get('pooling_mode_cls_token'):
            return 'cls'
    return 'mean'


TINY_PREFIX = 'tiny-random:'
TINY_MAX_LENGTH = 512


def tiny_seed(model):
    """The seed of a `tiny-random:SEED` model name, or None for any other name."""
    if not model.startswith(TINY_PREFIX):
        return None
    seed = model[len(TINY_PREFIX):]
    if not seed.isdigit():
        fail(f'--model {model}: the tiny random model is tiny-random:SEED, SEED a non-negative integer')
    return int(seed)


def tiny_token_ids(text, max_length):
    """The tiny model's tokenizer: a CLS token (1), then the text's UTF-8 bytes b as b + 2, cut at max_length tokens."""
    return [1] + [b + 2 for b in text.encode('utf-8')[:max_length - 1]]


def tiny_random_module(seed):
    """A small transformer encoder (byte embeddings + sinusoidal positions, two layers, 32 dimensions) whose weights
    are drawn from torch's generator seeded with SEED on the CPU, so every machine builds the same model. It
    tests the pipeline; its vectors mean nothing."""
    import torch
    from torch import nn

    class TinyEncoder(nn.Module):
        def __init__(self, width=32):
            super().__init__()
            self.width = width
            self.embedding = nn.Embedding(258, width, padding_idx=0)
            layer = nn.TransformerEncoderLayer(width, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)

        def forward(self, input_ids, attention_mask=None):
            half = self.width // 2
            position = torch.arange(input_ids.shape[1], device=input_ids.device, dtype=torch.float32).unsqueeze(1)
            angle = position * torch.exp(torch.arange(half, device=input_ids.device) * (-math.log(10000.0) / half))
            hidden = self.embedding(input_ids) + torch.cat([angle.sin(), angle.cos()], 1).to(self.embedding.weight.dtype)
            padding = None if attention_mask is None else attention_mask == 0
            return self.encoder(hidden, src_key_padding_mask=padding)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return TinyEncoder()


class TinyRandomModel:
    """--model tiny-random:SEED: the tiny random encoder, its byte tokenizer padded to the batch's longest text with
    an attention mask, as a Hugging Face tokenizer pads, and mean pooling."""

    def __init__(self, a):
        import torch
        self.torch = torch
        self.module = tiny_random_module(tiny_seed(a.model))
        self.max_length = a.max_length or TINY_MAX_LENGTH

    def tokenize(self, texts):
        rows = [tiny_token_ids(t, self.max_length) for t in texts]
        width = max(map(len, rows))
        ids = self.torch.zeros((len(rows), width), dtype=self.torch.long)
        mask = self.torch.zeros((len(rows), width), dtype=self.torch.long)
        for r, row in enumerate(rows):
            ids[r, :len(row)] = self.torch.tensor(row)
            mask[r, :len(row)] = 1
        return {'input_ids': ids, 'attention_mask': mask}

    def embed(self, features):
        return pool(self.module(features['input_ids'], features['attention_mask']), features['attention_mask'], 'mean')


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
    if a.backend == 'http':
        encoder = HttpEncoder(a)
    else:
        models = {'sentence-transformers': SentenceTransformersModel, 'transformers': TransformersModel, 'tiny-random': TinyRandomModel}
        encoder = TorchEncoder(a, models[a.backend](a))
    settings = settings_of(a)
    for i in mine:
        embed_shard(a, encoder, a.chunks, shards[i], i, settings)
    return 0


if __name__ == '__main__':
    sys.exit(main())
