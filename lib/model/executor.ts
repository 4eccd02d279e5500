// Carries out an EncodePlan (lib/encode-plan.ts, which describes the steps and the heads):
// tokenize → rows → run → finish. Every call of a Model and every server route ends here.
import type { NativeModel, NativeModelInfo } from '../binding';
import { checkOverlap, type Activation, type EncodePlan, type Head, type TextPair } from './encode-plan';
import { Embeddings } from './embeddings';
import { InputTooLongError, InvalidArgumentError } from '../errors';
import { normalizeRow, shapeRow } from './rows';
import type { Scheduler } from './scheduler';
import { nativeLimits } from '../validate';

/** The result of one plan. */
export interface Encoded {
  embeddings: Embeddings;
  /** Token ids run, <s> and </s> included (every window's, under 'chunk'); undefined where native code tokenized and ran in one call. */
  tokens: number | undefined;
}

// One native row: a whole input, or a window of a long one (longInputs 'chunk').
interface Row {
  input: number;
  ids: Int32Array;
  poolFrom: number;
  // The input's pieces [tokenStart, tokenEnd) and characters [start, end) this row holds.
  tokenStart: number;
  tokenEnd: number;
  start: number;
  end: number;
}

export class Executor {
  readonly #native: () => NativeModel;
  readonly #scheduler: Scheduler | undefined;
  readonly #info: NativeModelInfo;
  readonly #includePrompt: boolean;
  // Tokens of each prompt that pooling leaves out when the model says include_prompt: false.
  readonly #promptTokens = new Map<string, number>();

  constructor(native: () => NativeModel, scheduler: Scheduler | undefined, info: NativeModelInfo, includePrompt: boolean) {
    this.#native = native;
    this.#scheduler = scheduler;
    this.#info = info;
    this.#includePrompt = includePrompt;
  }

  async run(plan: EncodePlan): Promise<Encoded> {
    const native = this.#native();
    if (plan.inputs.length === 0) return { embeddings: new Embeddings(new Float32Array(0), plan.head.dimensions, []), tokens: 0 };
    const poolFrom = plan.prompt !== '' && !this.#includePrompt ? await this.#promptLength(native, plan.prompt) : 0;
    if (plan.longInputs === 'chunk') return this.#chunked(native, plan, poolFrom);
    if (!plan.shared && plan.inputs.every((input) => typeof input === 'string')) {
      // Texts on their own: native code tokenizes and runs them in one call, sorted by length.
      const texts = (plan.inputs as string[]).map((text) => plan.prompt + text);
      const width = this.#info.dimension;
      const { data, truncated } = await native.encode(texts, {
        batchSize: plan.batchSize,
        truncate: plan.longInputs !== 'error',
        poolFrom,
      });
      const rows = texts.map((_, i) => data.subarray(i * width, (i + 1) * width));
      const flags = Array.from(truncated, (t) => t === 1);
      return { embeddings: this.#finish(plan.head, rows, flags), tokens: undefined };
    }
    const { ids, truncated, secondFrom } = await this.#tokenize(native, plan);
    const rows = await this.#run(
      native,
      plan,
      ids,
      plan.inputs.map((input) => (typeof input === 'string' ? poolFrom : 0)),
      secondFrom,
    );
    return { embeddings: this.#finish(plan.head, rows, truncated), tokens: ids.reduce((n, row) => n + row.length, 0) };
  }

  // One row of ids per input: texts with the prompt, tokenized (together with concurrent calls'
  // when shared), refused past maxSeqLength under longInputs 'error'; token ids as they are; a
  // pair framed and truncated (longest_first) into one row, with where its token types turn 1.
  async #tokenize(
    native: NativeModel,
    plan: EncodePlan,
  ): Promise<{ ids: Int32Array[]; truncated: boolean[]; secondFrom: number[] | undefined }> {
    if (plan.head.kind === 'score') {
      const texts = (plan.inputs as TextPair[]).flat();
      const tokenized =
        this.#scheduler && plan.shared ? await this.#scheduler.tokenize(texts, true) : await native.tokenize(texts, { pairs: true });
      const { offsets } = tokenized;
      return {
        ids: plan.inputs.map((_, i) => tokenized.ids.subarray(offsets[i], offsets[i + 1])),
        truncated: Array.from(tokenized.truncated, (t) => t === 1),
        secondFrom: tokenized.secondFrom && Array.from(tokenized.secondFrom),
      };
    }
    const where: number[] = [];
    const texts: string[] = [];
    plan.inputs.forEach((input, i) => {
      if (typeof input === 'string') {
        where.push(i);
        texts.push(plan.prompt + input);
      }
    });
    // (Pairs are a 'score' head's, tokenized above: here inputs are texts and token ids.)
    const ids = plan.inputs.map((input) => (typeof input === 'string' ? new Int32Array(0) : (input as Int32Array)));
    const truncated = plan.inputs.map(() => false);
    if (texts.length === 0) return { ids, truncated, secondFrom: undefined };
    const tokenized = this.#scheduler && plan.shared ? await this.#scheduler.tokenize(texts) : await native.tokenize(texts);
    where.forEach((i, k) => {
      if (tokenized.truncated[k] === 1 && plan.longInputs === 'error')
        throw new InputTooLongError(
          `texts[${i}] is longer than maxSeqLength (${this.#info.maxSeqLength} tokens with <s> and </s>); shorten it, raise maxSeqLength, or pass truncate: true`,
          i,
        );
      ids[i] = tokenized.ids.subarray(tokenized.offsets[k], tokenized.offsets[k + 1]);
      truncated[i] = tokenized.truncated[k] === 1;
    });
    return { ids, truncated, secondFrom: undefined };
  }

  // Full-width, unnormalized rows: through the scheduler when the plan shares batches, else in
  // batches of the plan's own.
  async #run(native: NativeModel, plan: EncodePlan, ids: Int32Array[], poolFrom: number[], secondFrom?: number[]): Promise<Float32Array[]> {
    if (plan.shared && this.#scheduler) return this.#scheduler.submit(ids, poolFrom, secondFrom);
    const offsets = new Uint32Array(ids.length + 1);
    ids.forEach((row, j) => (offsets[j + 1] = offsets[j] + row.length));
    const flat = new Int32Array(offsets[ids.length]);
    ids.forEach((row, j) => flat.set(row, offsets[j]));
    const skip = poolFrom.some((n) => n > 0) ? Uint32Array.from(poolFrom) : undefined;
    const types = secondFrom?.some((n) => n > 0) ? Uint32Array.from(secondFrom) : undefined;
    const data = await native.encodeTokens(flat, offsets, { batchSize: plan.batchSize, poolFrom: skip, secondFrom: types });
    const width = this.#info.dimension;
    return ids.map((_, j) => data.subarray(j * width, (j + 1) * width));
  }

  // The head's output from one full-width row per input.
  #finish(head: Head, rows: readonly Float32Array[], truncated: boolean[]): Embeddings {
    const dim = head.dimensions;
    if (head.kind === 'score') {
      const data = new Float32Array(rows.length * dim);
      rows.forEach((row, i) => activate(row, data.subarray(i * dim, (i + 1) * dim), head.activation));
      return new Embeddings(data, dim, truncated);
    }
    // Full-width rows that are, in order, the whole of one native result (a direct run): scaled
    // in place and handed over as they are, with no copy of the batch.
    const whole = rows[0]?.buffer;
    if (
      whole &&
      rows[0].length === dim &&
      whole.byteLength === rows.length * dim * 4 &&
      rows.every((row, i) => row.buffer === whole && row.byteOffset === i * dim * 4)
    ) {
      if (head.normalize) rows.forEach(normalizeRow);
      return new Embeddings(new Float32Array(whole, 0, rows.length * dim), dim, truncated);
    }
    const data = new Float32Array(rows.length * dim);
    rows.forEach((row, i) => shapeRow(row, data.subarray(i * dim, (i + 1) * dim), head.normalize));
    return new Embeddings(data, dim, truncated);
  }

  // longInputs 'chunk': inputs that fit are one row each; a long text is cut into windows of
  // `span` pieces, `overlap` apart, each framed as <s> prompt window </s>, whose rows are pooled
  // into the input's by a token-weighted mean.
  async #chunked(native: NativeModel, plan: EncodePlan, poolFrom: number): Promise<Encoded> {
    const prompt = plan.prompt;
    // The prompt's own pieces, without the space that joins it to the text (that space belongs to the text's first piece).
    const promptPieces = prompt.trimEnd() === '' ? new Int32Array(0) : await this.#pieces(native, prompt.trimEnd());
    const span = this.#info.maxSeqLength - 2 - promptPieces.length;
    if (span < 1)
      throw new InvalidArgumentError(
        `the prompt takes ${promptPieces.length} of the ${this.#info.maxSeqLength} tokens: no room is left for text`,
      );
    const overlap = checkOverlap(plan.overlap, span);
    const texts = plan.inputs.flatMap((input) => (typeof input === 'string' ? [prompt + input] : []));
    const fitted =
      texts.length > 0
        ? await native.tokenize(texts)
        : { ids: new Int32Array(0), offsets: new Uint32Array(1), truncated: new Uint8Array(0) };
    const long = [...fitted.truncated.keys()].filter((k) => fitted.truncated[k] === 1);
    const full =
      long.length > 0
        ? await native.tokenize(
            long.map((k) => texts[k].slice(prompt.length)),
            { maxLength: nativeLimits().maxTokenizeLength, spans: plan.windows },
          )
        : undefined;
    const rows: Row[] = [];
    let text = 0;
    let next = 0;
    plan.inputs.forEach((input, i) => {
      if (typeof input !== 'string') {
        const ids = input as Int32Array;
        rows.push({ input: i, ids, poolFrom: 0, tokenStart: 0, tokenEnd: ids.length - 2, start: 0, end: 0 });
        return;
      }
      const k = text++;
      if (fitted.truncated[k] !== 1) {
        const ids = fitted.ids.subarray(fitted.offsets[k], fitted.offsets[k + 1]);
        rows.push({ input: i, ids, poolFrom, tokenStart: 0, tokenEnd: ids.length - 2, start: 0, end: input.length });
        return;
      }
      const w = next++;
      const first = full!.offsets[w] + 1;
      const pieces = full!.ids.subarray(first, full!.offsets[w + 1] - 1);
      // Characters of piece p of this text: spans[2 (first + p)] .. spans[2 (first + p) + 1].
      const spans = full!.spans;
      for (let start = 0; ; start += span - overlap) {
        const end = Math.min(start + span, pieces.length);
        const ids = new Int32Array(end - start + promptPieces.length + 2);
        ids[0] = this.#info.specialIds.start;
        ids.set(promptPieces, 1);
        ids.set(pieces.subarray(start, end), 1 + promptPieces.length);
        ids[ids.length - 1] = this.#info.specialIds.end;
        rows.push({
          input: i,
          ids,
          poolFrom: poolFrom > 0 ? 1 + promptPieces.length : 0,
          tokenStart: start,
          tokenEnd: end,
          start: spans ? spans[2 * (first + start)] : 0,
          end: spans ? spans[2 * (first + end - 1) + 1] : 0,
        });
        if (end === pieces.length) break;
      }
    });
    const vectors = await this.#run(
      native,
      plan,
      rows.map((r) => r.ids),
      rows.map((r) => r.poolFrom),
    );
    // Usage counts every window's tokens, <s> and </s> included.
    const tokens = rows.reduce((n, r) => n + r.tokenEnd - r.tokenStart + 2, 0);
    const embeddings = this.#finish(
      plan.head,
      pooled(rows, vectors, plan.inputs.length),
      new Array<boolean>(plan.inputs.length).fill(false),
    );
    if (!plan.windows) return { embeddings, tokens };
    return {
      embeddings: embeddings.withWindows({
        vectors: this.#finish(plan.head, vectors, new Array<boolean>(rows.length).fill(false)),
        text: Uint32Array.from(rows, (r) => r.input),
        tokenStart: Uint32Array.from(rows, (r) => r.tokenStart),
        tokenEnd: Uint32Array.from(rows, (r) => r.tokenEnd),
        start: Uint32Array.from(rows, (r) => r.start),
        end: Uint32Array.from(rows, (r) => r.end),
      }),
      tokens,
    };
  }

  // The pieces of `text` alone, without <s> and </s>.
  async #pieces(native: NativeModel, text: string): Promise<Int32Array> {
    const { ids, offsets } = await native.tokenize([text]);
    return ids.slice(1, offsets[1] - 1);
  }

  // sentence-transformers leaves out of pooling the prompt's tokens with <s>: its length tokenized alone, less </s>.
  async #promptLength(native: NativeModel, prompt: string): Promise<number> {
    let n = this.#promptTokens.get(prompt);
    if (n === undefined) {
      const { offsets } = await native.tokenize([prompt]);
      n = offsets[1] - 1;
      this.#promptTokens.set(prompt, n);
    }
    return n;
  }
}

// A cross-encoder's scores from its logits, as torch computes them in float32 (sentence-transformers'
// activation_fn): sigmoid per value, softmax over the row; 'identity' and 'none' copy them.
function activate(logits: Float32Array, out: Float32Array, activation: Activation): void {
  if (activation === 'sigmoid') {
    for (let i = 0; i < logits.length; i++) out[i] = 1 / (1 + Math.exp(-logits[i]));
  } else if (activation === 'softmax') {
    let max = -Infinity;
    for (const x of logits) max = Math.max(max, x);
    let sum = 0;
    for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
    for (let i = 0; i < logits.length; i++) out[i] /= sum;
  } else {
    out.set(logits);
  }
}

// One full-width row per input: its window's, or the mean of its windows weighted by their pieces.
function pooled(rows: readonly Row[], vectors: readonly Float32Array[], inputs: number): Float32Array[] {
  const out = new Array<Float32Array>(inputs);
  for (let j = 0; j < rows.length;) {
    const input = rows[j].input;
    if (j + 1 === rows.length || rows[j + 1].input !== input) {
      out[input] = vectors[j++];
      continue;
    }
    const sum = new Float64Array(vectors[j].length);
    let weight = 0;
    for (; j < rows.length && rows[j].input === input; j++) {
      const w = rows[j].tokenEnd - rows[j].tokenStart || 1;
      const row = vectors[j];
      for (let d = 0; d < sum.length; d++) sum[d] += w * row[d];
      weight += w;
    }
    out[input] = Float32Array.from(sum, (x) => x / weight);
  }
  return out;
}
