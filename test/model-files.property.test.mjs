// Property-based fuzzing of the readers of files that come from elsewhere: the quantizer's
// protobuf reader (lib/model/protobuf.ts, through quantizeModel) and the safetensors reader. Random
// bytes, valid generated files (scripts/model/) with bytes flipped, inserted, cut, and fields
// replaced by ones of another wire type or value: each must give a result or a ModelFileError
// (ProtobufError for protobuf.ts on its own), never another exception, a hang or unbounded memory.
// Each target runs for a bounded number of inputs (a few seconds); the counts are logged.
import test from 'ava';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { denseSafetensors, TINY } from '../scripts/model/generate.mjs';
import { buildOnnx } from '../scripts/model/onnx.mjs';

const require = createRequire(import.meta.url);
const pb = require('../dist/lib/model/protobuf.js');
const { parseSafetensors } = require('../dist/lib/model/safetensors.js');
const { quantizeModel } = require('../dist/lib/model/quantize.js');
const { ModelFileError } = require('../dist/lib/errors.js');

// Memory a single input may leave allocated: far below what a length field of 2^40 would ask for.
const MEMORY_BOUND = 256 * 2 ** 20;
// SENTVEC_FUZZ_SCALE=n runs n times as many inputs (a longer campaign than npm test's).
const scale = Number(process.env.SENTVEC_FUZZ_SCALE ?? 1);
// The time limits catch a hang, not slowness: a loaded machine (CI beside other jobs) must not fail them.
const settings = (numRuns) => ({ numRuns: numRuns * scale, timeout: 30_000, interruptAfterTimeLimit: 120_000 * scale, markInterruptAsFailure: true });

function tmp(t) {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-fuzz-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function bounded(t) {
  const used = process.memoryUsage().arrayBuffers;
  if (used > MEMORY_BOUND) t.fail(`${used} bytes of array buffers after one input`);
}

// Byte-level mutations of a valid file: flip, set, insert, delete, cut.
const byteEdit = fc.oneof(
  fc.record({ op: fc.constant('set'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('flip'), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('insert'), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  fc.record({ op: fc.constant('delete'), at: fc.nat(), count: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('cut'), at: fc.nat() }),
);

function applyEdits(bytes, edits) {
  let out = Buffer.from(bytes);
  for (const e of edits) {
    if (out.length === 0) break;
    const at = e.at % out.length;
    if (e.op === 'set') out[at] = e.value;
    else if (e.op === 'flip') out[at] ^= 1 << e.bit;
    else if (e.op === 'insert') out = Buffer.concat([out.subarray(0, at), e.bytes, out.subarray(at)]);
    else if (e.op === 'delete') out = Buffer.concat([out.subarray(0, at), out.subarray(at + e.count)]);
    else out = out.subarray(0, at);
  }
  return out;
}

// A field of any wire type with values that break assumptions: huge varints, 2^40 as text, empty bytes.
const anyField = (number) =>
  fc.oneof(
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => ({ number, wire: 0, value: v })),
    fc.constantFrom(0n, 1n, 2n, 3n, 7n, 2n ** 31n, 2n ** 40n, 2n ** 63n, (1n << 64n) - 1n).map((v) => ({ number, wire: 0, value: v })),
    fc.uint8Array({ maxLength: 24 }).map((v) => ({ number, wire: 2, value: v })),
    fc.constantFrom('1099511627776', '-1', '1e3', '', 'location', 'length', 'offset', '../x', '/etc/passwd', 'model.onnx_data', 'w.bin').map((s) => pb.str(number, s)),
    fc.uint8Array({ minLength: 4, maxLength: 4 }).map((v) => ({ number, wire: 5, value: v })),
    fc.uint8Array({ minLength: 8, maxLength: 8 }).map((v) => ({ number, wire: 1, value: v })),
  );

// A field-level mutation: a path of picks down the nested messages, then the field there is
// replaced, removed, duplicated, or a new field is added beside it.
const fieldEdit = fc.record({
  path: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
  action: fc.constantFrom('replace', 'remove', 'duplicate', 'add'),
  field: fc.integer({ min: 1, max: 16 }).chain((n) => anyField(n)),
});

function applyFieldEdit(bytes, { path, action, field }) {
  let fields;
  try {
    fields = pb.decode(bytes);
  } catch {
    return bytes;
  }
  if (fields.length === 0) return pb.encode([field]);
  // On the way down, only into fields that hold a message (the graph, a node, an initializer…).
  if (path.length > 1) {
    const messages = fields.flatMap((f, i) => {
      if (f.wire !== 2 || f.value.length === 0) return [];
      try {
        pb.decode(f.value);
        return [i];
      } catch {
        return [];
      }
    });
    if (messages.length > 0) {
      const i = messages[path[0] % messages.length];
      fields[i] = { ...fields[i], value: applyFieldEdit(fields[i].value, { path: path.slice(1), action, field }) };
      return pb.encode(fields);
    }
  }
  const i = path[0] % fields.length;
  if (action === 'replace') fields[i] = { ...field, number: fields[i].number };
  else if (action === 'remove') fields.splice(i, 1);
  else if (action === 'duplicate') fields.splice(i, 0, fields[i]);
  else fields.splice(i, 0, field);
  return pb.encode(fields);
}

const SPEC = { ...TINY, layers: 1, hidden: 8, heads: 2, intermediate: 16, maxPositions: 16, vocabSize: 1000 };
const inline = buildOnnx(SPEC, 1000).model;
// For the reader alone, a model with a 20-row table: the same structure in a fifth of the bytes.
const small = buildOnnx(SPEC, 20).model;
const external = buildOnnx(SPEC, 1000, false, 'model.onnx_data');
const externalData = Buffer.concat(external.data);

// A message tree decoded all the way down, every field read as each kind the quantizer reads.
function walk(bytes, depth) {
  for (const f of pb.decode(bytes)) {
    for (const read of [() => pb.text(f), () => pb.number(f, 0n), () => pb.payload(f)]) {
      try {
        read();
      } catch (err) {
        if (!(err instanceof pb.ProtobufError)) throw err;
      }
    }
    if (f.wire === 2 && depth < 4) {
      try {
        walk(f.value, depth + 1);
      } catch (err) {
        if (!(err instanceof pb.ProtobufError)) throw err;
      }
    }
  }
}

test('protobuf.ts: random and mutated messages decode, or throw ProtobufError', (t) => {
  let runs = 0;
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    fc.array(byteEdit, { minLength: 1, maxLength: 6 }).map((edits) => applyEdits(small, edits)),
    fc.array(fieldEdit, { minLength: 1, maxLength: 4 }).map((edits) => edits.reduce(applyFieldEdit, small)),
  );
  // Thousands of ProtobufErrors are made and dropped: without their stack traces, 5× faster.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  t.teardown(() => (Error.stackTraceLimit = stackTraceLimit));
  fc.assert(
    fc.property(input, (bytes) => {
      runs++;
      try {
        walk(bytes, 0);
      } catch (err) {
        if (!(err instanceof pb.ProtobufError)) throw err;
      }
      bounded(t);
    }),
    settings(2000),
  );
  Error.stackTraceLimit = stackTraceLimit;
  t.log(`${runs} inputs`);
  t.is(runs, 2000 * scale);
});

test('quantizeModel: mutated ONNX models (inline and external weights) give a result or a ModelFileError', async (t) => {
  const dir = tmp(t);
  let runs = 0;
  let quantized = 0;
  const input = fc.record({
    external: fc.boolean(),
    edits: fc.oneof(
      { weight: 1, arbitrary: fc.array(byteEdit, { minLength: 1, maxLength: 3 }) },
      { weight: 3, arbitrary: fc.array(fieldEdit, { minLength: 1, maxLength: 3 }) },
    ),
    dataEdits: fc.array(byteEdit, { maxLength: 2 }),
  });
  await fc.assert(
    fc.asyncProperty(input, async ({ external: useExternal, edits, dataEdits }) => {
      runs++;
      const model = edits.reduce((bytes, e) => ('path' in e ? applyFieldEdit(bytes, e) : applyEdits(bytes, [e])), useExternal ? external.model : inline);
      writeFileSync(join(dir, 'model.onnx'), model);
      writeFileSync(join(dir, 'model.onnx_data'), applyEdits(externalData, dataEdits));
      try {
        await quantizeModel(dir, { onnxFile: 'model.onnx', output: 'out.onnx' });
        quantized++;
      } catch (err) {
        if (!(err instanceof ModelFileError)) throw err;
      }
      bounded(t);
    }),
    settings(250),
  );
  t.log(`${runs} inputs, ${quantized} quantized`);
  t.is(runs, 250 * scale);
  t.true(quantized > 0 && quantized < runs, 'both outcomes were reached');
});

// A safetensors file from parts: a header (JSON, or any bytes) and data.
function safetensors(header, data) {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

const dimension = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(-1, 0.5, 2 ** 31, 2 ** 53, 1e308, Infinity, NaN, '4', null));
const tensorInfo = fc.record(
  {
    dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I8', 'f32', ''), fc.string(), fc.integer()),
    shape: fc.oneof(fc.array(dimension, { maxLength: 4 }), fc.constantFrom(null, 3, 'x', {})),
    data_offsets: fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 256 }), fc.integer({ min: 0, max: 256 })),
      fc.array(fc.oneof(fc.integer({ min: -2, max: 300 }), fc.constantFrom(2 ** 40, 2 ** 53, 1e300, -0, 1.5, '8')), { maxLength: 3 }),
      fc.constantFrom(null, 'x'),
    ),
  },
  { requiredKeys: [] },
);

test('parseSafetensors: random, generated and mutated files give tensors or a ModelFileError', async (t) => {
  const file = 'model.safetensors';
  const valid = [denseSafetensors(8, 4, 1), denseSafetensors(3, 5, 2)];
  let runs = 0;
  let read = 0;
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc
      .tuple(fc.nat(1), fc.array(byteEdit, { minLength: 1, maxLength: 6 }))
      .map(([which, edits]) => applyEdits(valid[which], edits)),
    fc
      .tuple(
        fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__metadata__', '__proto__', 'constructor')), fc.oneof(tensorInfo, fc.anything()), { maxKeys: 4 }),
        fc.uint8Array({ maxLength: 256 }),
      )
      .map(([header, data]) => safetensors(header, data)),
    fc
      .tuple(fc.oneof(fc.string(), fc.constantFrom('[', '{"a":', 'null', '[]', '"x"', '['.repeat(100_000), '{"a":'.repeat(50_000))), fc.uint8Array({ maxLength: 16 }))
      .map(([header, data]) => safetensors(header, data)),
    fc
      .tuple(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.uint8Array({ maxLength: 64 }))
      .map(([length, rest]) => {
        const head = Buffer.alloc(8);
        head.writeBigUInt64LE(length);
        return Buffer.concat([head, rest]);
      }),
  );
  await fc.assert(
    fc.asyncProperty(input, async (bytes) => {
      runs++;
      try {
        const tensors = parseSafetensors(file, Buffer.from(bytes));
        read++;
        for (const [, { shape, data }] of tensors) if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`a ${shape} tensor of ${data.length} values`);
      } catch (err) {
        if (!(err instanceof ModelFileError)) throw err;
      }
      bounded(t);
    }),
    settings(2000),
  );
  t.log(`${runs} inputs, ${read} read`);
  t.is(runs, 2000 * scale);
  t.true(read > 0, 'valid files were among them');
});
