// Seeded random vectors for the tests.
import { uniform } from '../../scripts/model/onnx.mjs';

/** Seeded uniform numbers in [-0.5, 0.5). */
export function rng(seed) {
  const next = uniform(seed);
  return () => next() - 0.5;
}

/** `n` Float32Array rows of `dim` seeded uniform values. */
export function randomVectors(n, dim, seed) {
  const r = rng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: dim }, r));
}
