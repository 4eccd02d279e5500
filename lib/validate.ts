// The helpers option checks use, so that the library's and the CLI's say "Expected X for NAME but
// received Y" and the server's request fields "'field' must be …" (the HTTP API's wording), and
// one table of numeric ranges (RANGES), which the docs (docs/, the API reference) document. The checks themselves sit
// with the options they check.
import { binding, type NativeLimits } from './binding';
import { FieldError, InvalidArgumentError } from './errors';

let limits: NativeLimits | undefined;

/**
 * The limits the native core enforces (native/core/limits.h), read from the addon on first use:
 * importing sentvec must not load the addon (useNativeBinding comes first).
 */
export function nativeLimits(): NativeLimits {
  return (limits ??= binding().limits);
}

/** The range of every numeric option, inclusive. Those the core enforces too are the core's. */
export const RANGES = {
  get threads(): readonly [number, number] {
    return [1, nativeLimits().maxThreads];
  },
  batchSize: [1, 1024],
  maxBatchTokens: [1, 1 << 24],
  maxBatchSize: [1, 4096],
  maxWaitMicros: [0, 1_000_000],
  maxInFlight: [1, 64],
  maxQueuedTokens: [1, 2 ** 30],
  get dimension(): readonly [number, number] {
    return [1, nativeLimits().maxDimension];
  },
  get topK(): readonly [number, number] {
    return [1, nativeLimits().maxTopK];
  },
  candidates: [1, 100_000],
  get oversample(): readonly [number, number] {
    return [1, nativeLimits().maxOversample];
  },
  maxInputs: [1, 1_000_000],
  maxInputChars: [1, 1 << 30],
  bodyLimit: [1, 2 ** 31],
  maxPendingBytes: [1, 2 ** 40],
  maxResponseBytes: [1024, 2 ** 28],
  maxResponseMiB: [1, 256],
  maxRerankPairs: [1, 10_000_000],
  drainTimeoutMs: [0, 3_600_000],
  requestTimeoutMs: [1, 3_600_000],
  bodyIdleTimeoutMs: [1, 3_600_000],
  port: [0, 65535],
  minLength: [0, 1_000_000],
  maxInputMiB: [1, 1 << 20],
  maxSeqLength: [2, 1 << 20],
  deviceId: [0, 1023],
  attempts: [1, 100],
  stallTimeoutMs: [1, 600_000],
  gpuMemLimit: [1, Number.MAX_SAFE_INTEGER],
  float32Layers: [0, 1000],
  storeDimension: [1, 16_000],
  hnswM: [2, 100],
  efConstruction: [4, 1000],
  efSearch: [1, 1000],
  retries: [0, 10],
} as const satisfies Record<string, readonly [number, number]>;

export type RangedOption = keyof typeof RANGES;

/** A short, safe description of a received value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : String(value);
}

export function invalid(expected: string, name: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`Expected ${expected} for ${name} but received ${describe(value)}`);
}

/** An integer within RANGES[option]; `name` is what the message calls it. Throws InvalidArgumentError. */
export function integerOption(value: unknown, option: RangedOption, name: string = option): number {
  const [min, max] = RANGES[option];
  return integerIn(value, min, max, name);
}

/** Whether `value` is an integer from min to max inclusive: the one test of integerIn and fieldInteger. */
export function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** An integer from min to max inclusive; `name` is what the message calls it. Throws InvalidArgumentError. */
export function integerIn(value: unknown, min: number, max: number, name: string): number {
  if (!isIntegerIn(value, min, max)) {
    throw invalid(`an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`, name, value);
  }
  return value;
}

export function booleanOption(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalid('a boolean', name, value);
  return value;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value as T)) throw invalid(`one of ${allowed.map((a) => `'${a}'`).join(', ')}`, name, value);
  return value as T;
}

export function optionsObject(value: unknown, name = 'options'): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('an object', name, value);
  return value as Record<string, unknown>;
}

export function rejectUnknownOptions(options: object, known: Set<string>, where: string): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      const near = [...known].find((k) => k.toLowerCase() === key.toLowerCase().replace(/[_-]/g, ''));
      throw new InvalidArgumentError(
        `Unknown option "${key}" for ${where}` + (near ? ` (did you mean "${near}"?)` : `; known options: ${[...known].join(', ')}`),
      );
    }
  }
}

// Request fields (the server's bodies): the same checks, in the message shape of HTTP APIs,
// "'FIELD' must be X.", as FieldError naming the field.

/** A JSON object (a request body). */
export function fieldObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new FieldError('The request body must be a JSON object.', null);
  return value as Record<string, unknown>;
}

export function fieldBoolean(value: unknown, param: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw new FieldError(`'${param}' must be a boolean.`, param);
  return value;
}

export function fieldInteger(value: unknown, min: number, max: number, param: string): number {
  if (!isIntegerIn(value, min, max)) throw new FieldError(`'${param}' must be an integer from ${min} to ${max}.`, param);
  return value;
}

export function fieldOneOf<T extends string>(value: unknown, allowed: readonly T[], param: string): T {
  if (!allowed.includes(value as T)) throw new FieldError(`'${param}' must be ${allowed.map((a) => `'${a}'`).join(' or ')}.`, param);
  return value as T;
}
