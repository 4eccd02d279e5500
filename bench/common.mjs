// Shared pieces of the benchmark suites.
import { createRequire } from 'node:module';
import { ensureModel, TWINS } from '../scripts/model/generate.mjs';

export const require = createRequire(import.meta.url);
export const sentvec = require('..');
// The addon's measurements (native/bench): the ceilings the tables compare with.
export const measure = require('../build/Release/sentvec.node').bench;

/** Benchmark models: the tiny test model and the shape twins of the real ones. */
export const MODELS = {
  tiny: () => ensureModel('tiny'),
  'minilm-l12-twin': () => ensureModel('minilm-l12-twin', TWINS['minilm-l12-twin']),
  'mpnet-base-twin': () => ensureModel('mpnet-base-twin', TWINS['mpnet-base-twin']),
};

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median milliseconds of `rounds` runs after one warm-up run. */
export async function time(rounds, fn) {
  await fn();
  const runs = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await fn();
    runs.push(performance.now() - t0);
  }
  return median(runs);
}
