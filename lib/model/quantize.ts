// In-process int8 quantization of a model's ONNX export, with no Python and no download: the
// encoder's MatMul weights become int8 per output column (symmetric) under ONNX Runtime's
// DynamicQuantizeMatMul (activations are quantized at run time by its integer kernels; the bias Add
// after each is folded into it), and the
// word-embedding table becomes int8 rows with per-row scales, dequantized after the lookup.
// Everything else in the file is written back byte for byte.
import { open, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomically } from '../atomic-file';
import { InvalidArgumentError, ModelFileError } from '../errors';
import { ModelFolder, optionFile } from './model-file';
import { decode, encode, fieldsOf, int, msg, number, payload, ProtobufError, raw, str, text, type Field } from './protobuf';
import { describe, integerOption, rejectUnknownOptions } from '../validate';
import {
  dimsOf,
  findBiases,
  FLOAT,
  G,
  headMatmuls,
  INT8,
  M,
  MAX_TENSOR_BYTES,
  N,
  T,
  weightsToQuantize,
  type Candidate,
  type EmbeddingTable,
  type Tensor,
} from './onnx-graph';

/** Options of {@link quantizeModel}. */
export interface QuantizeOptions {
  /** The float32 export to quantize, inside the model directory. Default 'onnx/model.onnx'. */
  onnxFile?: string;
  /** Where to write, inside the model directory. Default 'onnx/model_qint8.onnx'. */
  output?: string;
  /** Quantize the word-embedding table too (most of a base model's bytes). Default true. */
  embeddings?: boolean;
  /**
   * Encoder layers, counted from the first, whose MatMuls stay float32: 0 to the model's layer
   * count. Default 0. The first layer is where int8 loses the most fidelity (docs/int8-and-cold-start.md).
   */
  float32Layers?: number;
}

/** What {@link quantizeModel} wrote. */
export interface QuantizeResult {
  /** The file written (absolute). */
  path: string;
  /** Bytes of the float32 export (with its external weights) and of the int8 one. */
  bytesBefore: number;
  /** Bytes of the int8 export. */
  bytesAfter: number;
  /** MatMul weights made int8. */
  matmuls: number;
  /** MatMul weights kept float32: those of the first `float32Layers` layers, and a classifier's head. */
  float32Matmuls: number;
  /** Whether the word-embedding table was made int8. */
  embeddingTable: boolean;
  /** Bias Adds folded into the int8 MatMuls before them (added in the GEMM's output pass). */
  biases: number;
}

// A byte count or offset of external_data: a decimal integer.
function externalNumber(value: string | undefined, key: string, absent: number): number {
  if (value === undefined) return absent;
  if (!/^\d{1,16}$/.test(value) || Number(value) > Number.MAX_SAFE_INTEGER)
    throw new ProtobufError(`external_data ${key} is ${JSON.stringify(value.slice(0, 40))}, not a byte count`);
  return Number(value);
}

// The float values of an initializer: raw_data, float_data or external data beside the model.
// Problems are ProtobufErrors, which the caller names the tensor in.
async function floats(fields: Field[], dims: number[], files: ModelFolder, modelDir: string): Promise<Float32Array | undefined> {
  const count = dims.reduce((a, b) => a * b, 1);
  const rawField = fields.find((f) => f.number === T.rawData);
  const copy = (bytes: Uint8Array) => {
    if (bytes.length !== count * 4) throw new ProtobufError(`it holds ${bytes.length} bytes for ${count} floats`);
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  };
  if (rawField) return copy(payload(rawField));
  const packed = fields.filter((f) => f.number === T.floatData && f.wire === 2);
  if (packed.length > 0) return copy(Buffer.concat(packed.map((f) => payload(f))));
  if (
    number(
      fields.find((f) => f.number === T.dataLocation),
      0n,
    ) === 1n
  ) {
    const entries = new Map<string, string>();
    for (const f of fields.filter((x) => x.number === T.externalData)) {
      const kv = fieldsOf(f);
      entries.set(text(kv.find((x) => x.number === 1)), text(kv.find((x) => x.number === 2)));
    }
    const location = entries.get('location') ?? '';
    if (location === '' || location.includes('..') || location.startsWith('/'))
      throw new ProtobufError(`external data names the file ${JSON.stringify(location)}`);
    const offset = externalNumber(entries.get('offset'), 'offset', 0);
    const length = externalNumber(entries.get('length'), 'length', count * 4);
    if (length !== count * 4 || length > MAX_TENSOR_BYTES) throw new ProtobufError(`external data of ${length} bytes for ${count} floats`);
    const bytes = await files.read(join(modelDir, location), 'onnxData', { offset, length });
    if (bytes === undefined) throw new ProtobufError(`its external data ${location} does not exist`);
    if (bytes.length !== length)
      throw new ProtobufError(`its external data ends at byte ${offset + length} of ${location}, which is shorter`);
    return copy(bytes);
  }
  return undefined;
}

/** Int8 codes and scales per column of a K × N matrix (symmetric: code × scale ≈ value). */
function perColumn(w: Float32Array, k: number, n: number): { codes: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(n);
  for (let r = 0; r < k; r++) for (let c = 0; c < n; c++) scales[c] = Math.max(scales[c], Math.abs(w[r * n + c]));
  for (let c = 0; c < n; c++) scales[c] = scales[c] > 0 ? scales[c] / 127 : 1;
  const codes = new Int8Array(k * n);
  for (let r = 0; r < k; r++)
    for (let c = 0; c < n; c++) codes[r * n + c] = Math.max(-127, Math.min(127, Math.round(w[r * n + c] / scales[c])));
  return { codes, scales };
}

/** Int8 codes and scales per row of a V × H table. */
function perRow(w: Float32Array, v: number, h: number): { codes: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(v);
  const codes = new Int8Array(v * h);
  for (let r = 0; r < v; r++) {
    let max = 0;
    for (let c = 0; c < h; c++) max = Math.max(max, Math.abs(w[r * h + c]));
    const scale = max > 0 ? max / 127 : 1;
    scales[r] = scale;
    for (let c = 0; c < h; c++) codes[r * h + c] = Math.max(-127, Math.min(127, Math.round(w[r * h + c] / scale)));
  }
  return { codes, scales };
}

// `layer.3`, `layers_3`, `layer/3` inside a node or weight name.
const LAYER_NAME = /(?:^|[^a-z])layers?[._/](\d+)(?![0-9])/i;

/**
 * The encoder layer of each weight MatMul: the number in its node's or weight's name
 * (`/encoder/layer.3/…`, `layer.3.query.weight`, `transformer.layer.3…`), else, when every layer
 * has as many as the others, its position (config.json's layer count).
 */
async function matmulLayers(
  candidates: { name: string; weight: Tensor }[],
  files: ModelFolder,
  source: string,
): Promise<{ layerOf: (i: number) => number; layers: number }> {
  const named = candidates.map((c) => {
    const m = LAYER_NAME.exec(c.name) ?? LAYER_NAME.exec(c.weight.name);
    return m ? Number(m[1]) : undefined;
  });
  // MatMuls without a number (a pooler after the encoder) are outside its layers.
  if (named.some((l) => l !== undefined))
    return { layerOf: (i) => named[i] ?? Infinity, layers: Math.max(...named.map((l) => (l === undefined ? 0 : l + 1))) };
  let layers: number | undefined;
  try {
    const config = JSON.parse((await files.read(join(files.root, 'config.json'), 'json'))?.toString('utf8') ?? '') as Record<
      string,
      unknown
    >;
    const n = config.num_hidden_layers ?? config.n_layers ?? config.num_layers;
    if (Number.isInteger(n) && (n as number) > 0) layers = n as number;
  } catch {
    // No config: the layers cannot be counted.
  }
  if (layers === undefined || candidates.length % layers !== 0)
    throw new ModelFileError(
      source,
      `${source}: cannot tell which encoder layer each MatMul belongs to (no layer numbers in their names, and ${candidates.length} MatMuls over ${layers ?? 'an unknown number of'} layers); quantize without float32Layers`,
    );
  const perLayer = candidates.length / layers;
  return { layerOf: (i) => Math.floor(i / perLayer), layers };
}

const tensor = (name: string, dims: number[], dataType: number, bytes: Uint8Array): Field =>
  msg(G.initializer, [...dims.map((d) => int(T.dims, d)), int(T.dataType, dataType), str(T.name, name), raw(T.rawData, bytes)]);
const node = (op: string, inputs: string[], outputs: string[], name: string, domain?: string, attributes: Field[] = []): Field =>
  msg(G.node, [
    ...inputs.map((i) => str(N.input, i)),
    ...outputs.map((o) => str(N.output, o)),
    str(N.name, name),
    str(N.opType, op),
    ...attributes,
    ...(domain ? [str(N.domain, domain)] : []),
  ]);
const bytesOf = (a: Int8Array | Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// The files an export's initializers keep their weights in (external_data locations).
function externalFiles(graph: Field[], modelDir: string): Set<string> {
  const files = new Set<string>();
  for (const f of graph) {
    if (f.number !== G.initializer) continue;
    for (const g of fieldsOf(f)) {
      if (g.number !== T.externalData) continue;
      const kv = fieldsOf(g);
      if (text(kv.find((x) => x.number === 1)) === 'location') files.add(resolve(modelDir, text(kv.find((x) => x.number === 2))));
    }
  }
  return files;
}

// The ModelProto metadata_props entry quantizeModel writes, by which it knows its own outputs (the
// text "_sentvec_int8" anywhere in a file, its tensor names' suffix, let it replace any file holding it).
const OWN_MARK = { key: 'sentvec.quantize', value: 'int8' };

// Whether a file is an ONNX model whose top-level metadata_props hold OWN_MARK. Only the top-level
// fields' heads are read, skipping their bodies, so a 2 GB file costs a few small reads.
async function writtenByQuantize(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const head = Buffer.alloc(20);
    for (let at = 0; at < size;) {
      const { bytesRead } = await file.read(head, 0, head.length, at);
      let i = 0;
      const varint = (): number => {
        let value = 0;
        // Up to 10 bytes: a 64-bit value (a model's own fields may hold any).
        for (let shift = 0; i < bytesRead && shift <= 63; shift += 7) {
          const b = head[i++];
          value += (b & 0x7f) * 2 ** shift;
          if (!(b & 0x80)) return value;
        }
        return -1;
      };
      const tag = varint();
      if (tag < 0) return false;
      const wire = tag % 8;
      if (wire === 0) {
        if (varint() < 0) return false;
        at += i;
      } else if (wire === 1 || wire === 5) at += i + (wire === 1 ? 8 : 4);
      else if (wire === 2) {
        const length = varint();
        if (length < 0 || at + i + length > size) return false;
        if (Math.floor(tag / 8) === M.metadataProps && length < 4096) {
          const entry = Buffer.alloc(length);
          await file.read(entry, 0, length, at + i);
          try {
            const fields = decode(entry);
            if (text(fields.find((f) => f.number === 1)) === OWN_MARK.key && text(fields.find((f) => f.number === 2)) === OWN_MARK.value)
              return true;
          } catch {
            return false;
          }
        }
        at += i + length;
      } else return false;
    }
    return false;
  } finally {
    await file.close();
  }
}

function isOwnMark(f: Field): boolean {
  const fields = fieldsOf(f);
  return text(fields.find((x) => x.number === 1)) === OWN_MARK.key;
}

/**
 * Refuses an output that would replace one of the model's files: the same file as one of
 * `keep` (compared by device and inode, so a link or a folder alias is caught), or any existing
 * file that is not an earlier int8 export of quantizeModel's.
 */
async function refuseModelFile(target: string, keep: Iterable<string>): Promise<void> {
  const existing = await stat(target).catch(() => undefined);
  if (existing === undefined) return;
  for (const file of keep) {
    const kept = await stat(file).catch(() => undefined);
    if (kept && kept.dev === existing.dev && kept.ino === existing.ino)
      throw new InvalidArgumentError(
        `output ${target} is the model's own ${file}, which quantizeModel keeps: choose another output, e.g. onnx/model_qint8.onnx`,
      );
  }
  if (!existing.isFile() || !(await writtenByQuantize(target)))
    throw new InvalidArgumentError(
      `output ${target} exists and is not an int8 export that quantizeModel wrote: it may be one of the model's files, so it is kept; choose another output, or remove that file first`,
    );
}

/** The graph fields that replace each quantized weight's node, and the float initializers they drop. */
function replaceWeights(
  candidates: Candidate[],
  table: EmbeddingTable | undefined,
  keepFloat32: (candidate: number) => boolean,
  initializers: Map<string, { index: number; fields: Field[] }>,
) {
  const replaced = new Map<number, Field[]>(); // graph field index → fields in its place
  const dropped = new Set<number>();
  let matmuls = 0;
  let float32Matmuls = 0;
  let embeddingTable = false;
  let biases = 0;
  for (const [i, c] of candidates.entries()) {
    if (keepFloat32(i)) {
      float32Matmuls++;
      continue;
    }
    const [k, cols] = c.weight.dims;
    const { codes, scales } = perColumn(c.weight.data!, k, cols);
    const prefix = `${c.weight.name}_sentvec_int8`;
    replaced.set(c.node, [
      tensor(`${prefix}_codes`, [k, cols], INT8, bytesOf(codes)),
      tensor(`${prefix}_scales`, [cols], FLOAT, bytesOf(scales)),
      c.bias
        ? node(
            'DynamicQuantizeMatMul',
            [c.inputs[0], `${prefix}_codes`, `${prefix}_scales`, '', c.bias.name],
            [c.bias.output],
            `${prefix}_matmul`,
            'com.microsoft',
          )
        : node(
            'DynamicQuantizeMatMul',
            [c.inputs[0], `${prefix}_codes`, `${prefix}_scales`],
            c.outputs,
            `${prefix}_matmul`,
            'com.microsoft',
          ),
    ]);
    if (c.bias) {
      replaced.set(c.bias.node, []);
      biases++;
    }
    dropped.add(initializers.get(c.weight.name)!.index);
    matmuls++;
  }
  if (table) {
    const [v, h] = table.weight.dims;
    const { codes, scales } = perRow(table.weight.data!, v, h);
    const p = `${table.weight.name}_sentvec_int8`;
    replaced.set(table.node, [
      tensor(`${p}_codes`, [v, h], INT8, bytesOf(codes)),
      tensor(`${p}_scales`, [v, 1], FLOAT, bytesOf(scales)),
      node('Gather', [`${p}_codes`, table.ids], [`${p}_rows`], `${p}_gather`),
      node('Cast', [`${p}_rows`], [`${p}_float`], `${p}_cast`, undefined, [msg(N.attribute, [str(1, 'to'), int(20, 2), int(3, FLOAT)])]),
      node('Gather', [`${p}_scales`, table.ids], [`${p}_row_scales`], `${p}_gather_scales`),
      node('Mul', [`${p}_float`, `${p}_row_scales`], [table.output], `${p}_dequantize`),
    ]);
    dropped.add(initializers.get(table.weight.name)!.index);
    embeddingTable = true;
  }
  return { replaced, dropped, matmuls, float32Matmuls, embeddingTable, biases };
}

/**
 * Writes an int8 copy of a model directory's float32 export (see the file's header) and returns
 * what it did. The float32 file is left as it is; the output is written atomically.
 */
export async function quantizeModel(dir: string, options: QuantizeOptions = {}): Promise<QuantizeResult> {
  if (typeof dir !== 'string' || dir === '')
    throw new InvalidArgumentError(`Expected a model directory for dir but received ${describe(dir)}`);
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`Expected an object for options but received ${describe(options)}`);
  rejectUnknownOptions(options, new Set(['onnxFile', 'output', 'embeddings', 'float32Layers']), 'quantizeModel()');
  const float32Layers = options.float32Layers === undefined ? 0 : integerOption(options.float32Layers, 'float32Layers');
  const root = resolve(dir);
  const source = optionFile(root, options.onnxFile ?? 'onnx/model.onnx', 'onnxFile');
  const target = resolve(root, options.output ?? 'onnx/model_qint8.onnx');
  if (!target.endsWith('.onnx'))
    throw new InvalidArgumentError(
      `output must name an .onnx file (received ${JSON.stringify(options.output)}): the model's other files are never overwritten`,
    );
  await refuseModelFile(target, [source, `${source}_data`]);
  let files: ModelFolder;
  try {
    files = await ModelFolder.open(root);
  } catch (err) {
    throw new ModelFileError(
      root,
      `cannot read the model directory ${root} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const bytes = await files.read(source, 'onnx');
  if (bytes === undefined) throw new ModelFileError(source, `cannot read ${source} (ENOENT); expected the float32 ONNX export`);
  // A malformed tensor is named, so that the error says where in the file to look.
  const tensorPart = <R>(what: string, read: () => R): R => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof ProtobufError)) throw err;
      throw new ModelFileError(
        source,
        `${source}: ${what} is not a valid ONNX tensor (${err.message}); export or download the model again`,
      );
    }
  };
  let bytesBefore = bytes.length;
  try {
    bytesBefore += (await stat(`${source}_data`)).size;
  } catch {
    // No external weights.
  }
  try {
    const model = decode(bytes);
    const graphIndex = model.findIndex((f) => f.number === M.graph);
    if (graphIndex < 0) throw new ModelFileError(source, `${source}: no graph; expected an ONNX model`);
    const graph = fieldsOf(model[graphIndex]);
    // Initializers by name, and how many nodes use each.
    const initializers = new Map<string, { index: number; fields: Field[] }>();
    let ordinal = 0;
    graph.forEach((f, index) => {
      if (f.number !== G.initializer) return;
      const fields = tensorPart(`initializer #${++ordinal}`, () => fieldsOf(f));
      const name = tensorPart(`initializer #${ordinal}`, () => text(fields.find((x) => x.number === T.name)));
      initializers.set(name, { index, fields });
    });
    const nodes = graph.map((f, index) => (f.number === G.node ? { index, fields: fieldsOf(f) } : undefined));
    const uses = new Map<string, number>();
    for (const n of nodes) for (const f of n?.fields ?? []) if (f.number === N.input) uses.set(text(f), (uses.get(text(f)) ?? 0) + 1);
    const floatMatrix = async (name: string): Promise<Tensor | undefined> => {
      const init = initializers.get(name);
      if (!init || uses.get(name) !== 1) return undefined;
      const what = `initializer ${JSON.stringify(name)}`;
      const dims = tensorPart(what, () => dimsOf(init.fields));
      const dataType = tensorPart(what, () =>
        Number(
          number(
            init.fields.find((x) => x.number === T.dataType),
            0n,
          ),
        ),
      );
      if (dims.length !== 2 || dataType !== FLOAT) return undefined;
      const data = await floats(init.fields, dims, files, dirname(source)).catch((err: unknown) =>
        tensorPart(what, () => {
          throw err;
        }),
      );
      return { name, dims, dataType, data };
    };

    const { candidates, table } = await weightsToQuantize(nodes, floatMatrix, options.embeddings !== false);
    findBiases(candidates, nodes, initializers, uses, graph);
    const head = headMatmuls(nodes, graph);
    let layerOf: (i: number) => number = () => Infinity;
    if (float32Layers > 0) {
      const found = await matmulLayers(candidates, files, source);
      if (float32Layers > found.layers)
        throw new InvalidArgumentError(`float32Layers is ${float32Layers}, but this model has ${found.layers} layers`);
      layerOf = found.layerOf;
    }
    const { replaced, dropped, matmuls, float32Matmuls, embeddingTable, biases } = replaceWeights(
      candidates,
      table,
      (i) => layerOf(i) < float32Layers || head.has(candidates[i].node),
      initializers,
    );
    if (matmuls === 0 && !embeddingTable)
      throw new ModelFileError(source, `${source}: no float32 MatMul weight or embedding table to quantize`);
    // Initializers first, then nodes in their places (ONNX lists initializers apart from nodes; order among nodes is kept).
    const added: Field[] = [];
    const out: Field[] = [];
    graph.forEach((f, index) => {
      if (dropped.has(index)) return;
      const instead = replaced.get(index);
      if (!instead) return out.push(f);
      for (const g of instead) (g.number === G.initializer ? added : out).push(g);
    });
    const newGraph = [...out, ...added];
    const opsets = model.filter((f) => f.number === M.opsetImport).map((f) => fieldsOf(f));
    const hasMs = opsets.some((o) => text(o.find((x) => x.number === 1)) === 'com.microsoft');
    const newModel = model
      .map((f, i) => (i === graphIndex ? msg(M.graph, newGraph) : f))
      .filter((f) => f.number !== M.metadataProps || !isOwnMark(f));
    newModel.push(msg(M.metadataProps, [str(1, OWN_MARK.key), str(2, OWN_MARK.value)]));
    if (!hasMs) newModel.push(msg(M.opsetImport, [str(1, 'com.microsoft'), int(2, 1)]));
    const written = encode(newModel);
    if (written.length >= 2 ** 31)
      throw new ModelFileError(source, `${source}: the int8 model would be ${written.length} bytes, more than one ONNX file holds`);
    await refuseModelFile(target, [...externalFiles(graph, dirname(source))]);
    await writeFileAtomically(target, written);
    return { path: target, bytesBefore, bytesAfter: written.length, matmuls, float32Matmuls, embeddingTable, biases };
  } catch (err) {
    if (err instanceof ProtobufError)
      throw new ModelFileError(source, `${source} is not a valid ONNX file (${err.message}); download it again`);
    throw err;
  }
}
