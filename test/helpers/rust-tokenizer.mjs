// The token-id oracle: Hugging Face's own Rust tokenizer (npm `tokenizers`, the library that
// Python's sentence-transformers runs), loading the tokenizer.json of the same model folder.
// transformers.js departs from it (it applies the Precompiled normalizer to the whole text, Rust
// grapheme cluster by grapheme cluster; it lower-cases BERT text with JavaScript's final-sigma
// rule), so it is no longer the reference for ids.
import { Tokenizer } from 'tokenizers';

const cache = new Map();

/** Rust's tokenizer for `dir`, truncating at `maxLength` tokens (specials included) when given. */
export function rustTokenizer(dir, maxLength) {
  const key = `${dir}\0${maxLength ?? ''}`;
  if (!cache.has(key)) {
    const tokenizer = Tokenizer.fromFile(`${dir}/tokenizer.json`);
    if (maxLength !== undefined) tokenizer.setTruncation(maxLength);
    cache.set(key, tokenizer);
  }
  return cache.get(key);
}

/**
 * Rust's ids for each text (or [a, b] pair), as sentence-transformers computes them: with
 * do_lower_case the text is lower-cased in Python (str.lower(), which JavaScript's toLowerCase
 * matches, final sigma and İ included) before the tokenizer sees it.
 */
export async function rustIds(dir, inputs, { maxLength, lowerCase = false } = {}) {
  const tokenizer = rustTokenizer(dir, maxLength);
  const lower = (s) => (lowerCase ? s.toLowerCase() : s);
  const out = [];
  for (const input of inputs) {
    const encoding = Array.isArray(input)
      ? await tokenizer.encode(lower(input[0]), lower(input[1]))
      : await tokenizer.encode(lower(input));
    out.push({ ids: Array.from(encoding.getIds()), typeIds: Array.from(encoding.getTypeIds()), overflowing: encoding.getOverflowing().length > 0 });
  }
  return out;
}
