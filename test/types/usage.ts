// Compiled (not run) by test/types.test.mjs: the published declarations must accept this usage
// and reject the lines marked @ts-expect-error.
import { Embeddings, InvalidArgumentError, Model, SentvecError, Tokenized, physicalCores } from '../../dist/lib/sentvec.js';

async function usage(): Promise<void> {
  const model: Model = await Model.load('dir', { maxSeqLength: 128, pooling: ['mean', 'cls'], threads: 2, normalize: true });
  const e: Embeddings = await model.encode(['a', 'b'], { batchSize: 8, normalize: true, truncate: false });
  const row: Float32Array = e.get(0);
  const flags: readonly boolean[] = e.truncated;
  const one: Tokenized = await model.tokenize('x');
  const many: Tokenized[] = await model.tokenize(['x', 'y']);
  const tokens: string[] = one.tokens;
  const n: number = model.dimension + model.maxSeqLength + physicalCores() + row.length + flags.length + many.length + tokens.length;
  void n;
  try {
    await model.encode('x');
  } catch (err) {
    if (err instanceof InvalidArgumentError) console.log(err.code);
    if (err instanceof SentvecError) console.log(err.code);
  }
  const gpu = await Model.load('dir', { onnxFile: 'onnx/model_fp16.onnx', providers: [{ name: 'cuda', deviceId: 0, tf32: false }, { name: 'tensorrt', fp16: true }, 'cpu'], fallback: true });
  gpu.dispose();
  // @ts-expect-error tf32 is a boolean
  await Model.load('dir', { providers: [{ name: 'cuda', tf32: 'yes' }] });
  // @ts-expect-error pooling modes are a closed set
  await Model.load('dir', { pooling: 'median' });
  // @ts-expect-error batchSize is a number
  await model.encode('x', { batchSize: '8' });
  // @ts-expect-error unknown options are rejected by the types too
  await model.encode('x', { batch_size: 8 });
  model.dispose();
}
void usage;
