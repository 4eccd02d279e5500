// Coalesces concurrent requests for one model into batches: bounded by padded tokens, by inputs
// and by waiting time, with at most `maxInFlight` batches in native code at once (while one runs
// inference, the next one's requests are being tokenized and queued). FIFO: the oldest waiting
// input always goes into the next batch. Tokenization is coalesced too: the texts of all calls
// made in one turn of the event loop are tokenized by one native call, so that a burst of
// thousands of one-text calls costs the event loop a few completions, not thousands.
import type { NativeModel, NativeTokenized } from '../binding';
import { DisposedError, QueueFullError } from '../errors';
import { integerOption, optionsObject, rejectUnknownOptions } from '../validate';

/** Options of the batching scheduler (LoadOptions.scheduler, createServer). */
export interface SchedulerOptions {
  /** Padded tokens per batch (inputs × longest input), 1 to 16,777,216. Default 16384. A longer single input still runs, alone. */
  maxBatchTokens?: number;
  /** Inputs per batch, 1 to 4096. Default 64. */
  maxBatchSize?: number;
  /** How long the first queued input may wait for company, in microseconds, 0 to 1,000,000. Default 2000. */
  maxWaitMicros?: number;
  /**
   * Batches in native code at once, 1 to 64. Default 1: measured best on CPU (2 concurrent ONNX
   * Runtime runs contend for the same cores); the next batch's requests are tokenized meanwhile anyway.
   */
  maxInFlight?: number;
  /** Queued tokens beyond which new work is refused with QueueFullError, 1 to 2^30. Default 1,048,576. */
  maxQueuedTokens?: number;
}

const SCHEDULER_OPTIONS = ['maxBatchTokens', 'maxBatchSize', 'maxWaitMicros', 'maxInFlight', 'maxQueuedTokens'] as const;
const DEFAULTS: Required<SchedulerOptions> = {
  maxBatchTokens: 16384,
  maxBatchSize: 64,
  maxWaitMicros: 2000,
  maxInFlight: 1,
  maxQueuedTokens: 1 << 20,
};
// Texts per coalesced tokenize call: one completion resolves at most this many callers.
const TOKENIZE_CHUNK = 256;

/** Checks scheduler options (unknown keys, ranges) and fills in the defaults. */
export function schedulerOptions(options: unknown): Required<SchedulerOptions> {
  const o = optionsObject(options, 'scheduler');
  rejectUnknownOptions(o, new Set(SCHEDULER_OPTIONS), 'scheduler');
  const out = { ...DEFAULTS };
  for (const key of SCHEDULER_OPTIONS) {
    if (o[key] !== undefined) out[key] = integerOption(o[key], key, `scheduler.${key}`);
  }
  return out;
}

interface TextRequest {
  texts: string[];
  // texts[2i] and texts[2i + 1] are a cross-encoder's pair, one row.
  pairs: boolean;
  resolve: (result: NativeTokenized) => void;
  reject: (err: unknown) => void;
}

/** One batch that ran (Scheduler.addBatchListener): what the metrics count. */
export interface BatchEvent {
  /** Inputs in the batch. */
  size: number;
  /**
   * Inputs × longest input, in tokens: the most the batch can cost, padding included. Native code may run it in
   * parts of similar lengths, which pad less (docs/encoding.md, Batches).
   */
  paddedTokens: number;
  /** Time in native code, in seconds. */
  seconds: number;
}

// One submit() call: its rows fill in as their batches finish (one promise per call, not per input).
interface Request {
  rows: Float32Array[];
  remaining: number;
  settled: boolean;
  resolve: (rows: Float32Array[]) => void;
  reject: (err: unknown) => void;
}

interface Item {
  ids: Int32Array;
  request: Request;
  row: number;
  poolFrom: number;
  // A pair's second sequence: where its token types turn 1 (0: none).
  secondFrom: number;
}

// The arguments of one NativeModel.encodeTokens call for `items`: their ids back to back.
function nativeBatch(items: readonly Item[]) {
  const offsets = new Uint32Array(items.length + 1);
  items.forEach((item, i) => (offsets[i + 1] = offsets[i] + item.ids.length));
  const ids = new Int32Array(offsets[items.length]);
  items.forEach((item, i) => ids.set(item.ids, offsets[i]));
  const poolFrom = items.some((item) => item.poolFrom > 0) ? Uint32Array.from(items, (item) => item.poolFrom) : undefined;
  const secondFrom = items.some((item) => item.secondFrom > 0) ? Uint32Array.from(items, (item) => item.secondFrom) : undefined;
  return { ids, offsets, options: { batchSize: items.length, poolFrom, secondFrom } };
}

/**
 * A model's batching scheduler (`model.scheduler`): coalesces concurrent calls into batches.
 * Read it for its queue and options; listen to it for batch metrics.
 */
export class Scheduler {
  /** The options in force, defaults filled in. */
  readonly options: Required<SchedulerOptions>;
  #native: NativeModel;
  #dimension: number;
  #queue: Item[] = [];
  #queuedTokens = 0;
  // Longest input in #queue (kept as inputs arrive, recomputed when a batch leaves).
  #queueLongest = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #texts: TextRequest[] = [];
  #tokenizing = false;
  // Each server on the model adds its own and removes only its own when it closes.
  #batchListeners = new Set<(event: BatchEvent) => void>();
  #onBatch: ((event: BatchEvent) => void) | undefined;
  /** Called whenever the scheduler runs out of work (nothing queued, tokenizing or in flight). */
  onIdle: (() => void) | undefined;

  /** @internal Made by Model.load. */
  constructor(native: NativeModel, dimension: number, options: SchedulerOptions = {}) {
    this.#native = native;
    this.#dimension = dimension;
    this.options = schedulerOptions(options);
  }

  /**
   * Called after every batch (for metrics): one batch listener, replaced by the next assignment.
   * Where several parties listen, each should use addBatchListener instead.
   */
  get onBatch(): ((event: BatchEvent) => void) | undefined {
    return this.#onBatch;
  }

  /** Replaces the one batch listener set through onBatch (others, added with addBatchListener, stay). */
  set onBatch(listener: ((event: BatchEvent) => void) | undefined) {
    if (this.#onBatch) this.#batchListeners.delete(this.#onBatch);
    this.#onBatch = listener;
    if (listener) this.#batchListeners.add(listener);
  }

  /** Calls `listener` after every batch until removeBatchListener(listener). */
  addBatchListener(listener: (event: BatchEvent) => void): void {
    this.#batchListeners.add(listener);
  }

  /** Stops calling a listener given to addBatchListener. */
  removeBatchListener(listener: (event: BatchEvent) => void): void {
    this.#batchListeners.delete(listener);
  }

  /** Inputs waiting for a batch. */
  get queueDepth(): number {
    return this.#queue.length;
  }

  /** Tokens of the inputs waiting for a batch (compared with maxQueuedTokens). */
  get queuedTokens(): number {
    return this.#queuedTokens;
  }

  /** Whether nothing is queued, being tokenized or in native code. */
  get idle(): boolean {
    return this.#queue.length === 0 && this.#inFlight === 0 && this.#texts.length === 0 && !this.#tokenizing;
  }

  #checkIdle() {
    if (this.idle) this.onIdle?.();
  }

  /**
   * @internal
   * Tokenizes texts together with those of other calls made in the same event-loop turn; the
   * result is what `NativeModel.tokenize(texts, { pairs })` returns (pairs: a cross-encoder's,
   * texts[2i] with texts[2i + 1]).
   */
  tokenize(texts: string[], pairs = false): Promise<NativeTokenized> {
    return new Promise((resolve, reject) => {
      this.#texts.push({ texts, pairs, resolve, reject });
      if (!this.#tokenizing) {
        this.#tokenizing = true;
        setImmediate(() => void this.#tokenizeQueued());
      }
    });
  }

  // One native call per chunk of requests, one chunk at a time: each completion settles at most
  // TOKENIZE_CHUNK texts' callers, so no single event-loop turn does them all.
  async #tokenizeQueued() {
    while (this.#texts.length > 0) {
      let count = 0;
      let taken = 0;
      // One native call holds requests of one kind: texts, or pairs.
      const pairs = this.#texts[0].pairs;
      while (
        taken < this.#texts.length &&
        this.#texts[taken].pairs === pairs &&
        (taken === 0 || count + this.#texts[taken].texts.length <= TOKENIZE_CHUNK)
      ) {
        count += this.#texts[taken].texts.length;
        taken++;
      }
      const requests = this.#texts.splice(0, taken);
      try {
        const all = taken === 1 ? requests[0].texts : requests.flatMap((r) => r.texts);
        const { ids, offsets, truncated, secondFrom } = await this.#native.tokenize(all, pairs ? { pairs } : undefined);
        let first = 0;
        for (const r of requests) {
          const n = pairs ? r.texts.length / 2 : r.texts.length;
          const base = offsets[first];
          const own = offsets.slice(first, first + n + 1);
          for (let i = 0; i <= n; i++) own[i] -= base;
          r.resolve({
            ids: ids.subarray(base, offsets[first + n]),
            offsets: own,
            truncated: truncated.subarray(first, first + n),
            ...(secondFrom ? { secondFrom: secondFrom.subarray(first, first + n) } : {}),
          });
          first += n;
        }
      } catch (err) {
        for (const r of requests) r.reject(err);
      }
    }
    this.#tokenizing = false;
    this.#checkIdle();
  }

  /**
   * Embeds framed token ids (not normalized); one row per input, in order. `poolFrom`: leading
   * tokens that pooling leaves out (a prompt's, under include_prompt: false), for all or per input.
   */
  submit(inputs: readonly Int32Array[], poolFrom: number | readonly number[] = 0, secondFrom?: readonly number[]): Promise<Float32Array[]> {
    const tokens = inputs.reduce((n, ids) => n + ids.length, 0);
    if (this.#queuedTokens + tokens > this.options.maxQueuedTokens && this.#queue.length > 0) {
      return Promise.reject(
        new QueueFullError(
          `the queue holds ${this.#queuedTokens} tokens, and ${tokens} more would pass its limit of ${this.options.maxQueuedTokens}; retry shortly`,
        ),
      );
    }
    if (inputs.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const request: Request = { rows: new Array(inputs.length), remaining: inputs.length, settled: false, resolve, reject };
      inputs.forEach((ids, row) => {
        this.#queue.push({
          ids,
          request,
          row,
          poolFrom: typeof poolFrom === 'number' ? poolFrom : poolFrom[row],
          secondFrom: secondFrom?.[row] ?? 0,
        });
        this.#queuedTokens += ids.length;
        if (ids.length > this.#queueLongest) this.#queueLongest = ids.length;
      });
      this.#schedule();
    });
  }

  #schedule() {
    if (this.#inFlight >= this.options.maxInFlight || this.#queue.length === 0) return;
    if (this.#inFlight === 0 && this.#ready()) {
      this.#dispatch();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#dispatch();
      }, this.options.maxWaitMicros / 1000);
    }
  }

  // A batch's worth is waiting: no reason to wait longer.
  #ready(): boolean {
    if (this.#queue.length >= this.options.maxBatchSize) return true;
    return this.#queueLongest * this.#queue.length >= this.options.maxBatchTokens;
  }

  #dispatch() {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#inFlight >= this.options.maxInFlight || this.#queue.length === 0) return;
    const batch: Item[] = [];
    let longest = 0;
    let taken = 0;
    for (const item of this.#queue) {
      const next = Math.max(longest, item.ids.length);
      if (batch.length > 0 && (batch.length >= this.options.maxBatchSize || next * (batch.length + 1) > this.options.maxBatchTokens)) break;
      batch.push(item);
      longest = next;
      taken++;
    }
    this.#queue.splice(0, taken);
    this.#queueLongest = 0;
    for (const item of this.#queue) if (item.ids.length > this.#queueLongest) this.#queueLongest = item.ids.length;
    const { ids, offsets, options } = nativeBatch(batch);
    this.#queuedTokens -= ids.length;
    this.#inFlight++;
    const started = performance.now();
    let running: Promise<Float32Array>;
    try {
      running = this.#native.encodeTokens(ids, offsets, options);
    } catch (err) {
      running = Promise.reject(err); // e.g. the model was disposed while inputs waited
    }
    running
      .then(
        (data) => {
          const d = this.#dimension;
          batch.forEach(({ request, row }, i) => {
            request.rows[row] = data.subarray(i * d, (i + 1) * d);
            if (--request.remaining === 0 && !request.settled) {
              request.settled = true;
              request.resolve(request.rows);
            }
          });
          this.#emitBatch({ size: batch.length, paddedTokens: longest * batch.length, seconds: (performance.now() - started) / 1000 });
        },
        (err) => this.#retryAlone(batch, err),
      )
      .finally(() => {
        this.#inFlight--;
        this.#schedule();
        this.#checkIdle();
      });
    // More than one batch waiting: start the next one now (up to maxInFlight).
    if (this.#ready()) this.#dispatch();
    else this.#schedule();
  }

  // A listener that throws neither stops the others nor the scheduler (whose requests are settled
  // already): its error becomes a process warning.
  #emitBatch(event: BatchEvent) {
    for (const listener of this.#batchListeners) {
      try {
        listener(event);
      } catch (err) {
        process.emitWarning(`a batch listener threw: ${err instanceof Error ? err.message : String(err)}`, {
          code: 'SENTVEC_BATCH_LISTENER',
        });
      }
    }
  }

  // A failed batch that held several requests' inputs: each request runs again on its own (in
  // this batch's in-flight slot, one after another), so that only the request whose input fails
  // gets the error, never one that merely shared its batch.
  async #retryAlone(batch: Item[], err: unknown) {
    const groups = new Map<Request, Item[]>();
    for (const item of batch) {
      if (item.request.settled) continue;
      const group = groups.get(item.request);
      if (group) group.push(item);
      else groups.set(item.request, [item]);
    }
    const fail = (request: Request, error: unknown) => {
      if (request.settled) return;
      request.settled = true;
      request.reject(error);
    };
    if (groups.size <= 1 || err instanceof DisposedError) {
      for (const request of groups.keys()) fail(request, err);
      return;
    }
    for (const [request, items] of groups) {
      if (request.settled) continue;
      const { ids, offsets, options } = nativeBatch(items);
      try {
        const data = await this.#native.encodeTokens(ids, offsets, options);
        const d = this.#dimension;
        items.forEach(({ row }, i) => (request.rows[row] = data.subarray(i * d, (i + 1) * d)));
        request.remaining -= items.length;
        if (request.remaining === 0 && !request.settled) {
          request.settled = true;
          request.resolve(request.rows);
        }
      } catch (error) {
        fail(request, error);
      }
    }
  }
}
