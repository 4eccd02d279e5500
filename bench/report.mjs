// Builds bench/RESULTS.md and bench/ratios.svg from bench/results/*.json.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ORDER = ['tokenize', 'embed', 'int8', 'profile', 'coldstart', 'pool', 'search', 'store', 'serve', 'rerank'];

function version(name) {
  try {
    return JSON.parse(readFileSync(join(require.resolve('onnxruntime-node').split('node_modules')[0], 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

function cpuFlags() {
  try {
    const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].trim().split(/\s+/) ?? [];
    return ['sse4_2', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx512_bf16', 'avx512_fp16', 'amx_tile'].filter((f) => flags.includes(f)).join(' ');
  } catch {
    return 'unknown';
  }
}

function table(rows) {
  if (!rows?.length) return '';
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v) => (v === undefined ? '' : String(v));
  return [`| ${keys.join(' | ')} |`, `| ${keys.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${keys.map((k) => cell(r[k])).join(' | ')} |`)].join('\n');
}

function load(dir) {
  const results = {};
  for (const name of ORDER) {
    const path = join(dir, 'results', `${name}.json`);
    if (!existsSync(path)) continue;
    const data = JSON.parse(readFileSync(path, 'utf8'));
    // Older files kept the suite's whole result under `rows`.
    if (data.rows && !Array.isArray(data.rows)) Object.assign(data, data.rows, { rows: data.rows.rows });
    results[name] = data;
  }
  return results;
}

function ratios(results) {
  const bars = [];
  for (const [suite, data] of Object.entries(results)) {
    for (const row of data.rows ?? []) {
      const label = Object.entries(row).filter(([k, v]) => typeof v === 'string' || k === 'batch' || k === 'threads').map(([k, v]) => (k === 'batch' ? `b${v}` : k === 'threads' ? `${v}t` : v)).join(' ');
      for (const [k, v] of Object.entries(row)) {
        if (k.includes('÷') && typeof v === 'number' && v !== 1) bars.push({ label: `${suite}: ${label} — ${k}`, value: v });
      }
    }
  }
  return bars;
}

function svg(bars) {
  const width = 900;
  const barHeight = 18;
  const left = 520;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const scale = (width - left - 60) / max;
  const height = 40 + bars.length * (barHeight + 4) + 20;
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const items = bars.map((b, i) => {
    const y = 40 + i * (barHeight + 4);
    const w = Math.max(1, b.value * scale);
    const color = b.value >= 1 ? '#2b8a3e' : '#c92a2a';
    return `<text x="${left - 8}" y="${y + 13}" text-anchor="end" font-size="11">${esc(b.label)}</text>` +
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${color}"/>` +
      `<text x="${left + w + 4}" y="${y + 13}" font-size="11">${b.value.toFixed(2)}×</text>`;
  }).join('\n');
  const one = left + scale;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="14" font-weight="bold">sentvec ÷ baseline (measured in the same run; &gt; 1 is faster)</text>
<line x1="${one}" y1="30" x2="${one}" y2="${height - 10}" stroke="#888" stroke-dasharray="4 3"/>
${items}
</svg>
`;
}

// A CPU cannot show every target: `kind: 'gpu'` ones are kept for scripts/gpu-check.mjs's machines,
// `kind: 'reported'` ones are figures with no pass or fail.
function targetLine(t) {
  const where = t.cpu ? ` — ${t.cpu}` : '';
  if (t.kind === 'reported') return `- **reported** ${t.name}: ${t.value.toFixed(3)}${where}`;
  const ratio = `${t.value.toFixed(2)}×`;
  if (t.kind === 'gpu') return `- **GPU-check target** (not a CPU one: batching saves no arithmetic on a few cores) ${t.name}: ${ratio} on the CPU${where}`;
  return `- ${t.value >= t.goal ? '**pass**' : '**short**'} ${t.name}: ${ratio}${where}`;
}

export function writeReport(dir) {
  const results = load(dir);
  const targets = Object.values(results).flatMap((r) => (r.targets ?? []).map((t) => ({ ...t, cpu: r.machine?.cpu.split(' (')[0] })));
  const lines = [
    '# sentvec benchmark results',
    '',
    'Written by `bench/report.mjs` from `bench/results/*.json` each time `npm run bench` runs a suite.',
    'Every ratio compares engines measured in the same run on one machine (each suite names its CPU); absolute numbers are noisy.',
    '',
    `- Report written on: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} logical CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `- CPU flags: ${cpuFlags()}`,
    `- Versions: Node ${process.versions.node}, sentvec ${require('../package.json').version}, onnxruntime-node ${version('onnxruntime-node')}, @huggingface/transformers ${version('@huggingface/transformers')}, usearch ${version('usearch')}, pg ${version('pg')}, pgvector 0.8.0 (scripts/postgres.sh), @agnai/sentencepiece-js ${version('@agnai/sentencepiece-js')}`,
    `- Report written: ${new Date().toISOString()}`,
    '',
    '## Targets',
    '',
    ...(targets.length ? targets.map(targetLine) : ['- (none measured yet)']),
    '',
    '![ratios](ratios.svg)',
    '',
  ];
  for (const name of ORDER) {
    const data = results[name];
    if (!data) continue;
    lines.push(`## ${name}`, '', `\`${data.command ?? `npm run bench -- ${name}`}\` — ${data.date} — ${data.machine ? `${data.machine.cpu}; ${data.machine.flags}` : 'CPU not recorded (before 2026-12-01: the Intel Xeon of the header above, with amx_tile)'}`, '', table(data.rows), '');
    if (Array.isArray(data.markdown)) lines.push(...data.markdown, '');
    // Measured by hand (commands quoted inside): results/<suite>.notes.md, kept across runs.
    const notes = join(dir, 'results', `${name}.notes.md`);
    if (existsSync(notes)) lines.push(readFileSync(notes, 'utf8').trim(), '');
    if (data.recalls) lines.push('Recall@10 against exact f32:', '', table(data.recalls), '');
    if (data.int8) lines.push('int8 against float32:', '', table([data.int8]), '');
    if (data.e2e) lines.push('End to end through the server:', '', table([data.e2e]), '');
    // Notes are text; a suite may also keep figures there (coldstart: firstCachedLoadMs), not printed.
    if (data.notes) lines.push(...[].concat(data.notes).filter((n) => typeof n === 'string').flatMap((n) => [n, '']));
    if (data.bandwidth) lines.push(`Read bandwidth (native loop): ${Object.entries(data.bandwidth).map(([t, v]) => `${t} thread(s) ${v.toFixed(1)} GB/s`).join(', ')}`, '');
  }
  writeFileSync(join(dir, 'RESULTS.md'), lines.join('\n'));
  writeFileSync(join(dir, 'ratios.svg'), svg(ratios(results)));
}
