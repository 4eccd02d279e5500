// Property test of Index against a JS oracle: random sequences of add (automatic and explicit
// ids, near 2^64 too), remove, search, and save + load. No sequence may make save() write a file
// that load() refuses, make automatic ids collide, or change what a search returns.
import test from 'ava';
import fc from 'fast-check';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sentvec } from './helpers/sentvec.mjs';

const { Index, InvalidArgumentError, DuplicateIdError } = sentvec;
const MAX = (1n << 64n) - 1n;
const DIM = 4;

// Ids from a small pool (so that removes and duplicates hit) plus the top of the range.
const idArb = fc.oneof(fc.bigInt({ min: 0n, max: 12n }), fc.bigInt({ min: MAX - 3n, max: MAX }));
// Small integer vectors under metric 'dot': every score is an exact small integer, so ties are
// real ties, broken by the lower id on both sides.
const vectorArb = fc.array(fc.integer({ min: -3, max: 3 }), { minLength: DIM, maxLength: DIM });
const opArb = fc.oneof(
  fc.record({ op: fc.constant('add'), vectors: fc.array(vectorArb, { minLength: 1, maxLength: 4 }), explicit: fc.boolean(), ids: fc.array(idArb, { minLength: 4, maxLength: 4 }) }),
  fc.record({ op: fc.constant('remove'), ids: fc.array(idArb, { maxLength: 4 }) }),
  fc.record({ op: fc.constant('search'), query: vectorArb, k: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('save') }),
);

test('random add/remove/search/save/load sequences agree with an oracle, and every saved file loads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-prop-'));
  const file = join(dir, 'index.svi');
  let runs = 0;
  await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
    runs++;
    let index = new Index({ dimension: DIM, metric: 'dot' });
    const oracle = new Map(); // id → vector
    let nextId = 0n;
    let exhausted = false;
    for (const step of ops) {
      if (step.op === 'add') {
        const n = step.vectors.length;
        const flat = Float32Array.from(step.vectors.flat());
        let expected;
        let ids;
        if (step.explicit) {
          ids = step.ids.slice(0, n);
          const seen = new Set();
          expected = ids.some((id) => oracle.has(id) || seen.size === seen.add(id).size) ? DuplicateIdError : undefined;
        } else {
          ids = Array.from({ length: n }, (_, i) => nextId + BigInt(i));
          expected = exhausted || nextId + BigInt(n) - 1n > MAX ? InvalidArgumentError : undefined;
        }
        if (expected) {
          await t.throwsAsync(index.add(flat, step.explicit ? ids : undefined), { instanceOf: expected });
          continue;
        }
        await index.add(flat, step.explicit ? ids : undefined);
        ids.forEach((id, i) => {
          oracle.set(id, step.vectors[i]);
          if (id === MAX) exhausted = true;
          else if (id >= nextId) nextId = id + 1n;
        });
      } else if (step.op === 'remove') {
        const present = new Set(step.ids.filter((id) => oracle.has(id))).size;
        t.is(await index.remove(step.ids), present);
        for (const id of step.ids) oracle.delete(id);
      } else if (step.op === 'search') {
        const result = await index.search(Float32Array.from(step.query), { topK: step.k });
        const want = [...oracle]
          .map(([id, v]) => ({ id, score: v.reduce((s, x, i) => s + x * step.query[i], 0) }))
          .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
          .slice(0, step.k);
        t.deepEqual(Array.from(result.ids), want.map((h) => h.id));
        t.deepEqual(Array.from(result.scores), want.map((h) => h.score));
      } else {
        await index.save(file);
        index.dispose();
        index = await Index.load(file); // must never refuse what save() wrote
      }
      t.is(index.size, oracle.size);
    }
    index.dispose();
  }), { numRuns: 150, seed: 20261127 });
  t.log(`${runs} sequences`);
  t.deepEqual(readdirSync(dir).filter((f) => f !== 'index.svi'), [], 'no temporary files left behind');
  rmSync(dir, { recursive: true, force: true });
});
