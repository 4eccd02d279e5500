#!/usr/bin/env node
// The benchmark harness: `npm run bench [-- suite … [--option value …]]`.
// Suites: tokenize, embed, int8, coldstart, profile, pool, search, store, serve, rerank (default: all). Each prints a table of medians and
// ratios against baselines measured in the same run, writes bench/results/<suite>.json, and the
// report bench/RESULTS.md and the chart bench/ratios.svg are rebuilt from all results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './common.mjs';
import { writeReport } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SUITES = {
  tokenize: () => import('./tokenize.mjs'),
  embed: () => import('./embed.mjs'),
  pool: () => import('./pool.mjs'),
  search: () => import('./search.mjs'),
  store: () => import('./store.mjs'),
  serve: () => import('./serve.mjs'),
  int8: () => import('./int8.mjs'),
  coldstart: () => import('./coldstart.mjs'),
  rerank: () => import('./rerank.mjs'),
  profile: () => import('./profile.mjs'),
};

const argv = process.argv.slice(2);
const firstOption = argv.findIndex((a) => a.startsWith('--'));
const names = firstOption < 0 ? argv : argv.slice(0, firstOption);
const options = firstOption < 0 ? [] : argv.slice(firstOption);
for (const name of names) {
  if (!SUITES[name]) {
    console.error(`unknown suite "${name}"; suites: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
}
for (const name of names.length ? names : Object.keys(SUITES)) {
  console.log(`\n== ${name} ==`);
  const result = await (await SUITES[name]()).run(options);
  mkdirSync(join(here, 'results'), { recursive: true });
  const command = `npm run bench -- ${name}${options.length ? ` ${options.join(' ')}` : ''}`;
  writeFileSync(join(here, 'results', `${name}.json`), JSON.stringify({ date: new Date().toISOString(), command, machine: machine(), ...(Array.isArray(result) ? { rows: result } : result) }, null, 2) + '\n');
  writeReport(here);
}
