// Shared pieces of the benchmark suites.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
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

/** Of the ids in each query's `truth`, the share that `got` found too. */
export function recall(got, truth) {
  let hits = 0;
  let total = 0;
  got.forEach((r, q) => {
    const want = new Set(truth[q].ids);
    for (const id of r.ids) hits += want.has(id);
    total += truth[q].ids.length;
  });
  return hits / total;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  // Of an even count, the mean of the middle two (not the larger: with 2 rounds, the slower).
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

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

/**
 * This CPU's peak multiply-adds per second, from /proc/cpuinfo, for the unit that runs each kind
 * of GEMM: cores × clock × multiply-adds per cycle. float32: FMA lanes × FMA ports; int8:
 * VPDPBUSD lanes (64 per 512-bit instruction, 32 per 256-bit) × ports. Intel's server cores with
 * AVX-512 issue two 512-bit FMA / VNNI instructions a cycle; AMD's Zen 4 (family 25) runs a
 * 512-bit instruction on two 256-bit halves, one a cycle (two 256-bit ones a cycle): half of that.
 * ONNX Runtime's int8 GEMMs run on AMX where the CPU has amx_int8 (MLAS picks it at run time):
 * 1024 int8 multiply-adds a cycle per core (a 16×64 by 64×16 TDPBUSD every 16 cycles). The clock
 * is the nominal one /proc/cpuinfo reports; turbo is not counted, so a figure can pass 100%.
 */
export function machinePeak() {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
  const flags = info.match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  const mhz = Number(info.match(/^cpu MHz\s*:\s*([\d.]+)/m)?.[1] ?? 0);
  const amd = /AuthenticAMD/.test(info);
  const family = Number(info.match(/^cpu family\s*:\s*(\d+)/m)?.[1] ?? 0);
  const cores = sentvec.physicalCores();
  const avx512 = / avx512f\b/.test(flags);
  const vnni = / avx512_vnni\b/.test(flags) || / avx_vnni\b/.test(flags);
  const amx = / amx_int8\b/.test(flags);
  // 512-bit instructions a cycle: one on Zen 4 (and 256-bit-only cores issue two 256-bit ones).
  const ports = amd && family === 25 && avx512 ? 1 : 2;
  const f32Lanes = avx512 ? 16 : 8;
  const vnniLanes = vnni ? (avx512 ? 64 : 32) : 0;
  const ghz = mhz / 1000;
  const int8Unit = amx ? 'AMX' : vnni ? (avx512 ? 'AVX-512 VNNI' : 'AVX-VNNI') : 'none';
  return {
    f32: cores * ghz * f32Lanes * ports,
    int8: amx ? cores * ghz * 1024 : cores * ghz * vnniLanes * ports,
    int8Unit,
    how: `${cores} cores × ${ghz.toFixed(2)} GHz × ${ports} port(s) × ${f32Lanes} float32 FMA lanes${amx ? ' / AMX 1024 int8 multiply-adds a cycle' : vnniLanes ? ` / ${vnniLanes} int8 VNNI lanes` : ''}`,
  };
}

/**
 * Multiply-adds an encoder needs for `lengths` (every input's tokens), padding not counted: per
 * layer and token 4·h² (attention projections) + 2·h·i (feed-forward), and per layer 2·L²·h per
 * input (scores and their weighted sum). The useful work, whatever batches an engine forms (sentvec
 * splits them by length: Model::BatchSizes); before 2026-12-01 this counted greedy padded batches.
 */
export function encoderMacs(modelDir, lengths) {
  const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
  const h = config.hidden_size ?? config.dim;
  const layers = config.num_hidden_layers ?? config.n_layers;
  const inner = config.intermediate_size ?? config.hidden_dim;
  let macs = 0;
  for (const L of lengths) macs += layers * (L * (4 * h * h + 2 * h * inner) + 2 * L * L * h);
  return macs;
}

/**
 * Runs every engine once to warm it, then `rounds` rounds of each in turn (the starting engine
 * rotating), so that load from other processes falls on all of them alike. `ratio(a, b)` is the
 * median, min and max over rounds of a's time ÷ b's in the same round (each divided by `perA` /
 * `perB`, e.g. their token counts). `clock: 'cpu'` times the process's CPU time (all its threads,
 * user and system) instead of the wall clock: on a machine that other processes load, it moves
 * far less, and with ONNX Runtime's threads not spinning it is the work done.
 */
export async function interleaved(rounds, engines, { clock = 'wall' } = {}) {
  const now = clock === 'cpu' ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => performance.now();
  const names = Object.keys(engines);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) await engines[n]();
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(k + r) % names.length];
      const t0 = now();
      await engines[n]();
      times[n].push(now() - t0);
    }
  }
  return {
    times,
    median: (n) => median(times[n]),
    ratio(a, b, perA = 1, perB = 1) {
      const rs = times[a].map((t, r) => t / perA / (times[b][r] / perB));
      return { median: median(rs), min: Math.min(...rs), max: Math.max(...rs) };
    },
  };
}

/** This machine's CPU model and the flags that decide its kernels, for every result. */
export function machine() {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return { cpu: 'unknown', flags: '' };
  }
  const model = info.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown';
  const family = info.match(/^cpu family\s*:\s*(\d+)/m)?.[1];
  const modelNo = info.match(/^model\s*:\s*(\d+)/m)?.[1];
  const flags = (info.match(/^flags\s*:(.*)$/m)?.[1].trim().split(/\s+/) ?? []).filter((f) =>
    ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx_vnni', 'avx512_bf16', 'avx512_fp16', 'amx_tile', 'amx_int8', 'amx_bf16'].includes(f));
  return { cpu: `${model} (family ${family}, model ${modelNo}), ${sentvec.physicalCores()} cores`, flags: flags.join(' ') };
}
