// A WordPiece model folder with its vocabulary replaced: tokenizer.json (model vocab, added tokens'
// and the post-processor's special ids renumbered) and vocab.txt rewritten from `tokens`, in order
// (a repeated token keeps its first id), for tests that compare with Hugging Face's Rust tokenizer.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `tokens` as the vocabulary of the WordPiece folder `dir`, whose tokenizer.json was `base`; returns token → id. */
export function writeVocabulary(dir, base, tokens, { continuingPrefix } = {}) {
  const vocab = Object.fromEntries([...new Set(tokens)].map((tok, id) => [tok, id]));
  const json = { ...base, model: { ...base.model, vocab, ...(continuingPrefix === undefined ? {} : { continuing_subword_prefix: continuingPrefix }) } };
  json.added_tokens = base.added_tokens.map((a) => ({ ...a, id: vocab[a.content] }));
  if (json.post_processor?.special_tokens) {
    for (const [k, v] of Object.entries(json.post_processor.special_tokens)) json.post_processor.special_tokens[k] = { ...v, ids: [vocab[k]] };
  }
  if (json.post_processor?.cls) json.post_processor.cls = ['[CLS]', vocab['[CLS]']];
  if (json.post_processor?.sep) json.post_processor.sep = ['[SEP]', vocab['[SEP]']];
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'vocab.txt'), Object.keys(vocab).join('\n') + '\n');
  return vocab;
}
