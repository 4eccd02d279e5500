/** The windows of `encode(texts, { longInputs: 'chunk', windows: true })`, in input order, then window order. */
export interface EmbeddingWindows {
  /** One vector per window (cut to `dimensions` and normalized like the inputs' vectors). */
  vectors: Embeddings;
  /** Per window: the input it belongs to. */
  text: Uint32Array;
  /** Per window: the range [tokenStart, tokenEnd) of its input's pieces (without `<s>`, `</s>` and the prompt) that it embeds. */
  tokenStart: Uint32Array;
  /** Per window: the end of that range (exclusive). */
  tokenEnd: Uint32Array;
  /**
   * Per window: the characters [start, end) of its input (UTF-16 indices, as `text.slice` takes
   * them) that its pieces come from; a window that starts inside a word starts at that word's
   * piece, and neighbouring windows overlap where their pieces do.
   */
  start: Uint32Array;
  /** Per window: the end of that character range (exclusive). */
  end: Uint32Array;
}

/**
 * The vectors of one `encode()` call: `length` rows of `dimension` floats in one Float32Array
 * (row i belongs to input i), shared with the native side without a copy.
 */
export class Embeddings implements Iterable<Float32Array> {
  /** All vectors, row-major: `length × dimension` floats. */
  readonly data: Float32Array;
  /** Width of each vector. */
  readonly dimension: number;
  /** Number of vectors (= number of inputs). */
  readonly length: number;
  /** Per input: true when it was longer than `maxSeqLength` and only its beginning was embedded. */
  readonly truncated: readonly boolean[];
  /** With `longInputs: 'chunk', windows: true`: every window's vector and where it lies. */
  readonly windows: EmbeddingWindows | undefined;

  constructor(data: Float32Array, dimension: number, truncated: readonly boolean[]) {
    this.data = data;
    this.dimension = dimension;
    this.length = truncated.length;
    this.truncated = truncated;
  }

  /** @internal These embeddings with their windows. */
  withWindows(windows: EmbeddingWindows): Embeddings {
    (this as { windows: EmbeddingWindows | undefined }).windows = windows;
    return this;
  }

  /** The vector of input `index`, as a view into `data` (no copy). */
  get(index: number): Float32Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`index ${index} is out of range for ${this.length} embeddings`);
    }
    return this.data.subarray(index * this.dimension, (index + 1) * this.dimension);
  }

  /** How many inputs were truncated. */
  get truncatedCount(): number {
    return this.truncated.reduce((n, t) => n + (t ? 1 : 0), 0);
  }

  /** The rows in order, each a view into `data` (as `get(i)`). */
  *[Symbol.iterator](): Iterator<Float32Array> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  /** Plain nested arrays (copies), e.g. for JSON. */
  toArray(): number[][] {
    return Array.from(this, (row) => Array.from(row));
  }
}
