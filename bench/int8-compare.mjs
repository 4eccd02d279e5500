#!/usr/bin/env node
// One quantizer lever measured: float32 against two int8 files of the same model (the baseline and
// the lever's), interleaved round after round, at batch 32 and batch 1 (8 texts one at a time),
// with the cosine of each int8 file's vectors with float32's. CLOCK=cpu times the process's CPU
// time instead of the wall clock (steadier on a machine other processes load); THREADS sets
// ONNX Runtime's intra-op threads. Prints median ratios with their range over rounds.
//   CLOCK=cpu THREADS=1 node bench/int8-compare.mjs <model> <baseline.onnx> <lever.onnx> [rounds] [texts]
import { createRequire } from 'node:module';
import { realisticCorpus } from '../scripts/model/corpus.mjs';
import { ensureModel, TWINS } from '../scripts/model/generate.mjs';
import { interleaved } from './common.mjs';
const require = createRequire(import.meta.url);
const sentvec = require('..');
const [name, base, lever, rounds = '4', n = '64'] = process.argv.slice(2);
const dir = ensureModel(name, TWINS[name]);
// With CLOCK=cpu no thread spins, so that CPU time is work.
const opts = { scheduler: false, maxSeqLength: 128, threads: Number(process.env.THREADS ?? 0) || undefined, spinning: process.env.CLOCK !== 'cpu' };
const f32 = await sentvec.Model.load(dir, opts);
const a = await sentvec.Model.load(dir, { ...opts, onnxFile: base });
const b = await sentvec.Model.load(dir, { ...opts, onnxFile: lever });
const texts = realisticCorpus(Number(n), 99);
const enc = (m) => () => m.encode(texts, { batchSize: 32 });
const one = (m) => async () => { for (const t of texts.slice(0, 8)) await m.encode(t); };
const r = await interleaved(Number(rounds), { f32: enc(f32), base: enc(a), lever: enc(b), f32b1: one(f32), baseb1: one(a), leverb1: one(b) }, { clock: process.env.CLOCK ?? 'wall' });
const fmt = (x) => `${x.median.toFixed(3)} [${x.min.toFixed(3)}–${x.max.toFixed(3)}]`;
const vf = (await f32.encode(texts, { normalize: true })).toArray();
const cos = async (m) => { const v = (await m.encode(texts, { normalize: true })).toArray(); const c = v.map((x, i) => x.reduce((s, y, d) => s + y * vf[i][d], 0)); return `mean ${(c.reduce((s, x) => s + x, 0) / c.length).toFixed(4)} min ${Math.min(...c).toFixed(4)}`; };
console.log(name, `${texts.length} texts, ${rounds} interleaved rounds`);
console.log('b32 f32÷base', fmt(r.ratio('f32', 'base')), ' f32÷lever', fmt(r.ratio('f32', 'lever')), ' base÷lever', fmt(r.ratio('base', 'lever')));
console.log('b1  f32÷base', fmt(r.ratio('f32b1', 'baseb1')), ' f32÷lever', fmt(r.ratio('f32b1', 'leverb1')), ' base÷lever', fmt(r.ratio('baseb1', 'leverb1')));
console.log('cosine base', await cos(a), '| lever', await cos(b));
