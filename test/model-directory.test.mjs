// What a model folder may hold: every file regular, inside the folder and within its size limit;
// limits read from the files are checked as the files' own errors; an embedding table smaller
// than the tokenizer is refused, and where it cannot be known, one bad input fails only its own call.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ensureModel } from '../scripts/model/generate.mjs';
import { tinyModel } from './helpers/models.mjs';
import { sentvec } from './helpers/sentvec.mjs';

const { Model, InvalidArgumentError, ModelFileError } = sentvec;

function tmp(t, prefix = 'sentvec-folder-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// A copy of the test model to change, inside a scratch folder (so that "outside" has somewhere to be).
function copyModel(t, source = tinyModel()) {
  const dir = join(tmp(t), 'model');
  cpSync(source, dir, { recursive: true });
  return dir;
}

const editJson = (file, change) => writeFileSync(file, JSON.stringify(change(JSON.parse(readFileSync(file, 'utf8')))));

// 1,200 tokenizer ids over an embedding table of 1,000 rows.
const smallTableModel = () => ensureModel('tiny-small-table', { embeddingTableRows: 1000 });

test('an embedding table smaller than the tokenizer (config.json vocab_size) is refused, naming both files and numbers', async (t) => {
  const dir = smallTableModel();
  const err = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError });
  t.is(err.file, join(dir, 'config.json'));
  t.regex(err.message, /config\.json says vocab_size 1000, but the tokenizer \(.*sentencepiece\.bpe\.model\) has \d{4} tokens/);
});

test('one request with an id past the embedding table fails alone, not the requests batched beside it', async (t) => {
  // Without vocab_size the table's size is not known at load: the guilty input reaches ONNX Runtime.
  const dir = copyModel(t, smallTableModel());
  editJson(join(dir, 'config.json'), ({ vocab_size, ...rest }) => rest);
  const model = await Model.load(dir, { scheduler: { maxWaitMicros: 200000 } });
  t.teardown(() => model.dispose());
  const innocent = [[0, 100, 200, 2], [0, 300, 2]];
  const [a, guilty, b] = await Promise.allSettled([
    model.encodeTokens(innocent),
    model.encodeTokens([[0, 1100, 2]]),
    model.encodeTokens([[0, 400, 2]]),
  ]);
  t.is(a.status, 'fulfilled', String(a.reason));
  t.is(b.status, 'fulfilled', String(b.reason));
  t.is(guilty.status, 'rejected');
  t.true(guilty.reason instanceof sentvec.SentvecError, String(guilty.reason));
  const alone = await Model.load(dir, { scheduler: false });
  t.teardown(() => alone.dispose());
  t.deepEqual(Array.from(a.value.data), Array.from((await alone.encodeTokens(innocent)).data));
});

test('modules.json naming a folder outside the model folder is refused (Dense and Pooling)', async (t) => {
  const dir = copyModel(t);
  const outside = join(dirname(dir), 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'config.json'), JSON.stringify({ in_features: 32, out_features: 8, bias: true }));
  const modules = join(dir, 'modules.json');
  const original = readFileSync(modules, 'utf8');
  for (const [type, path] of [
    ['sentence_transformers.models.Dense', '../outside'],
    ['sentence_transformers.models.Dense', outside],
    ['sentence_transformers.models.Pooling', '../../../../../../../../etc'],
  ]) {
    writeFileSync(modules, JSON.stringify([...JSON.parse(original).slice(0, 1), { idx: 1, name: '1', path, type }]));
    const err = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError }, path);
    t.is(err.file, modules);
    t.regex(err.message, /lies outside the model folder/);
  }
});

test('links out of the folder, FIFOs and devices are refused before they are read', async (t) => {
  const dir = copyModel(t);
  const spm = join(dir, 'sentencepiece.bpe.model');
  rmSync(spm);
  symlinkSync('/dev/zero', spm);
  const started = Date.now();
  const zero = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError });
  t.is(zero.file, spm);
  t.regex(zero.message, /leads to \/dev\/zero, outside the model folder/);
  t.true(Date.now() - started < 5000);
  // A file beside the folder, reached by a link: outside too.
  rmSync(spm);
  cpSync(join(tinyModel(), 'sentencepiece.bpe.model'), join(dirname(dir), 'elsewhere.model'));
  symlinkSync('../elsewhere.model', spm);
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /outside the model folder/ });
  rmSync(spm);
  cpSync(join(tinyModel(), 'sentencepiece.bpe.model'), spm);
  // A link that stays inside is followed.
  rmSync(join(dir, 'onnx/model.onnx'));
  cpSync(join(tinyModel(), 'onnx/model.onnx'), join(dir, 'weights.onnx'));
  symlinkSync('../weights.onnx', join(dir, 'onnx/model.onnx'));
  (await Model.load(dir)).dispose();
  for (const name of ['config.json', 'sentencepiece.bpe.model', 'tokenizer_config.json', 'onnx/model.onnx']) {
    const file = join(dir, name);
    const saved = readFileSync(file);
    rmSync(file);
    execFileSync('mkfifo', [file]);
    const err = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError }, name);
    t.is(err.file, file);
    t.regex(err.message, /is not a regular file/);
    rmSync(file);
    writeFileSync(file, saved);
  }
  // A folder named like a file.
  rmSync(join(dir, 'config.json'));
  mkdirSync(join(dir, 'config.json'));
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /config\.json is not a regular file/ });
});

test('files over their kind\'s size limit are refused without being read', async (t) => {
  const dir = copyModel(t);
  const file = join(dir, 'tokenizer_config.json');
  truncateSync(file, 16 * 2 ** 20 + 1);
  const err = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError });
  t.is(err.file, file);
  t.regex(err.message, /is 16777217 bytes, more than the 16 MiB sentvec reads for such a file/);
  rmSync(file);
  const spm = join(dir, 'sentencepiece.bpe.model');
  truncateSync(spm, 64 * 2 ** 20 + 1);
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /sentencepiece\.bpe\.model is 67108865 bytes, more than the 64 MiB/ });
  rmSync(spm);
  cpSync(join(tinyModel(), 'sentencepiece.bpe.model'), spm);
  // A Dense module's weights are read whole, so they too stop at their limit.
  const modules = join(dir, 'modules.json');
  writeFileSync(modules, JSON.stringify([...JSON.parse(readFileSync(modules, 'utf8')).slice(0, 2), { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' }]));
  mkdirSync(join(dir, '2_Dense'));
  writeFileSync(join(dir, '2_Dense/config.json'), JSON.stringify({ in_features: 32, out_features: 8, bias: true }));
  writeFileSync(join(dir, '2_Dense/model.safetensors'), '');
  truncateSync(join(dir, '2_Dense/model.safetensors'), 512 * 2 ** 20 + 1);
  await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError, message: /2_Dense\/model\.safetensors is 536870913 bytes, more than the 512 MiB/ });
});

test('onnxFile outside the model folder is refused', async (t) => {
  const dir = copyModel(t);
  cpSync(join(dir, 'onnx/model.onnx'), join(dirname(dir), 'model.onnx'));
  for (const onnxFile of ['../model.onnx', join(dirname(dir), 'model.onnx')]) {
    await t.throwsAsync(Model.load(dir, { onnxFile }), { instanceOf: InvalidArgumentError, message: /Expected a file inside the model folder .* for onnxFile/ });
  }
});

// huggingface_hub's layout: snapshot files are relative links into the repository's blobs/.
test('a Hugging Face cache snapshot (links into ../../blobs) loads; a link into another repository\'s blobs does not', async (t) => {
  const root = tmp(t, 'sentvec-hf-');
  const model = tinyModel();
  const files = [];
  const walk = (sub) => {
    for (const e of readdirSync(join(model, sub), { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(sub, e.name));
      else files.push(join(sub, e.name));
    }
  };
  walk('');
  const repo = join(root, 'models--acme--tiny');
  const snapshot = join(repo, 'snapshots', 'a'.repeat(40));
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  for (const [i, f] of files.entries()) {
    const blob = join(repo, 'blobs', `blob${i}`);
    cpSync(join(model, f), blob);
    mkdirSync(dirname(join(snapshot, f)), { recursive: true });
    symlinkSync(relative(dirname(join(snapshot, f)), blob), join(snapshot, f));
  }
  const m = await Model.load(snapshot);
  t.is(m.dimension, 32);
  m.dispose();
  // Another repository of the same cache is not this model's.
  const other = join(root, 'models--evil--other', 'blobs');
  mkdirSync(other, { recursive: true });
  cpSync(join(model, 'onnx/model.onnx'), join(other, 'x'));
  rmSync(join(snapshot, 'onnx/model.onnx'));
  symlinkSync(relative(join(snapshot, 'onnx'), join(other, 'x')), join(snapshot, 'onnx/model.onnx'));
  await t.throwsAsync(Model.load(snapshot), { instanceOf: ModelFileError, message: /outside the model folder/ });
});

test('model_max_length 1e30 (Hugging Face\'s "no limit") is unset; limits in the files that cannot work are the files\' errors', async (t) => {
  const dir = copyModel(t);
  const config = join(dir, 'config.json');
  const tc = join(dir, 'tokenizer_config.json');
  const st = join(dir, 'sentence_bert_config.json');
  const original = readFileSync(config, 'utf8');
  editJson(config, ({ max_position_embeddings, ...rest }) => rest);
  editJson(st, ({ max_seq_length, ...rest }) => rest);
  // As transformers writes it: int(1e30).
  writeFileSync(tc, readFileSync(tc, 'utf8').replace(/"model_max_length":\s*\d+/, '"model_max_length": 1000000000000000019884624838656'));
  const m = await Model.load(dir);
  t.is(m.maxSeqLength, 512);
  m.dispose();
  writeFileSync(config, original);
  const withPositions = await Model.load(dir);
  t.is(withPositions.maxSeqLength, 512, '514 positions of XLM-R');
  withPositions.dispose();
  editJson(config, (c) => ({ ...c, max_position_embeddings: 3 }));
  const positions = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError });
  t.is(positions.file, config);
  t.regex(positions.message, /"max_position_embeddings" is 3, which leaves 1 positions/);
  writeFileSync(config, original);
  editJson(st, (c) => ({ ...c, max_seq_length: 1 }));
  const seq = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError });
  t.is(seq.file, st);
  t.regex(seq.message, /"max_seq_length" is 1; sentvec takes 2/);
  editJson(st, ({ max_seq_length, ...rest }) => rest);
  editJson(config, ({ max_position_embeddings, ...rest }) => rest);
  editJson(tc, (c) => ({ ...c, model_max_length: 2 ** 24 }));
  const huge = await t.throwsAsync(Model.load(dir), { instanceOf: ModelFileError });
  t.is(huge.file, tc);
  t.regex(huge.message, /"model_max_length" is 16777216/);
  // An option is still the caller's to get wrong.
  await t.throwsAsync(Model.load(dir, { maxSeqLength: 1 }), { instanceOf: InvalidArgumentError });
});
