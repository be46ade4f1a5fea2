// Reference token ids from OpenAI's tiktoken (npm `tiktoken`: the Rust crate built to WebAssembly), encoded as
// encode_ordinary does (special-token strings are plain text), without BOS/EOS.
// stdin: {"encoding": "cl100k_base" | "o200k_base" | "llama3", "texts": [string, ...]}.
// stdout: a JSON array of id arrays.
// cl100k_base uses the pattern tiktoken_ext/openai_public.py has now (possessive quantifiers; the package's own
// copy is the older form, which splits a text-final whitespace run differently). llama3 is Meta's tokenizer.py:
// tiktoken with Llama 3's pattern and ranks, the ranks read from the tokenizer.json fetch-llama3.sh fetched.
// Needs tools/tokenizers/fetch-tiktoken.sh (and for llama3 fetch-llama3.sh); resolves the cache as TokenizerCache.cs.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const cache = process.env.NEXTLONG_CACHE
  || (process.env.XDG_CACHE_HOME ? join(process.env.XDG_CACHE_HOME, "nextlong") : join(homedir(), ".cache", "nextlong"));
const nodeDir = join(cache, "tokenizers", "tiktoken", "node");
const require = createRequire(join(nodeDir, "package.json"));
let tiktoken;
try {
  tiktoken = require("tiktoken");
} catch {
  console.error(`tiktoken-ids: tiktoken is not installed in ${nodeDir}; run tools/tokenizers/fetch-tiktoken.sh`);
  process.exit(2);
}

const CL100K_PATTERN = String.raw`'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`;
const LLAMA3_PATTERN = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

function openai(name, pattern) {
  const data = require(`tiktoken/encoders/${name}.json`);
  return new tiktoken.Tiktoken(data.bpe_ranks, data.special_tokens, pattern ?? data.pat_str);
}

// Llama 3's tokenizer.json vocab is byte-level BPE with rank = id: map each string back to bytes through GPT-2's
// byte<->unicode table and write tiktoken's "base64 rank" lines.
function llama3() {
  const path = join(cache, "tokenizers", "llama3", "tokenizer.json");
  let json;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    console.error(`tiktoken-ids: ${path} is missing; run tools/tokenizers/fetch-llama3.sh`);
    process.exit(2);
  }
  const byteOf = new Map();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    byteOf.set(String.fromCodePoint(printable ? b : 256 + n++), b);
  }
  const lines = Object.entries(json.model.vocab)
    .sort((a, b) => a[1] - b[1])
    .map(([token, id]) => Buffer.from([...token].map((c) => byteOf.get(c))).toString("base64") + " " + id);
  return new tiktoken.Tiktoken(lines.join("\n") + "\n", {}, LLAMA3_PATTERN);
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const { encoding, texts } = JSON.parse(input);
const encoder = encoding === "cl100k_base" ? openai("cl100k_base", CL100K_PATTERN)
  : encoding === "o200k_base" ? openai("o200k_base")
  : encoding === "llama3" ? llama3()
  : (console.error(`tiktoken-ids: unknown encoding ${encoding}`), process.exit(2));
process.stdout.write(JSON.stringify(texts.map((text) => Array.from(encoder.encode_ordinary(text)))));
encoder.free();
