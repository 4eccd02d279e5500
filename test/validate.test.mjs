// lib/validate.ts: the helpers option and request-field checks share.
import test from 'ava';
import { createRequire } from 'node:module';
import { sentvec } from './helpers/sentvec.mjs';

const { fieldInteger, integerIn, isIntegerIn } = createRequire(import.meta.url)('../dist/lib/validate.js');

test('fieldInteger accepts integers in range and refuses the rest with a FieldError (an InvalidArgumentError) naming the field', (t) => {
  t.is(fieldInteger(5, 1, 1000, 'top_k'), 5);
  t.is(fieldInteger(1000, 1, 1000, 'top_k'), 1000);
  for (const value of [0, 1001, 2.5, '5', null, undefined, NaN, Infinity]) {
    const err = t.throws(() => fieldInteger(value, 1, 1000, 'top_k'), { instanceOf: sentvec.InvalidArgumentError });
    t.is(err.message, "'top_k' must be an integer from 1 to 1000.");
    t.is(err.param, 'top_k');
    t.is(err.code, 'ERR_INVALID_ARG');
  }
});

test('isIntegerIn is the test integerIn and fieldInteger apply', (t) => {
  const accepts = (check, value) => {
    try {
      check(value, 0, 3, 'x');
      return true;
    } catch {
      return false;
    }
  };
  for (const [value, expected] of [
    [-1, false],
    [0, true],
    [3, true],
    [4, false],
    [2.5, false],
    ['3', false],
    [NaN, false],
  ]) {
    t.is(isIntegerIn(value, 0, 3), expected, String(value));
    t.is(accepts(integerIn, value), expected, String(value));
    t.is(accepts(fieldInteger, value), expected, String(value));
  }
});
