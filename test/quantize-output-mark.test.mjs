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
