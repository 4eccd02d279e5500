#!/usr/bin/env node
// The benchmark harness: `npm run bench [-- suite … [--option value …]]`; suites: encode, search, serve.
// Each suite prints a table of medians and ratios against baselines measured in the same run,
// and writes it to bench/results/<suite>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SUITES = { encode: () => import('./encode.mjs'), search: () => import('./search.mjs'), serve: () => import('./serve.mjs') };

const argv = process.argv.slice(2);
const firstOption = argv.findIndex((a) => a.startsWith('--'));
const names = (firstOption < 0 ? argv : argv.slice(0, firstOption));
const options = firstOption < 0 ? [] : argv.slice(firstOption);
for (const name of names) {
  if (!SUITES[name]) {
    console.error(`unknown suite "${name}"; suites: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
}
for (const name of names.length ? names : Object.keys(SUITES)) {
  console.log(`\n== ${name} ==`);
  const rows = await (await SUITES[name]()).run(options);
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', `${name}.json`), JSON.stringify({ date: new Date().toISOString(), options, rows }, null, 2) + '\n');
}
