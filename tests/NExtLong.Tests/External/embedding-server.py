#!/usr/bin/python3
"""An embedding server on 127.0.0.1 for testing tools/embed-chunks/embed_chunks.py's http backend: it answers Text
Embeddings Inference's POST /embed and the OpenAI-compatible POST /v1/embeddings (what vLLM and TEI serve) as those
servers do, with a fixed model that EmbedChunksScriptTests recomputes independently in C#:

    raw(text)[j] = sum over the text's UTF-8 bytes b_k (k = 0, 1, ...) of sin(0.37 b_k + 1.3 j + 0.011 k),  j < 16

/embed returns raw L2-normalised ("normalize", default true, as TEI); /v1/embeddings returns raw, truncated to
"dimensions" when given, not normalised (servers differ: the client normalises), listed last input first (clients
must order by "index"). Prints the port it listens on, then serves until stdin closes. Needs python3-numpy.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

DIMENSION = 16


def raw(text):
    b = np.frombuffer(text.encode('utf-8'), dtype=np.uint8).astype(np.float64)
    k = np.arange(len(b), dtype=np.float64)
    j = np.arange(DIMENSION, dtype=np.float64)
    return np.sin(0.37 * b[:, None] + 1.3 * j[None, :] + 0.011 * k[:, None]).sum(axis=0)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
        if self.path == '/embed':
            texts = body['inputs'] if isinstance(body['inputs'], list) else [body['inputs']]
            vectors = [raw(t) for t in texts]
            if body.get('normalize', True):
                vectors = [v / (np.linalg.norm(v) or 1) for v in vectors]
            self.answer([v.tolist() for v in vectors])
        elif self.path == '/v1/embeddings':
            texts = body['input'] if isinstance(body['input'], list) else [body['input']]
            dims = body.get('dimensions', DIMENSION)
            data = [{'object': 'embedding', 'index': i, 'embedding': raw(t)[:dims].tolist()} for i, t in enumerate(texts)]
            self.answer({'object': 'list', 'model': body['model'], 'data': data[::-1], 'usage': {'prompt_tokens': 0, 'total_tokens': 0}})
        else:
            self.send_error(404)

    def answer(self, value):
        data = json.dumps(value).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
server.shutdown()
