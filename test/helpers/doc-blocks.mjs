// The doc-test's harness: finds every ```js, ```ts and ```sh block of README.md and docs/**/*.md
// (not the generated docs/api/) and runs it as written, in a scratch project where `sentvec`
// resolves to this build and the model names the docs use resolve to the generated test model.
//
// A block may be preceded by one marker comment, and the marker must give its reason:
//   <!-- doctest: skip (why this block cannot run here) -->
//   <!-- doctest: server http://127.0.0.1:PORT/PATH (what talks to it) -->
// A server block is started and left running (until that page is done) once the URL answers;
// the blocks after it talk to it.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

const LANGS = new Set(['js', 'ts', 'sh']);
const MARKER = /^<!--\s*doctest:(.*?)-->\s*$/;

/** README.md and every Markdown page under docs/, except the generated API reference. */
export function docFiles(base = root) {
  const files = [join(base, 'README.md')];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (relative(base, path) !== join('docs', 'api')) walk(path);
      } else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  if (existsSync(join(base, 'docs'))) walk(join(base, 'docs'));
  return files;
}

function parseMarker(text, where) {
  const body = text.trim();
  const skip = body.match(/^skip\s*\((.+)\)$/s);
  if (skip && skip[1].trim()) return { kind: 'skip', reason: skip[1].trim() };
  const server = body.match(/^server\s+(https?:\/\/\S+)\s*\((.+)\)$/s);
  if (server && server[2].trim()) return { kind: 'server', url: server[1], reason: server[2].trim() };
  throw new Error(
    `${where}: doctest marker "${body}" is not understood: write <!-- doctest: skip (reason) --> or ` +
      '<!-- doctest: server http://127.0.0.1:PORT/PATH (reason) -->; the reason is required',
  );
}

/** The runnable blocks of one Markdown file: { file, line (of the opening fence), lang, code, marker }. */
export function extractBlocks(file, text = readFileSync(file, 'utf8')) {
  const lines = text.split('\n');
  const blocks = [];
  let pending; // a marker waiting for its block
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const marker = line.match(MARKER);
    if (marker) {
      if (pending) throw new Error(`${file}:${pending.line}: doctest marker is not followed by a code block`);
      pending = { ...parseMarker(marker[1], `${file}:${i + 1}`), line: i + 1 };
      continue;
    }
    const fence = line.match(/^(`{3,}|~{3,})\s*([\w-]*)/);
    if (!fence) {
      if (pending && line.trim() !== '') throw new Error(`${file}:${pending.line}: doctest marker is not followed by a code block`);
      continue;
    }
    const close = new RegExp(`^${fence[1][0]}{${fence[1].length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end])) end++;
    if (end === lines.length) throw new Error(`${file}:${i + 1}: code block is never closed`);
    const lang = fence[2];
    if (LANGS.has(lang)) blocks.push({ file, line: i + 1, lang, code: lines.slice(i + 1, end).join('\n') + '\n', marker: pending });
    else if (pending) throw new Error(`${file}:${pending.line}: doctest marker on a \`${lang || 'plain'}\` block, which is never run`);
    pending = undefined;
    i = end;
  }
  if (pending) throw new Error(`${file}:${pending.line}: doctest marker is not followed by a code block`);
  return blocks;
}

/** The names the docs load models by, each a copy of the generated model (blocks may write into it). */
export const MODEL_FOLDERS = ['paraphrase-multilingual-mpnet-base-v2'];

/**
 * A scratch project: node_modules/sentvec is this checkout (so `import 'sentvec'` and `npx sentvec`
 * run this build), the packages the docs tell users to install beside it are linked from this
 * checkout, and every name of MODEL_FOLDERS is a folder holding `modelDir`.
 */
export function makeScratch(modelDir) {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-doc-'));
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, '.bin'), { recursive: true });
  mkdirSync(join(modules, '@types'), { recursive: true });
  symlinkSync(root, join(modules, 'sentvec'), 'dir');
  symlinkSync(join(root, 'bin', 'sentvec.js'), join(modules, '.bin', 'sentvec'));
  mkdirSync(join(modules, '@langchain'), { recursive: true });
  for (const name of ['openai', 'pg', 'pgvector', 'pg-copy-streams', '@types/node', 'ai', '@langchain/core', '@langchain/classic', 'llamaindex']) {
    symlinkSync(join(root, 'node_modules', name), join(modules, name), 'dir');
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'doc-scratch', private: true }, null, 2));
  for (const name of MODEL_FOLDERS) cpSync(modelDir, join(dir, name), { recursive: true, dereference: true });
  return dir;
}

const TSC = require.resolve('typescript/bin/tsc');

function where(block) {
  return `${relative(root, block.file)}:${block.line}`;
}

/** Writes the block as the program a reader would save, returns [command, args]. */
function program(block, dir) {
  const base = `block-${block.line}`;
  if (block.lang === 'sh') {
    writeFileSync(join(dir, `${base}.sh`), block.code);
    return ['bash', ['-euo', 'pipefail', `${base}.sh`]];
  }
  if (block.lang === 'js') {
    writeFileSync(join(dir, `${base}.mjs`), block.code);
    return [process.execPath, [`${base}.mjs`]];
  }
  // ts: type-checked under --strict as an ES module, then run as tsc emits it.
  writeFileSync(join(dir, `${base}.mts`), block.code);
  const args = [TSC, '--strict', '--target', 'ES2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--lib', 'ES2022,ESNext.Disposable,DOM', '--types', 'node', '--skipLibCheck', '--outDir', join(dir, '.ts-out'), `${base}.mts`];
  try {
    execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    throw new Error(`${where(block)}: ts block does not type-check under tsc --strict:\n${err.stdout}${err.stderr}`);
  }
  return [process.execPath, [join('.ts-out', `${base}.mjs`)]];
}

function run(command, args, options, timeoutMs) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, output });
    });
  });
}

async function waitFor(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      await fetch(url);
      // An answer from another process on that port would not be this block's server.
      await new Promise((r) => setTimeout(r, 300));
      return child.exitCode === null && child.signalCode === null;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/**
 * Runs the blocks of one page in order in `dir`, with `env`. Resolves to { skipped, ran }: the
 * skipped blocks with their reasons, and the end of each run block's output; rejects with `file:line: …` and the block's output at the first failure.
 */
export async function runBlocks(blocks, dir, env, { timeoutMs = 180_000 } = {}) {
  const servers = [];
  const skipped = [];
  const ran = [];
  const options = { cwd: dir, env: { ...env, PATH: `${join(dir, 'node_modules', '.bin')}:${env.PATH ?? ''}` } };
  try {
    for (const block of blocks) {
      if (block.marker?.kind === 'skip') {
        skipped.push(`${where(block)}: ${block.marker.reason}`);
        continue;
      }
      const [command, args] = program(block, dir);
      if (block.marker?.kind === 'server') {
        const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        let log = '';
        child.stdout.on('data', (d) => (log += d));
        child.stderr.on('data', (d) => (log += d));
        servers.push(child);
        if (!(await waitFor(block.marker.url, child, 90_000))) {
          throw new Error(`${where(block)}: ${block.lang} server block did not answer at ${block.marker.url}:\n${log}`);
        }
        continue;
      }
      const { code, signal, output } = await run(command, args, options, timeoutMs);
      ran.push(`${where(block)}: ${output.trim().split('\n').slice(-3).join(' | ')}`);
      if (code !== 0) {
        throw new Error(`${where(block)}: ${block.lang} block failed (${signal ? `killed by ${signal}` : `exit code ${code}`}):\n${output}`);
      }
    }
  } finally {
    for (const child of servers) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      if (child.exitCode === null && child.signalCode === null) {
        await Promise.race([new Promise((r) => child.once('close', r)), new Promise((r) => setTimeout(r, 15_000))]);
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }
    }
  }
  return { skipped, ran };
}

/** Removes a scratch project. */
export function removeScratch(dir) {
  rmSync(dir, { recursive: true, force: true });
}
