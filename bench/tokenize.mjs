// Tokenization speed on the realistic corpus: sentvec vs transformers.js's tokenizer vs
// @agnai/sentencepiece-js (WASM SentencePiece; plain spm ids, no XLM-R mapping), same model files;
// then WordPiece (the LaBSE twin's 501,153-token cased vocabulary): sentvec vs transformers.js.
//   npm run bench -- tokenize [--rounds N --model mpnet-base-twin]
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { SentencePieceProcessor } from '@agnai/sentencepiece-js';
import { realisticCorpus } from '../scripts/model/corpus.mjs';
import { ensureModel, testTwin } from '../scripts/model/generate.mjs';
import { MODELS, sentvec, time } from './common.mjs';

export async function run(args) {
  const { values } = parseArgs({ args, options: { rounds: { type: 'string', default: '5' }, model: { type: 'string', default: 'mpnet-base-twin' } } });
  const rounds = Number(values.rounds);
  const dir = MODELS[values.model]();
  const lines = realisticCorpus();
  // A 512-token limit: no line is cut, so every tokenizer does the whole work.
  const model = await sentvec.Model.load(dir, { maxSeqLength: 512 });
  const tokens = (await model.tokenize(lines)).reduce((n, t) => n + t.ids.length, 0);
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(dir)}/`;
  const hf = await AutoTokenizer.from_pretrained(basename(dir));
  const spm = new SentencePieceProcessor();
  await spm.load(join(dir, 'sentencepiece.bpe.model'));
  const ours = await time(rounds, () => model.tokenize(lines));
  const theirs = await time(rounds, () => { for (const line of lines) hf.encode(line); });
  const wasm = await time(rounds, () => { for (const line of lines) spm.encodeIds(line); });
  model.dispose();
  const rate = (n, ms) => +(n / ms * 1000).toFixed(0);

  const wpDir = ensureModel('twin-sentence-transformers_LaBSE', testTwin('sentence-transformers/LaBSE'));
  const wp = await sentvec.Model.load(wpDir, { maxSeqLength: 512 });
  const wpTokens = (await wp.tokenize(lines)).reduce((n, t) => n + t.ids.length, 0);
  env.localModelPath = `${dirname(wpDir)}/`;
  const wpHf = await AutoTokenizer.from_pretrained(basename(wpDir));
  const wpOurs = await time(rounds, () => wp.tokenize(lines));
  const wpTheirs = await time(rounds, () => { for (const line of lines) wpHf.encode(line); });
  wp.dispose();
  const rows = [
    { tokenizer: 'sentvec (SentencePiece)', 'tokens/s': rate(tokens, ours), 'sentvec ÷ this': 1 },
    { tokenizer: 'transformers.js 4.3.1', 'tokens/s': rate(tokens, theirs), 'sentvec ÷ this': +(theirs / ours).toFixed(2) },
    { tokenizer: '@agnai/sentencepiece-js (WASM)', 'tokens/s': rate(tokens, wasm), 'sentvec ÷ this': +(wasm / ours).toFixed(2) },
    { tokenizer: 'sentvec (WordPiece, LaBSE twin)', 'tokens/s': rate(wpTokens, wpOurs), 'sentvec ÷ this': 1 },
    { tokenizer: 'transformers.js 4.3.1 (WordPiece)', 'tokens/s': rate(wpTokens, wpTheirs), 'sentvec ÷ this': +(wpTheirs / wpOurs).toFixed(2) },
  ];
  console.log(`${lines.length} lines; SentencePiece: ${tokens} tokens, model ${values.model}; WordPiece: ${wpTokens} tokens; median of ${rounds}`);
  console.table(rows);
  return {
    rows,
    targets: [
      { name: 'tokenize ≥ 5× transformers.js', value: theirs / ours, goal: 5 },
      { name: 'tokenize WordPiece ≥ 5× transformers.js', value: wpTheirs / wpOurs, goal: 5 },
    ],
  };
}
