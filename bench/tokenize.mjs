// Tokenization speed on the realistic corpus, per token: sentvec against transformers.js's
// tokenizer, Hugging Face's Rust tokenizer (npm `tokenizers`, batch API, as sentence-transformers
// runs it) and @agnai/sentencepiece-js (WASM SentencePiece; plain spm ids, no XLM-R mapping), same
// model files; then WordPiece (the LaBSE twin's 501,153-token cased vocabulary). The engines run
// interleaved, round after round, and each ratio is the median of the per-round ratios (with its
// range), so that load from other processes falls on all of them alike. sentvec runs with its
// default threads and with one; its rows also give the event loop's time per call.
//   npm run bench -- tokenize [--rounds N --model mpnet-base-twin]
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { SentencePieceProcessor } from '@agnai/sentencepiece-js';
import { Tokenizer } from 'tokenizers';
import { realisticCorpus } from '../scripts/model/corpus.mjs';
import { ensureModel, testTwin } from '../scripts/model/generate.mjs';
import { interleaved, machine, MODELS, sentvec } from './common.mjs';

export async function run(args) {
  const { values } = parseArgs({ args, options: { rounds: { type: 'string', default: '15' }, model: { type: 'string', default: 'mpnet-base-twin' } } });
  const rounds = Number(values.rounds);
  const lines = realisticCorpus();
  const count = async (model) => (await model.tokenize(lines)).reduce((n, t) => n + t.ids.length, 0);

  // A 512-token limit: no line is cut, so every tokenizer does the whole work.
  const spDir = MODELS[values.model]();
  const sp = await sentvec.Model.load(spDir, { maxSeqLength: 512 });
  const spTokens = await count(sp);
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(spDir)}/`;
  const spJs = await AutoTokenizer.from_pretrained(basename(spDir));
  const spRust = Tokenizer.fromFile(join(spDir, 'tokenizer.json'));
  const spm = new SentencePieceProcessor();
  await spm.load(join(spDir, 'sentencepiece.bpe.model'));

  const wpDir = ensureModel('twin-sentence-transformers_LaBSE', testTwin('sentence-transformers/LaBSE'));
  const wp = await sentvec.Model.load(wpDir, { maxSeqLength: 512 });
  const wpTokens = await count(wp);
  // One thread each too: the tokenizers alone. With two, a pass is split over two threads, and
  // what a second thread costs to start weighs most on the shortest pass (WordPiece's).
  const sp1 = await sentvec.Model.load(spDir, { maxSeqLength: 512, threads: 1 });
  const wp1 = await sentvec.Model.load(wpDir, { maxSeqLength: 512, threads: 1 });
  env.localModelPath = `${dirname(wpDir)}/`;
  const wpJs = await AutoTokenizer.from_pretrained(basename(wpDir));
  const wpRust = Tokenizer.fromFile(join(wpDir, 'tokenizer.json'));

  const engines = {
    'sentvec (SentencePiece)': () => sp.tokenize(lines),
    'Hugging Face tokenizers (Rust, SentencePiece)': () => spRust.encodeBatch(lines),
    'transformers.js (SentencePiece)': () => { for (const line of lines) spJs.encode(line); },
    '@agnai/sentencepiece-js (WASM)': () => { for (const line of lines) spm.encodeIds(line); },
    'sentvec (SentencePiece, 1 thread)': () => sp1.tokenize(lines),
    'sentvec (WordPiece, LaBSE twin)': () => wp.tokenize(lines),
    'sentvec (WordPiece, LaBSE twin, 1 thread)': () => wp1.tokenize(lines),
    'Hugging Face tokenizers (Rust, WordPiece)': () => wpRust.encodeBatch(lines),
    'transformers.js (WordPiece)': () => { for (const line of lines) wpJs.encode(line); },
  };
  const runs = await interleaved(rounds, engines);
  // The event loop's part of a call (copying the texts in, making the results' objects), which a
  // server cannot spend on other requests.
  const eventLoop = {};
  for (const [name, model] of [['sentvec (SentencePiece)', sp], ['sentvec (WordPiece, LaBSE twin)', wp]]) {
    const before = performance.eventLoopUtilization();
    for (let i = 0; i < rounds; i++) await model.tokenize(lines);
    eventLoop[name] = performance.eventLoopUtilization(before).active / rounds;
  }
  for (const model of [sp, wp, sp1, wp1]) model.dispose();

  const base = (name) => (name.includes('WordPiece') ? 'sentvec (WordPiece, LaBSE twin)' : 'sentvec (SentencePiece)');
  const rows = Object.keys(engines).map((name) => {
    const tokens = name.includes('WordPiece') ? wpTokens : spTokens;
    const ratio = runs.ratio(name, base(name));
    return {
      tokenizer: name,
      'ns/token': +((runs.median(name) * 1e6) / tokens).toFixed(1),
      'this ÷ sentvec (time)': +ratio.median.toFixed(2),
      'range over rounds': `${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)}`,
      ...(name in eventLoop && { 'event loop ms/call': +eventLoop[name].toFixed(2) }),
    };
  });
  // Per token, and per byte of the same text: the twins' SentencePiece cuts it into ~2.8× as many
  // tokens as LaBSE's WordPiece (a 501k vocabulary), so per token favours SentencePiece.
  const perToken = runs.ratio('sentvec (WordPiece, LaBSE twin)', 'sentvec (SentencePiece)', wpTokens, spTokens);
  const perTokenOne = runs.ratio('sentvec (WordPiece, LaBSE twin, 1 thread)', 'sentvec (SentencePiece, 1 thread)', wpTokens, spTokens);
  const perByte = runs.ratio('sentvec (WordPiece, LaBSE twin)', 'sentvec (SentencePiece)');
  for (const [what, r] of [['per token', perToken], ['per token, 1 thread', perTokenOne], ['per byte of text', perByte]])
    rows.push({ tokenizer: `sentvec WordPiece ÷ SentencePiece, ${what}`, 'this ÷ sentvec (time)': +r.median.toFixed(2), 'range over rounds': `${r.min.toFixed(2)}–${r.max.toFixed(2)}` });
  console.log(`${lines.length} lines; SentencePiece: ${spTokens} tokens, model ${values.model}; WordPiece: ${wpTokens} tokens; ${rounds} interleaved rounds; ${machine().cpu}`);
  console.table(rows);
  const js = runs.ratio('transformers.js (SentencePiece)', 'sentvec (SentencePiece)').median;
  const wpJsRatio = runs.ratio('transformers.js (WordPiece)', 'sentvec (WordPiece, LaBSE twin)').median;
  return {
    rows,
    targets: [
      { name: 'tokenize ≥ 5× transformers.js', value: js, goal: 5 },
      { name: 'tokenize WordPiece ≥ 5× transformers.js', value: wpJsRatio, goal: 5 },
      { name: 'WordPiece per token ≤ 1× SentencePiece (sentvec, time, 1 thread)', value: 1 / perTokenOne.median, goal: 1 },
    ],
  };
}
