import test from 'ava';
import { sentvec } from './helpers/sentvec.mjs';
import { createRequire } from 'node:module';

const { splitSentences, decodeText } = createRequire(import.meta.url)('../dist/lib/cli/sentences.js');

test('Japanese/Chinese marks split immediately; Western marks only before whitespace or the end', (t) => {
  t.deepEqual(splitSentences('今日は晴れです。明日は雨でしょう！本当ですか？はい'), ['今日は晴れです。', '明日は雨でしょう！', '本当ですか？']);
  t.deepEqual(splitSentences('他说：你好。我们走吧！'), ['他说：你好。', '我们走吧！']);
  t.deepEqual(splitSentences('Version 3.14 is out. Is it fast? Yes! Great.'), ['Version 3.14 is out.', 'Is it fast?', 'Great.']);
  t.deepEqual(splitSentences('See example.com/path for more details here'), ['See example.com/path for more details here']);
});

test('line breaks and blank lines end sentences; pieces are trimmed', (t) => {
  t.deepEqual(splitSentences('First line without a stop\nSecond line here\r\n\r\n  Third paragraph  '), ['First line without a stop', 'Second line here', 'Third paragraph']);
});

test('terminal punctuation and closing quotes stay with the sentence', (t) => {
  t.deepEqual(splitSentences('"Stop right there!" she said loudly. 「そうですね。」と彼は言った。'), ['"Stop right there!"', 'she said loudly.', '「そうですね。」', 'と彼は言った。']);
  t.deepEqual(splitSentences('Really?! Yes...  Sure.'), ['Really?!', 'Yes...', 'Sure.']);
});

test('fragments shorter than minLength (code points) are dropped', (t) => {
  t.deepEqual(splitSentences('Hi. Hello there. OK!'), ['Hello there.']);
  t.deepEqual(splitSentences('Hi. Hello there. OK!', { minLength: 0 }), ['Hi.', 'Hello there.', 'OK!']);
  t.deepEqual(splitSentences('はい。そうです。', { minLength: 4 }), ['そうです。']);
  t.deepEqual(splitSentences('😀😀😀😀😀', { minLength: 5 }), ['😀😀😀😀😀'], 'emoji count as one character each');
});

test('markdown scaffolding is dropped', (t) => {
  const md = '# A heading line\n\n- first bullet item\n* second bullet item\n1. numbered item here\n> quoted text here\n```\ncode = 1; // not prose\n```\nPlain closing line.';
  t.deepEqual(splitSentences(md), ['A heading line', 'first bullet item', 'second bullet item', 'numbered item here', 'quoted text here', 'Plain closing line.']);
});

test('binary and non-UTF-8 input are refused with the offset', (t) => {
  t.is(decodeText(Buffer.from('\ufeffhello', 'utf8'), 'f.txt'), 'hello', 'a BOM is dropped');
  t.throws(() => decodeText(Buffer.from([0x68, 0x00, 0x69]), 'f.bin'), { instanceOf: sentvec.InvalidArgumentError, message: /f\.bin looks binary \(a NUL byte at offset 1\)/ });
  t.throws(() => decodeText(Buffer.from([0x61, 0x62, 0x82, 0xa0]), 'sjis.txt'), { instanceOf: sentvec.InvalidArgumentError, message: /not valid UTF-8 .*offset 2/ });
});
