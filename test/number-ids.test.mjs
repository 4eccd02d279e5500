// numberIds: search ids as numbers, for indexing arrays (TypeScript takes no bigint index).
import test from 'ava';
import { sentvec } from './helpers/sentvec.mjs';

const { numberIds, Index, InvalidArgumentError } = sentvec;

test('numberIds turns the ids of a search into numbers that index the corpus', async (t) => {
  const corpus = ['zero', 'one', 'two'];
  const index = new Index({ dimension: 2 });
  await index.add([new Float32Array([1, 0]), new Float32Array([0, 1]), new Float32Array([0.7, 0.7])]);
  const [hit] = await index.search([new Float32Array([0, 1])], { topK: 2 });
  t.deepEqual(numberIds(hit.ids).map((id) => corpus[id]), ['one', 'two']);
  index.dispose();
  t.deepEqual(numberIds(BigUint64Array.from([0n, 2n ** 53n - 1n])), [0, Number.MAX_SAFE_INTEGER]);
  t.deepEqual(numberIds([7n]), [7]);
});

test('an id a number cannot hold exactly is refused, not rounded to another row', (t) => {
  t.throws(() => numberIds(BigUint64Array.from([1n, 2n ** 53n])), { instanceOf: InvalidArgumentError, message: /ids\[1\] is 9007199254740992n: only ids from 0 to 2\^53 − 1 are numbers/ });
  t.throws(() => numberIds([-1n]), { instanceOf: InvalidArgumentError });
  t.throws(() => numberIds([1]), { instanceOf: InvalidArgumentError, message: /ids\[0\] is 1/ });
  t.throws(() => numberIds('1,2'), { instanceOf: InvalidArgumentError, message: /Expected a BigUint64Array or an array of bigints for ids/ });
});
