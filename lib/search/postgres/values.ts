// The values of a write or a search, checked as Index checks them and made ready for PostgreSQL:
// vectors (finite; normalized for 'cosine'), ids (bigint's range), texts and metadata (no NUL, no
// lone surrogate: PostgreSQL's text and jsonb cannot hold them).
import { InvalidArgumentError } from '../../errors';
import { normalizeRow } from '../../model/rows';
import { flatten, toIds, type Vectors } from '../vector-index';
import type { Ids, Metric } from '../contract';
import { describe, nativeLimits, optionsObject, rejectUnknownOptions } from '../../validate';
import { ADD_OPTIONS, type StoreAddOptions } from './options';

export const I64_MAX = (1n << 63n) - 1n;

/**
 * Float32 rows of `dimension`, checked as Index checks them (finite values; with 'dot', norms below
 * the core's maxDotNorm so that scores stay finite) and, for 'cosine', normalized by Index's rule,
 * x / max(‖x‖, 1e-12): unit vectors make cosine an inner product, which pgvector computes fastest
 * (`<#>`), and a zero vector scores 0.
 */
export function rows(vectors: Vectors, dimension: number, metric: Metric, name: string): Float32Array {
  const flat = flatten(vectors, dimension, name, 'store');
  const out = metric === 'cosine' ? flat.slice() : flat;
  const maxDotNorm = metric === 'dot' ? nativeLimits().maxDotNorm : Infinity;
  for (let r = 0; r < flat.length; r += dimension) {
    let sum = 0;
    for (let i = r; i < r + dimension; i++) {
      if (!Number.isFinite(flat[i]))
        throw new InvalidArgumentError(`${name}: vector ${r / dimension} has ${flat[i]} at position ${i - r}; vectors must be finite`);
      sum += flat[i] * flat[i];
    }
    const norm = Math.sqrt(sum);
    if (norm > maxDotNorm)
      throw new InvalidArgumentError(
        `${name}: vector ${r / dimension} has an L2 norm of ${norm.toExponential(3)}; with metric 'dot' norms must stay below ${maxDotNorm} so that scores stay finite. Scale the vectors down, or use metric 'cosine'`,
      );
    if (metric === 'cosine') normalizeRow(out.subarray(r, r + dimension));
  }
  return out;
}

export function storeIds(ids: Ids, name: string): BigUint64Array {
  const list = toIds(ids, name);
  for (let i = 0; i < list.length; i++) {
    if (list[i] > I64_MAX)
      throw new InvalidArgumentError(
        `${name}[${i}] = ${list[i]} is out of range: a PostgresStore's ids are 0 to 2^63 − 1 (PostgreSQL's bigint)`,
      );
  }
  return list;
}

// PostgreSQL's text and jsonb hold neither NUL characters nor lone surrogates (Buffer.from would
// turn those into U+FFFD silently): refused, with where they are.
function checkText(text: string, name: string): void {
  if (text.includes('\0')) throw new InvalidArgumentError(`${name} contains a NUL character, which PostgreSQL text cannot hold`);
  if (!text.isWellFormed()) throw new InvalidArgumentError(`${name} contains a lone surrogate (not valid UTF-16 text)`);
}

function checkJsonStrings(value: unknown, name: string): void {
  if (typeof value === 'string') checkText(value, name);
  else if (Array.isArray(value)) value.forEach((v, i) => checkJsonStrings(v, `${name}[${i}]`));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      checkText(k, `a key of ${name}`);
      checkJsonStrings(v, `${name}.${k}`);
    }
  }
}

/** A plain object as JSON text for jsonb. */
export function jsonObject(value: unknown, name: string): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value))
    throw new InvalidArgumentError(`Expected a plain object for ${name} but received ${describe(value)}`);
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new InvalidArgumentError(`${name} cannot be written as JSON: ${(err as Error).message}`);
  }
  checkJsonStrings(JSON.parse(json), name);
  return json;
}

export function extras(options: StoreAddOptions, count: number): { texts?: readonly (string | null)[]; metadata?: (string | null)[] } {
  optionsObject(options);
  rejectUnknownOptions(options, ADD_OPTIONS, 'add()');
  const list = <T>(value: readonly T[] | undefined, name: string): readonly T[] | undefined => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw new InvalidArgumentError(`Expected an array for ${name} but received ${describe(value)}`);
    if (value.length !== count) throw new InvalidArgumentError(`Expected ${count} ${name} (one per vector) but received ${value.length}`);
    return value;
  };
  const texts = list(options.texts, 'texts');
  texts?.forEach((t, i) => {
    if (t === null) return;
    if (typeof t !== 'string') throw new InvalidArgumentError(`Expected a string or null for texts[${i}] but received ${describe(t)}`);
    checkText(t, `texts[${i}]`);
  });
  const metadata = list(options.metadata, 'metadata')?.map((m, i) => (m === null ? null : jsonObject(m, `metadata[${i}]`)));
  return { texts, metadata };
}
