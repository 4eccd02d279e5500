// The network half of a generated model: an XLM-RoBERTa or BERT encoder graph (spec.architecture;
// they differ in position ids, token types and LayerNorm epsilon) with seeded random weights,
// written as ONNX with onnx-proto (float32, or float16 for a model_fp16.onnx export).
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Seeded uniform numbers in [0, 1) (mulberry32). */
export function uniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rng(seed) {
  const next = uniform(seed);
  return (std) => {
    const u = Math.max(next(), 1e-12);
    return std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
const INT64 = onnx.TensorProto.DataType.INT64;
const A = onnx.AttributeProto.AttributeType;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** IEEE half-precision bits of `value`, rounded to nearest even (Node 20 has no Float16Array). */
export function toHalfBits(value) {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  let shift = 13;
  let half;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    shift = 14 - e;
    half = mantissa >>> shift;
  } else {
    half = (e << 10) | (mantissa >>> 13);
  }
  const rest = mantissa & ((1 << shift) - 1);
  const mid = 1 << (shift - 1);
  // A carry out of the mantissa correctly moves into the exponent (up to infinity).
  if (rest > mid || (rest === mid && (half & 1))) half++;
  return sign | half;
}

class GraphBuilder {
  /**
   * fp16: float tensors, casts and outputs in half precision, as in a model_fp16.onnx export.
   * external: the file name that holds the weights instead of the model file, as exports over
   * 2 GB have it (model.onnx_data): each initializer then names its offset and length there.
   */
  constructor(seed, fp16 = false, external = undefined) {
    this.nodes = [];
    this.initializers = [];
    this.normal = rng(seed);
    this.counter = 0;
    this.float = fp16 ? FLOAT16 : FLOAT;
    this.external = external;
    this.data = [];
    this.dataBytes = 0;
  }
  name(prefix) { return `${prefix}_${this.counter++}`; }
  tensor(name, dims, values, type = FLOAT) {
    let data;
    if (type === INT64) data = BigInt64Array.from(values.map(BigInt));
    else if (this.float === FLOAT16) {
      // A loop: Uint16Array.from(values, fn) builds a JS array as large as the embedding table.
      data = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) data[i] = toHalfBits(values[i]);
    }
    else data = Float32Array.from(values);
    const bytes = new Uint8Array(data.buffer);
    const dataType = type === INT64 ? INT64 : this.float;
    // As onnx's convert_model_to_external_data does by default: tensors under 1 KB (shape
    // constants, which shape inference must read) stay in the model file.
    if (this.external && bytes.length >= 1024) {
      const entries = { location: this.external, offset: String(this.dataBytes), length: String(bytes.length) };
      this.initializers.push({ name, dims, dataType, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: Object.entries(entries).map(([key, value]) => ({ key, value })) });
      this.data.push(bytes);
      this.dataBytes += bytes.length;
    } else {
      this.initializers.push({ name, dims, dataType, rawData: bytes });
    }
    return name;
  }
  random(name, dims, std) {
    const n = dims.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = this.normal(std);
    return this.tensor(name, dims, values);
  }
  filled(name, dims, value) {
    return this.tensor(name, dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(value));
  }
  node(op, inputs, attrs = {}, output = this.name(op.toLowerCase())) {
    const attribute = Object.entries(attrs).map(([name, v]) => {
      if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
      if (Number.isInteger(v) && name !== 'epsilon') return { name, type: A.INT, i: v };
      return { name, type: A.FLOAT, f: v };
    });
    this.nodes.push({ opType: op, input: inputs, output: [output], name: output, attribute });
    return output;
  }
  linear(x, inDim, outDim, prefix, std) {
    const w = this.random(`${prefix}.weight`, [inDim, outDim], std);
    const b = this.random(`${prefix}.bias`, [outDim], std);
    return this.node('Add', [this.node('MatMul', [x, w]), b]);
  }
  layerNorm(x, dim, prefix, epsilon) {
    const g = this.tensor(`${prefix}.gamma`, [dim], Array.from({ length: dim }, () => 1 + this.normal(0.05)));
    const b = this.random(`${prefix}.beta`, [dim], 0.05);
    return this.node('LayerNormalization', [x, g, b], { axis: -1, epsilon });
  }
}

/**
 * The encoder as ONNX: `{ model }`, the bytes of the model file, and with `external` (a file name,
 * e.g. 'model.onnx_data') `data`, the chunks of that file in order.
 */
export function buildOnnx(spec, vocabRows, fp16 = false, external = undefined) {
  const { layers, hidden, heads, intermediate, maxPositions, tokenTypeIds, pooledOutput } = spec;
  if (hidden % heads !== 0) throw new Error('hidden must be a multiple of heads');
  const headDim = hidden / heads;
  const g = new GraphBuilder(spec.seed, fp16, external);
  const FLOAT = g.float;
  const std = 0.1;
  const i64 = (name, values, dims = [values.length]) => g.tensor(name, dims, values, INT64);

  // BERT and DistilBERT number positions from 0; DistilBERT has no token types.
  const distil = spec.architecture === 'distilbert';
  const bert = spec.architecture === 'bert' || distil;
  let positions;
  if (bert) {
    // BERT position ids: 0, 1, 2, … whatever the padding (the mask hides padded positions).
    const length = g.node('Gather', [g.node('Shape', ['input_ids']), i64('dim1', [1], [])], { axis: 0 });
    positions = g.node('Unsqueeze', [g.node('Range', [i64('zero', [0], []), length, i64('step', [1], [])]), i64('axis0u', [0])]);
  } else {
    // XLM-R position ids: padding_idx + cumulative count of non-pad tokens (pad positions get 1).
    const pad = i64('pad_id', [1], []);
    const notPad = g.node('Cast', [g.node('Not', [g.node('Equal', ['input_ids', pad])])], { to: INT64 });
    positions = g.node('Add', [g.node('Mul', [g.node('CumSum', [notPad, i64('axis1', [1], [])]), notPad]), pad]);
  }
  const words = g.node('Gather', [g.random('word_embeddings', [vocabRows, hidden], std), 'input_ids']);
  const pos = g.node('Gather', [g.random('position_embeddings', [maxPositions, hidden], std), positions]);
  let sum = g.node('Add', [words, pos]);
  if (!distil) {
    const typeTable = g.random('token_type_embeddings', [spec.typeVocabSize ?? (bert ? 2 : 1), hidden], std);
    sum = tokenTypeIds
      ? g.node('Add', [sum, g.node('Gather', [typeTable, 'token_type_ids'])])
      : g.node('Add', [sum, g.node('Squeeze', [typeTable, i64('axis0', [0])])]);
  }
  const eps = bert ? 1e-12 : 1e-5;
  let x = g.layerNorm(sum, hidden, 'embeddings.LayerNorm', eps);

  // Additive attention mask: 0 for tokens, -1e9 for padding, shaped batch × 1 × 1 × sequence.
  const maskF = g.node('Cast', ['attention_mask'], { to: FLOAT });
  // -1e4 in half precision (its largest finite value is 65504); either way exp() is 0.
  const bias = g.node('Mul', [g.node('Sub', [g.filled('one', [], 1), maskF]), g.filled('neg', [], fp16 ? -1e4 : -1e9)]);
  const bias4 = g.node('Unsqueeze', [bias, i64('axes12', [1, 2])]);
  const splitHeads = i64('split_heads', [0, 0, heads, headDim]);
  const mergeHeads = i64('merge_heads', [0, 0, hidden]);
  const scale = g.filled('scale', [], 1 / Math.sqrt(headDim));
  const half = g.filled('half', [], 0.5);
  const sqrt2 = g.filled('sqrt2', [], Math.SQRT2);

  for (let l = 0; l < layers; l++) {
    const p = `layer.${l}`;
    const heads4 = (t, perm) => g.node('Transpose', [g.node('Reshape', [t, splitHeads])], { perm });
    const q = heads4(g.linear(x, hidden, hidden, `${p}.query`, std), [0, 2, 1, 3]);
    const k = heads4(g.linear(x, hidden, hidden, `${p}.key`, std), [0, 2, 3, 1]);
    const v = heads4(g.linear(x, hidden, hidden, `${p}.value`, std), [0, 2, 1, 3]);
    const scores = g.node('Add', [g.node('Mul', [g.node('MatMul', [q, k]), scale]), bias4]);
    const probs = g.node('Softmax', [scores], { axis: -1 });
    const context = g.node('Reshape', [g.node('Transpose', [g.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), mergeHeads]);
    const attn = g.linear(context, hidden, hidden, `${p}.output`, std);
    const x1 = g.layerNorm(g.node('Add', [attn, x]), hidden, `${p}.attention.LayerNorm`, eps);
    const f = g.linear(x1, hidden, intermediate, `${p}.intermediate`, std);
    const gelu = g.node('Mul', [g.node('Mul', [f, half]), g.node('Add', [g.filled(`${p}.one`, [], 1), g.node('Erf', [g.node('Div', [f, sqrt2])])])]);
    const f2 = g.linear(gelu, intermediate, hidden, `${p}.ffn_output`, std);
    x = g.layerNorm(g.node('Add', [f2, x1]), hidden, `${p}.output.LayerNorm`, eps);
  }
  // Tests use a large outputScale to make a float16 export overflow, as real ones sometimes do.
  if (spec.outputScale) x = g.node('Mul', [x, g.filled('output_scale', [], spec.outputScale)]);
  const dims2 = [{ dimParam: 'batch' }, { dimParam: 'sequence' }];
  let outputs;
  if (spec.numLabels) {
    // A sequence classifier (a cross-encoder), as optimum exports *ForSequenceClassification: the
    // first token's state → dense + tanh (RoBERTa's classifier.dense, BERT's pooler) → a linear
    // layer to the labels (classifier.out_proj, BERT's classifier); only `logits` leaves the graph.
    const first = g.node('Gather', [x, i64('first_token', [0], [])], { axis: 1 });
    const dense = g.node('Tanh', [g.linear(first, hidden, hidden, bert ? 'pooler.dense' : 'classifier.dense', std)]);
    const logits = g.linear(dense, hidden, spec.numLabels, bert ? 'classifier' : 'classifier.out_proj', 1);
    g.node('Identity', [logits], {}, 'logits');
    outputs = [{ name: 'logits', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: spec.numLabels }] } } } }];
  } else {
    g.node('Identity', [x], {}, 'last_hidden_state');
    outputs = [{ name: 'last_hidden_state', type: { tensorType: { elemType: FLOAT, shape: { dim: [...dims2, { dimValue: hidden }] } } } }];
  }
  if (pooledOutput) {
    // Masked mean inside the graph, as some sentence-transformers exports have it.
    const m3 = g.node('Unsqueeze', [maskF, i64('axis2', [2])]);
    const summed = g.node('ReduceSum', [g.node('Mul', ['last_hidden_state', m3]), i64('axes1', [1])], { keepdims: 0 });
    const counts = g.node('Max', [g.node('ReduceSum', [m3, i64('axes1b', [1])], { keepdims: 0 }), g.filled('tiny', [], fp16 ? 1e-4 : 1e-9)]);
    g.node('Div', [summed, counts], {}, 'sentence_embedding');
    outputs.push({ name: 'sentence_embedding', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: hidden }] } } } });
  }
  const input = (name) => ({ name, type: { tensorType: { elemType: INT64, shape: { dim: dims2 } } } });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'sentvec-model-generator',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'xlm_roberta_random',
      node: g.nodes,
      initializer: g.initializers,
      input: [input('input_ids'), input('attention_mask'), ...(tokenTypeIds && !distil ? [input('token_type_ids')] : [])],
      output: outputs,
    },
  });
  return { model: onnx.ModelProto.encode(model).finish(), data: external ? g.data : undefined };
}
