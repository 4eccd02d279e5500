#!/usr/bin/env node
// Which unit runs ONNX Runtime's int8 GEMMs on this CPU: samples an int8 encode loop with
// `perf record -e cpu-clock` (a software clock: works where hardware counters are not exposed, as
// in most VMs), maps the samples in libonnxruntime to their instructions (objdump), and sums them
// by the GEMM instructions that can run them: AMX (tdpbusd), AVX-512 VNNI (vpdpbusd[s] on zmm),
// AVX-VNNI / AVX-512 VL (on ymm), the older vpmaddubsw path, and float32 FMA.
//   node bench/int8-kernel.mjs [--model minilm-l12-twin]     (needs perf and objdump)
//   node bench/int8-kernel.mjs --child <model>               (what perf runs)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { realisticCorpus } from '../scripts/model/corpus.mjs';
import { machine, MODELS, require, sentvec } from './common.mjs';

if (process.argv[2] === '--child') {
  const dir = MODELS[process.argv[3]]();
  const model = await sentvec.Model.load(dir, { precision: 'int8', scheduler: false, maxSeqLength: 128 });
  const texts = realisticCorpus(32, 7);
  for (let i = 0; i < 10; i++) await model.encode(texts, { batchSize: 32 });
  model.dispose();
} else {
  const { values } = parseArgs({ options: { model: { type: 'string', default: 'minilm-l12-twin' } } });
  const dir = MODELS[values.model]();
  if (!existsSync(join(dir, 'onnx/model_qint8.onnx'))) await sentvec.quantizeModel(dir);
  const out = mkdtempSync(join(tmpdir(), 'sentvec-perf-'));
  const data = join(out, 'perf.data');
  execFileSync('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '1000', '-o', data, '--', process.execPath, new URL(import.meta.url).pathname, '--child', values.model], { stdio: 'inherit' });
  const lib = join(require.resolve('onnxruntime-node').split('/dist/')[0], 'bin/napi-v6/linux/x64/libonnxruntime.so.1');
  // Sample counts per address inside the library (perf prints them relative to the file).
  const report = execFileSync('perf', ['report', '-i', data, '--sort', 'dso,sym', '--stdio', '--percent-limit', '0', '-F', 'overhead,dso,sym'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const samples = new Map();
  let total = 0;
  for (const line of report.split('\n')) {
    const m = line.match(/^\s*([\d.]+)%\s+(\S+)\s+\[\.\]\s+0x([0-9a-f]+)/);
    if (!m) continue;
    total += Number(m[1]);
    if (m[2].startsWith('libonnxruntime')) samples.set(parseInt(m[3], 16), Number(m[1]));
  }
  // A sample lands on an instruction near the one that cost it (skid), so each counts for the GEMM
  // instruction kind found within 96 bytes of it: the inner loops of these kernels are shorter.
  const kinds = { 'AMX (tdpbusd)': [], 'AVX-512 VNNI (vpdpbusd[s] zmm)': [], 'VNNI on ymm (vpdpbusd[s] ymm)': [], 'vpmaddubsw (packing column sums, or int8 without VNNI)': [], 'float32 FMA (vfmadd)': [] };
  const objdump = spawn('objdump', ['-d', '--no-show-raw-insn', lib]);
  for await (const line of createInterface({ input: objdump.stdout })) {
    const m = line.match(/^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$/);
    if (!m) continue;
    const [op, args] = [m[2], m[3]];
    const kind = /^tdp/.test(op) ? 'AMX (tdpbusd)' : /^vpdpbusd/.test(op) ? (/zmm/.test(args) ? 'AVX-512 VNNI (vpdpbusd[s] zmm)' : 'VNNI on ymm (vpdpbusd[s] ymm)') : /^vpmaddubsw/.test(op) ? 'vpmaddubsw (packing column sums, or int8 without VNNI)' : /^vfmadd/.test(op) ? 'float32 FMA (vfmadd)' : undefined;
    if (kind) kinds[kind].push(parseInt(m[1], 16));
  }
  const near = (list, a) => {
    let lo = 0, hi = list.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid] < a) lo = mid + 1; else hi = mid; }
    return (lo < list.length && list[lo] - a <= 96) || (lo > 0 && a - list[lo - 1] <= 96);
  };
  const byUnit = {};
  for (const [address, share] of samples) {
    const unit = Object.keys(kinds).find((k) => near(kinds[k], address)) ?? 'other code (quantization, softmax, LayerNorm, copies, waits…)';
    byUnit[unit] = (byUnit[unit] ?? 0) + share;
  }
  rmSync(out, { recursive: true, force: true });
  console.log(`${machine().cpu}; ${machine().flags}`);
  console.log(`share of all samples at each instruction kind (of ${total.toFixed(1)}%):`);
  for (const [unit, share] of Object.entries(byUnit).sort((a, b) => b[1] - a[1])) console.log(`  ${unit}: ${share.toFixed(1)}%`);
}
