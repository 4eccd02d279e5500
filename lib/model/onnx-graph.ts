// What quantizeModel reads in an ONNX graph: the protobuf field numbers it uses, the MatMul weights
// and word-embedding table to make int8, the bias Adds to fold into them, and a classifier head to
// keep float32. lib/model/quantize.ts rewrites the graph from these.
import { fieldsOf, number, packedVarints, ProtobufError, text, type Field } from './protobuf';

export const FLOAT = 1;
export const INT8 = 3;
// TensorProto fields.
export const T = { dims: 1, dataType: 2, floatData: 4, name: 8, rawData: 9, externalData: 13, dataLocation: 14 };
// NodeProto, GraphProto and ModelProto fields.
export const N = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 };
export const G = { node: 1, initializer: 5, output: 12 };
export const M = { opsetImport: 8, graph: 7, metadataProps: 14 };

export interface Tensor {
  name: string;
  dims: number[];
  dataType: number;
  data: Float32Array | undefined;
}

// Tensors larger than this cannot be made int8 in one ONNX file (2 GiB, the protobuf limit) anyway.
export const MAX_TENSOR_BYTES = 2 ** 33;

export function dimsOf(fields: Field[]): number[] {
  const values: bigint[] = [];
  for (const f of fields) {
    if (f.number !== T.dims) continue;
    // Repeated varints, or packed: varints back to back in one bytes field.
    if (f.wire === 2) values.push(...packedVarints(f.value as Uint8Array));
    else values.push(number(f, 0n));
  }
  return values.map((d) => {
    // int64 on the wire: a negative dimension arrives as 2^64 - n.
    if (d > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtobufError(`a dimension of ${BigInt.asIntN(64, d)}`);
    return Number(d);
  });
}

export type Candidate = { node: number; name: string; weight: Tensor; inputs: string[]; outputs: string[]; bias?: Bias };
// The Add of a bias vector that alone reads a MatMul's output: DynamicQuantizeMatMul adds it in its
// GEMM's output pass, where a separate Add reads and writes the whole output once more.
export type Bias = { node: number; name: string; output: string };
export type EmbeddingTable = { node: number; weight: Tensor; ids: string; output: string };
export type GraphNode = { index: number; fields: Field[] } | undefined;

/** The MatMul weights to quantize, and the word-embedding table: the largest float table that a Gather reads rows of. */
export async function weightsToQuantize(
  nodes: GraphNode[],
  floatMatrix: (name: string) => Promise<Tensor | undefined>,
  embeddings: boolean,
): Promise<{ candidates: Candidate[]; table?: EmbeddingTable }> {
  let table: EmbeddingTable | undefined;
  const candidates: Candidate[] = [];
  for (const n of nodes) {
    if (!n) continue;
    const op = text(n.fields.find((f) => f.number === N.opType));
    const domain = text(n.fields.find((f) => f.number === N.domain));
    if (domain !== '' && domain !== 'ai.onnx') continue;
    const inputs = n.fields.filter((f) => f.number === N.input).map((f) => text(f));
    const outputs = n.fields.filter((f) => f.number === N.output).map((f) => text(f));
    if (op === 'MatMul' && inputs.length === 2 && outputs.length === 1) {
      const w = await floatMatrix(inputs[1]);
      if (!w?.data) continue;
      const name = text(n.fields.find((f) => f.number === N.name));
      candidates.push({ node: n.index, name, weight: w, inputs, outputs });
    } else if (op === 'Gather' && embeddings && inputs.length === 2 && outputs.length === 1) {
      const axis = n.fields
        .filter((f) => f.number === N.attribute)
        .some((f) => {
          const a = fieldsOf(f);
          return text(a.find((x) => x.number === 1)) === 'axis' && a.some((x) => x.number === 3 && number(x, 0n) !== 0n);
        });
      if (axis) continue;
      const w = await floatMatrix(inputs[0]);
      // (A table of 1-wide rows is a scale column: already quantized.)
      if (!w?.data || w.dims[0] < 1000 || w.dims[1] < 2 || w.name.includes('_sentvec_int8')) continue;
      if (!table || w.dims[0] > table.weight.dims[0]) table = { node: n.index, weight: w, ids: inputs[1], output: outputs[0] };
    }
  }
  return { candidates, table };
}

/** Sets each candidate's `bias`: an Add of a float vector as wide as its output, its only reader. */
export function findBiases(
  candidates: Candidate[],
  nodes: GraphNode[],
  initializers: Map<string, { index: number; fields: Field[] }>,
  uses: Map<string, number>,
  graph: Field[],
): void {
  const graphOutputs = new Set(graph.filter((f) => f.number === G.output).map((f) => text(fieldsOf(f).find((x) => x.number === 1))));
  const readers = new Map<string, { index: number; op: string; domain: string; inputs: string[]; outputs: string[] }[]>();
  for (const n of nodes) {
    if (!n) continue;
    const inputs = n.fields.filter((f) => f.number === N.input).map((f) => text(f));
    const entry = {
      index: n.index,
      op: text(n.fields.find((f) => f.number === N.opType)),
      domain: text(n.fields.find((f) => f.number === N.domain)),
      inputs,
      outputs: n.fields.filter((f) => f.number === N.output).map((f) => text(f)),
    };
    for (const i of new Set(inputs)) readers.set(i, [...(readers.get(i) ?? []), entry]);
  }
  for (const c of candidates) {
    const out = c.outputs[0];
    const r = readers.get(out);
    if (graphOutputs.has(out) || r?.length !== 1) continue;
    const add = r[0];
    if (add.op !== 'Add' || (add.domain !== '' && add.domain !== 'ai.onnx') || add.inputs.length !== 2 || add.outputs.length !== 1)
      continue;
    const other = add.inputs[0] === out ? add.inputs[1] : add.inputs[0];
    const init = initializers.get(other);
    if (!init || other === out || uses.get(other) !== 1) continue;
    const dims = dimsOf(init.fields);
    const dataType = Number(
      number(
        init.fields.find((x) => x.number === T.dataType),
        0n,
      ),
    );
    if (dims.length !== 1 || dims[0] !== c.weight.dims[1] || dataType !== FLOAT) continue;
    c.bias = { node: add.index, name: other, output: add.outputs[0] };
  }
}

// Ops that pick one token's state out of a sequence: where a classifier's head begins.
const TOKEN_PICKS = new Set(['Gather', 'Slice']);
// A head has a dense layer or two; a walk that meets more MatMuls has gone into the encoder.
const HEAD_MATMULS = 4;

/**
 * The MatMuls of a sequence classifier's head (a cross-encoder's dense and out_proj): those between
 * its `logits` output and the node that picks the first token. They run on one row per input, so
 * int8 saves no time there, and their error would fall on the score itself; they stay float32.
 */
export function headMatmuls(nodes: GraphNode[], graph: Field[]): Set<number> {
  const logits = graph.some((f) => f.number === G.output && text(fieldsOf(f).find((x) => x.number === 1)) === 'logits');
  if (!logits) return new Set();
  const producer = new Map<string, NonNullable<GraphNode>>();
  for (const n of nodes) if (n) for (const f of n.fields) if (f.number === N.output) producer.set(text(f), n);
  const found = new Set<number>();
  const seen = new Set<number>();
  const pending = ['logits'];
  while (pending.length > 0) {
    const n = producer.get(pending.pop()!);
    if (!n || seen.has(n.index)) continue;
    seen.add(n.index);
    const op = text(n.fields.find((f) => f.number === N.opType));
    if (TOKEN_PICKS.has(op)) continue;
    if (op === 'MatMul' && found.add(n.index).size > HEAD_MATMULS) return new Set();
    for (const f of n.fields) if (f.number === N.input) pending.push(text(f));
  }
  return found;
}
