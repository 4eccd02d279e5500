// The embedded corpus that the CLI answers questions from: an in-memory Index (saved with
// --index) or a PostgresStore (--store), each behind the one Corpus shape.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomically } from '../atomic-file';
import { Embeddings } from '../model/embeddings';
import { Index } from '../search/vector-index';
import type { Model } from '../model/model';
import { PostgresStore } from '../search/postgres';
import type { VectorStore } from '../search/contract';
import { DEFAULT_MODEL, fingerprintModel } from './model-source';
import { log, progressBar } from './output';
import { documentPrompt, promptText, type PromptFlags } from './prompts';
import { splitSentences } from './sentences';
import { UsageError } from './usage-error';

// Bump when splitSentences' rules change: saved indexes built with other rules are stale.
const SPLIT_RULES_VERSION = 1;

/** The options that shape a corpus's vectors and say where it is kept. */
export interface CorpusOptions extends PromptFlags {
  input?: string;
  model?: string;
  batchSize: number;
  minLength: number;
  longInputs?: 'truncate' | 'chunk';
  index?: string;
  store?: string;
  table: string;
  quiet?: boolean;
}

/** The embedded corpus that questions are answered from: an in-memory Index or a PostgresStore. */
export interface Corpus {
  store: VectorStore;
  /** The sentences by id, when the store keeps no texts (an Index). */
  sentences?: readonly string[];
  close(): Promise<void>;
}

async function embedCorpus(model: Model, sentences: string[], options: CorpusOptions): Promise<Embeddings> {
  const bar = progressBar(options, 'embedding {bar} {value}/{total} sentences | {rate}/s | ETA {eta_formatted}');
  const chunk = options.batchSize * 4;
  const data = new Float32Array(sentences.length * model.dimension);
  const truncated: boolean[] = [];
  const started = performance.now();
  bar?.start(sentences.length, 0, { rate: '0' });
  for (let i = 0; i < sentences.length; i += chunk) {
    const part = await model.encode(sentences.slice(i, i + chunk), {
      batchSize: options.batchSize,
      normalize: true,
      ...documentPrompt(model, options),
      longInputs: options.longInputs,
    });
    data.set(part.data, i * model.dimension);
    truncated.push(...part.truncated);
    const done = Math.min(sentences.length, i + chunk);
    bar?.update(done, { rate: (done / ((performance.now() - started) / 1000)).toFixed(1) });
  }
  bar?.stop();
  const cut = truncated.filter(Boolean).length;
  if (cut > 0) log(options, `Note: ${cut} sentence(s) longer than ${model.maxSeqLength} tokens were embedded from their beginning only.`);
  return new Embeddings(data, model.dimension, truncated);
}

/** What the vectors of a corpus depend on: the model, the text and the options that shape them. */
function corpusFingerprint(model: Model, modelFingerprint: string, text: string, options: CorpusOptions): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        format: 1,
        model: modelFingerprint,
        corpus: createHash('sha256').update(text).digest('hex'),
        minLength: options.minLength,
        split: SPLIT_RULES_VERSION,
        maxSeqLength: model.maxSeqLength,
        pooling: model.pooling,
        prompt: promptText(model, documentPrompt(model, options)),
        longInputs: options.longInputs,
        dimension: model.dimension,
      }),
    )
    .digest('hex');
}

function splitCorpus(text: string, options: CorpusOptions): string[] {
  const sentences = splitSentences(text, { minLength: options.minLength });
  if (sentences.length === 0) {
    throw new UsageError(`${options.input} has no sentence of at least ${options.minLength} characters (lower --min-length)`);
  }
  return sentences;
}

function indexCorpus(index: Index, sentences: string[]): Corpus {
  return { store: index, sentences, close: async () => index.dispose() };
}

/** The corpus index: from --index when it matches this model, corpus and options, else built (and saved). */
export async function corpusIndex(model: Model, modelDir: string, text: string, options: CorpusOptions): Promise<Corpus> {
  const fingerprint = options.index ? corpusFingerprint(model, await fingerprintModel(modelDir, model.onnxPath), text, options) : '';
  if (options.index && existsSync(options.index) && existsSync(`${options.index}.json`)) {
    try {
      const meta = JSON.parse(readFileSync(`${options.index}.json`, 'utf8')) as { fingerprint: string; sentences: string[] };
      if (meta.fingerprint === fingerprint) {
        const index = await Index.load(options.index);
        if (index.size === meta.sentences.length && index.dimension === model.dimension) {
          log(options, `Using the saved index ${options.index} (${index.size} sentences).`);
          return indexCorpus(index, meta.sentences);
        }
        index.dispose();
      }
      log(options, `The saved index ${options.index} was built from another model, text or options: rebuilding it.`);
    } catch (err) {
      log(options, `The saved index ${options.index} cannot be used (${(err as Error).message.split('\n')[0]}): rebuilding it.`);
    }
  }
  const sentences = splitCorpus(text, options);
  const embeddings = await embedCorpus(model, sentences, options);
  const index = new Index({ dimension: model.dimension, metric: 'cosine' });
  await index.add(embeddings);
  if (options.index) {
    await index.save(options.index);
    await writeFileAtomically(`${options.index}.json`, JSON.stringify({ fingerprint, model: options.model ?? DEFAULT_MODEL, sentences }));
    log(options, `Saved the index to ${options.index}.`);
  }
  return indexCorpus(index, sentences);
}

/**
 * The corpus in PostgreSQL (--store): with -i, filled once (and again when the model, text or
 * options change, in one transaction); without -i, used as it is, if this model filled it.
 */
export async function corpusStore(model: Model, modelDir: string, text: string | undefined, options: CorpusOptions): Promise<Corpus> {
  const store = await PostgresStore.open({ connection: options.store!, table: options.table, dimension: model.dimension });
  try {
    const properties = (await store.properties()) as { fingerprint?: string; modelFingerprint?: string; model?: string };
    const modelFingerprint = await fingerprintModel(modelDir, model.onnxPath);
    const size = await store.size();
    const where = `table ${options.table} of --store`;
    if (size > 0 && properties.fingerprint === undefined) {
      throw new UsageError(`the ${where} holds vectors that \`sentvec -i\` did not write: pass another --table`);
    }
    if (text === undefined) {
      if (size === 0) throw new UsageError(`the ${where} is empty: fill it first with -i <file>`);
      checkStoreModel(properties, modelFingerprint, where);
      log(options, `Answering from the ${where} (${size} sentences).`);
    } else {
      const fingerprint = corpusFingerprint(model, modelFingerprint, text, options);
      if (properties.fingerprint === fingerprint) {
        log(options, `Using the ${where} (${size} sentences).`);
      } else {
        if (size > 0) log(options, `The ${where} was filled from another model, text or options: filling it again.`);
        const sentences = splitCorpus(text, options);
        const embeddings = await embedCorpus(model, sentences, options);
        await store.replaceAll(embeddings, undefined, {
          texts: sentences,
          properties: { fingerprint, modelFingerprint, model: options.model ?? DEFAULT_MODEL, input: options.input },
        });
        log(options, `Stored ${sentences.length} sentences in the ${where}.`);
      }
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  return { store, close: () => store.close() };
}

/** A table that `sentvec -i` filled answers only questions embedded by the same model. */
function checkStoreModel(properties: { modelFingerprint?: string; model?: string }, modelFingerprint: string, where: string): void {
  if (properties.modelFingerprint !== modelFingerprint)
    throw new UsageError(`the ${where} was filled with another model (${properties.model}): pass --model ${properties.model}`);
}

/** The store of `serve --store`: of the model's dimension and, when `sentvec -i` filled it, filled by this model. */
export async function servingStore(model: Model, modelDir: string, url: string, table: string): Promise<PostgresStore> {
  const store = await PostgresStore.open({ connection: url, table, dimension: model.dimension });
  try {
    const properties = (await store.properties()) as { modelFingerprint?: string; model?: string };
    if (properties.modelFingerprint !== undefined)
      checkStoreModel(properties, await fingerprintModel(modelDir, model.onnxPath), `table ${table} of --store`);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
