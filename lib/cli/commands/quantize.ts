// `sentvec quantize <model>`: an int8 copy of a model's ONNX export, for --precision int8.
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { quantizeModel } from '../../model/quantize';
import { huggingFaceCache } from '../../hub/download';
import { modelFolder } from '../model-source';
import { ranged } from '../options';
import { UsageError } from '../usage-error';

interface QuantizeOptions {
  revision?: string;
  onnxFile?: string;
  output?: string;
  embeddings: boolean;
  float32Layers?: number;
  quiet?: boolean;
}

async function quantize(name: string, opts: QuantizeOptions) {
  const { dir } = await modelFolder({ ...opts, onnxFile: undefined, model: name });
  if (resolve(dir).startsWith(resolve(huggingFaceCache()))) {
    throw new UsageError(
      `${dir} is in the Hugging Face cache, which sentvec reads but does not write: copy the folder elsewhere and quantize the copy`,
    );
  }
  const result = await quantizeModel(dir, {
    onnxFile: opts.onnxFile,
    output: opts.output,
    embeddings: opts.embeddings,
    float32Layers: opts.float32Layers,
  });
  process.stdout.write(
    `${result.path}: ${result.matmuls} weight matrices${result.embeddingTable ? ' and the embedding table' : ''} in int8` +
      `${result.float32Matmuls ? ` (${result.float32Matmuls} kept float32)` : ''}, ` +
      `${(result.bytesAfter / 1e6).toFixed(1)} MB (float32: ${(result.bytesBefore / 1e6).toFixed(1)} MB)\n`,
  );
}

export function addQuantize(cmd: Command): void {
  cmd
    .command('quantize <model>')
    .description("write an int8 copy of a model's ONNX export beside it (onnx/model_qint8.onnx), for --precision int8")
    .option('--revision <rev>', 'hub revision: branch, tag or commit (default: main)')
    .option('--onnx-file <path>', 'the float32 export to quantize (default onnx/model.onnx)')
    .option('--output <path>', 'where to write, inside the model (default onnx/model_qint8.onnx)')
    .option('--no-embeddings', 'keep the word-embedding table in float32')
    .addOption(
      new Option(
        '--float32-layers <n>',
        "keep the MatMuls of the model's first n layers in float32 (fidelity for speed; see docs/int8-and-cold-start.md)",
      ).argParser(ranged('float32Layers')),
    )
    .option('-q, --quiet', 'no progress bar')
    .action(quantize);
}
