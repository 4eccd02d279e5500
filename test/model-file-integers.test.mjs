// Integers read from a model's files: a position limit of 1e30 means unset (as model_max_length),
// and any other value past 2^53 is a ModelFileError naming the file and field, never the native
// layer's "maxPositions must be a non-negative integer".
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model, ModelFileError } = sentvec;

function withConfig(t, edit) {
  const dir = mkdtempSync(join(tmpdir(), 'sentvec-ints-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(tinyModel(), dir, { recursive: true });
  const file = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  edit(config);
  writeFileSync(file, JSON.stringify(config));
  return dir;
}

test('config.json max_position_embeddings 1e30 is unset: the model loads with its own length', async (t) => {
  const plain = await Model.load(tinyModel());
  const want = plain.maxSeqLength;
  plain.dispose();
  for (const value of [1e30, 1e18]) {
    const model = await Model.load(withConfig(t, (c) => (c.max_position_embeddings = value)));
    t.is(model.maxSeqLength, want, String(value));
    model.dispose();
  }
});

test('config.json integers past 2^53 are a ModelFileError naming config.json and the field', async (t) => {
  for (const [field, value] of [
    ['max_position_embeddings', 2 ** 55],
    ['hidden_size', 1e30],
    ['vocab_size', 2 ** 60],
  ]) {
    const dir = withConfig(t, (c) => (c[field] = value));
    const err = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError }, field);
    t.regex(err.message, new RegExp(`config\\.json: "${field}" is`), field);
    t.is(err.file, join(dir, 'config.json'), field);
  }
});
