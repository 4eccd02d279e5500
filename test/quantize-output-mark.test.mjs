// quantizeModel replaces an existing output only when it wrote that file (the metadata entry it
// puts in every model it writes), never a file that merely contains the text "_sentvec_int8".
import test from 'ava';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model, quantizeModel, InvalidArgumentError } = sentvec;

function copy(t) {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-quantize-mark-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(tinyModel(), dir, { recursive: true });
  return dir;
}

test('a file that only mentions _sentvec_int8 is kept; an output quantizeModel wrote is replaced', async (t) => {
  const dir = copy(t);
  const notes = join(dir, 'notes.onnx');
  writeFileSync(notes, 'my notes mentioning _sentvec_int8');
  await t.throwsAsync(quantizeModel(dir, { output: 'notes.onnx' }), {
    instanceOf: InvalidArgumentError,
    message: /not an int8 export that quantizeModel wrote/,
  });
  t.is(readFileSync(notes, 'utf8'), 'my notes mentioning _sentvec_int8');

  const first = await quantizeModel(dir, { output: 'onnx/out.onnx' });
  const again = await quantizeModel(dir, { output: 'onnx/out.onnx', embeddings: false });
  t.is(again.path, first.path);
  t.false(again.embeddingTable);
  const model = await Model.load(dir, { onnxFile: 'onnx/out.onnx' });
  t.is(model.onnxPath, first.path, 'the replaced output loads');
  model.dispose();
});

test('an output is recognized whatever the model it came from holds: a 10-byte varint', async (t) => {
  // Found by the fuzz test: quantizeModel refused to replace its own output of such a model.
  const { createRequire } = await import('node:module');
  const pb = createRequire(import.meta.url)('../dist/lib/model/protobuf.js');
  const dir = copy(t);
  const source = join(dir, 'onnx/model.onnx');
  const fields = pb.decode(readFileSync(source));
  // ir_version (field 1) at 2^64 − 1: ten bytes.
  fields[fields.findIndex((f) => f.number === 1)] = { number: 1, wire: 0, value: (1n << 64n) - 1n };
  writeFileSync(source, pb.encode(fields));
  await quantizeModel(dir, { output: 'onnx/out.onnx' });
  const again = await quantizeModel(dir, { output: 'onnx/out.onnx' });
  t.true(again.matmuls > 0);
});
