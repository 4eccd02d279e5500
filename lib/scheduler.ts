// Coalesces concurrent requests for one model into batches: bounded by padded tokens, by inputs
// and by waiting time, with at most `maxInFlight` batches in native code at once (while one runs
// inference, the next one's requests are being tokenized and queued). FIFO: the oldest waiting
// input always goes into the next batch.
import type { NativeModel } from './binding';
import { SentvecError } from './errors';

/** The scheduler's queue is full (`ERR_QUEUE_FULL`): retry later. */
export class QueueFullError extends SentvecError {
  constructor(message: string) {
    super('ERR_QUEUE_FULL', message);
  }
}

/** Options of the batching scheduler (LoadOptions.scheduler, createServer). */
export interface SchedulerOptions {
  /** Padded tokens per batch (inputs × longest input). Default 16384. */
  maxBatchTokens?: number;
  /** Inputs per batch. Default 64. */
  maxBatchSize?: number;
  /** How long the first queued input may wait for company, in microseconds. Default 2000. */
  maxWaitMicros?: number;
  /**
   * Batches in native code at once. Default 1: measured best on CPU (2 concurrent ONNX Runtime
   * runs contend for the same cores); the next batch's requests are tokenized meanwhile anyway.
   */
  maxInFlight?: number;
  /** Queued tokens beyond which new work is refused with QueueFullError. Default 1,048,576. */
  maxQueuedTokens?: number;
}

export interface BatchEvent {
  size: number;
  paddedTokens: number;
  seconds: number;
}

interface Item {
  ids: Int32Array;
  resolve: (row: Float32Array) => void;
  reject: (err: unknown) => void;
}

export class Scheduler {
  readonly options: Required<SchedulerOptions>;
  #native: NativeModel;
  #dimension: number;
  #queue: Item[] = [];
  #queuedTokens = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Called after every batch (for metrics). */
  onBatch: ((event: BatchEvent) => void) | undefined;

  constructor(native: NativeModel, dimension: number, options: SchedulerOptions = {}) {
    this.#native = native;
    this.#dimension = dimension;
    this.options = {
      maxBatchTokens: options.maxBatchTokens ?? 16384,
      maxBatchSize: options.maxBatchSize ?? 64,
      maxWaitMicros: options.maxWaitMicros ?? 2000,
      maxInFlight: options.maxInFlight ?? 1,
      maxQueuedTokens: options.maxQueuedTokens ?? 1 << 20,
    };
  }

  /** Inputs waiting for a batch. */
  get queueDepth(): number {
    return this.#queue.length;
  }

  get queuedTokens(): number {
    return this.#queuedTokens;
  }

  /** Embeds framed token ids (not normalized); one row per input, in order. */
  submit(inputs: readonly Int32Array[]): Promise<Float32Array[]> {
    const tokens = inputs.reduce((n, ids) => n + ids.length, 0);
    if (this.#queuedTokens + tokens > this.options.maxQueuedTokens && this.#queue.length > 0) {
      return Promise.reject(new QueueFullError(`the queue holds ${this.#queuedTokens} tokens, and ${tokens} more would pass its limit of ${this.options.maxQueuedTokens}; retry shortly`));
    }
    const rows = inputs.map((ids) => new Promise<Float32Array>((resolve, reject) => {
      this.#queue.push({ ids, resolve, reject });
      this.#queuedTokens += ids.length;
    }));
    this.#schedule();
    return Promise.all(rows);
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
    let longest = 0;
    for (const item of this.#queue) longest = Math.max(longest, item.ids.length);
    return longest * this.#queue.length >= this.options.maxBatchTokens;
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
    let total = 0;
    for (const item of batch) total += item.ids.length;
    this.#queuedTokens -= total;
    const ids = new Int32Array(total);
    const offsets = new Uint32Array(batch.length + 1);
    batch.forEach((item, i) => {
      ids.set(item.ids, offsets[i]);
      offsets[i + 1] = offsets[i] + item.ids.length;
    });
    this.#inFlight++;
    const started = performance.now();
    let running: Promise<Float32Array>;
    try {
      running = this.#native.encodeTokens(ids, offsets, { batchSize: batch.length, normalize: false });
    } catch (err) {
      running = Promise.reject(err); // e.g. the model was disposed while inputs waited
    }
    running.then(
      (data) => {
        const d = this.#dimension;
        batch.forEach((item, i) => item.resolve(data.subarray(i * d, (i + 1) * d)));
        this.onBatch?.({ size: batch.length, paddedTokens: longest * batch.length, seconds: (performance.now() - started) / 1000 });
      },
      (err) => batch.forEach((item) => item.reject(err)),
    ).finally(() => {
      this.#inFlight--;
      this.#schedule();
    });
    // More than one batch waiting: start the next one now (up to maxInFlight).
    if (this.#ready()) this.#dispatch();
    else this.#schedule();
  }
}

/** Scales `row` to unit length in place (a zero row stays zero). */
export function normalizeRow(row: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += row[i] * row[i];
  const norm = Math.max(Math.sqrt(sum), 1e-12);
  for (let i = 0; i < row.length; i++) row[i] /= norm;
  return row;
}
