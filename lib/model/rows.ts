// Row arithmetic on output vectors: the cut to `dimensions` (Matryoshka) and L2 normalization.
//
// It lives here, in TypeScript, and nowhere else on the model's path (native code returns full,
// unnormalized rows): the scheduler's batches mix calls that ask for different `dimensions` and
// `normalize`, longInputs 'chunk' must average its windows at full width before either applies,
// and a second head (a cross-encoder's scores) wants neither. So the one place every output
// passes through after native code is the executor's finish step, which calls these. The cost is
// one pass over the floats on the event loop, small next to the inference that made them.
// (The Index normalizes stored vectors natively, by the same rule, bit for bit: core Normalize.)

/**
 * Scales `row` to unit length in place, x · (1 / max(‖x‖, 1e-12)) with the scale rounded to
 * float32, as torch's normalize and the native Index do (a zero row stays zero).
 */
export function normalizeRow(row: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += row[i] * row[i];
  const scale = Math.fround(1 / Math.max(Math.sqrt(sum), 1e-12));
  for (let i = 0; i < row.length; i++) row[i] *= scale;
  return row;
}

/** Writes the first `out.length` values of `row` to `out`, then normalizes `out` if asked. */
export function shapeRow(row: Float32Array, out: Float32Array, normalize: boolean): void {
  out.set(out.length === row.length ? row : row.subarray(0, out.length));
  if (normalize) normalizeRow(out);
}
