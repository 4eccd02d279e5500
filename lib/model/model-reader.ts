// Reads the files of a model directory (the sentence-transformers repository layout): what each
// file says, checked, and nothing of Model.load()'s options. Every problem names the file and
// what was expected. model-directory.ts combines what is read here with the options.
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { binding, type DenseActivation, type NativeDense, type PoolingMode } from '../binding';
import { ModelFileError } from '../errors';
import { ModelFolder, type ModelFileKind } from './model-file';
import { parseSafetensors } from './safetensors';
import { readWordPiece, type WordPiece } from './wordpiece-reader';

export type JsonObject = Record<string, unknown>;

// A length read from a model's files this large says "no limit" (Hugging Face's VERY_LARGE_INTEGER is 1e30).
const UNSET_LENGTH = 1e18;

/**
 * The encoder architectures sentvec runs, and the rows of their position table that no token
 * uses: XLM-R numbers positions from padding_idx + 1 = 2, BERT from 0. (The position ids are
 * computed inside the ONNX graph; only the longest input follows from this.)
 */
const RESERVED_POSITIONS = { 'xlm-roberta': 2, bert: 0, distilbert: 0 };
type ModelType = keyof typeof RESERVED_POSITIONS;

export async function readJson(
  folder: ModelFolder,
  path: string,
  expected: string,
  required: boolean,
  kind: ModelFileKind = 'json',
): Promise<JsonObject | unknown[] | undefined> {
  const bytes = await folder.read(path, kind);
  if (bytes === undefined) {
    if (!required) return undefined;
    throw new ModelFileError(path, `cannot read ${path} (ENOENT); expected ${expected}`);
  }
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw new ModelFileError(path, `${path} is empty; expected ${expected}. Download it again.`);
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object') throw new Error('not a JSON object or array');
    return value as JsonObject;
  } catch (err) {
    throw new ModelFileError(
      path,
      `${path} is not valid JSON (${(err as Error).message}); expected ${expected}. The file may be truncated: download it again.`,
    );
  }
}

/**
 * A positive integer field of a model's file. A length or position limit (`unsetFrom`) at or above
 * UNSET_LENGTH says "no limit"; any other value above 2^53 is refused here, so that no number from a
 * file reaches the native layer, which would call it a bad option.
 */
export function integerField(obj: JsonObject, key: string, file: string, unsetFrom?: number): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ModelFileError(file, `${file}: "${key}" must be a positive integer, found ${JSON.stringify(v)}`);
  }
  if (unsetFrom !== undefined && v >= unsetFrom) return undefined;
  if (!Number.isSafeInteger(v))
    throw new ModelFileError(file, `${file}: "${key}" is ${v}, above 2^53 − 1, the largest integer a JSON number holds exactly`);
  return v;
}

/** The model directory as a ModelFolder, once it is known to be a folder. */
export async function openModelDirectory(root: string): Promise<ModelFolder> {
  let info;
  try {
    info = await stat(root);
  } catch {
    throw new ModelFileError(
      root,
      `model directory ${root} does not exist; expected a sentence-transformers model folder (config.json, sentencepiece.bpe.model, onnx/model.onnx, …)`,
    );
  }
  if (!info.isDirectory()) throw new ModelFileError(root, `${root} is not a directory; expected a sentence-transformers model folder`);
  return ModelFolder.open(root);
}

export interface TransformerConfig {
  configPath: string;
  modelType: string;
  hiddenSize: number;
  maxPositionEmbeddings: number | undefined;
  /** Positions left for tokens (0: the file does not say). */
  maxPositions: number;
  /** Rows of the token embedding table (vocab_size), when the file says. */
  embeddingRows: number | undefined;
}

/** config.json: the encoder's architecture and sizes. */
export async function readTransformerConfig(files: ModelFolder): Promise<TransformerConfig> {
  const configPath = join(files.root, 'config.json');
  const config = (await readJson(files, configPath, 'the transformer configuration (model_type, hidden_size, …)', true)) as JsonObject;
  const modelType = config.model_type;
  if (typeof modelType !== 'string' || !(modelType in RESERVED_POSITIONS)) {
    throw new ModelFileError(
      configPath,
      `${configPath}: model_type is ${JSON.stringify(modelType)}; sentvec runs encoders of model_type ${Object.keys(RESERVED_POSITIONS)
        .map((t) => `"${t}"`)
        .join(' or ')} with the XLM-R SentencePiece tokenizer, such as paraphrase-multilingual-mpnet-base-v2, ` +
        'paraphrase-multilingual-MiniLM-L12-v2, multilingual-e5-* and bge-m3',
    );
  }
  // (DistilBERT calls it dim.)
  const hiddenSize = integerField(config, modelType === 'distilbert' ? 'dim' : 'hidden_size', configPath) ?? 0;
  const maxPositionEmbeddings = integerField(config, 'max_position_embeddings', configPath, UNSET_LENGTH);
  const reserved = RESERVED_POSITIONS[modelType as ModelType];
  const maxPositions = maxPositionEmbeddings ? maxPositionEmbeddings - reserved : 0;
  if (maxPositionEmbeddings !== undefined && maxPositions < 2)
    throw new ModelFileError(
      configPath,
      `${configPath}: "max_position_embeddings" is ${maxPositionEmbeddings}, which leaves ${maxPositions} positions for tokens ` +
        `(a ${modelType} model numbers them from ${reserved}); an input needs at least 2 (<s> and </s>)`,
    );
  const embeddingRows = integerField(config, 'vocab_size', configPath);
  return { configPath, modelType, hiddenSize, maxPositionEmbeddings, maxPositions, embeddingRows };
}

export interface TokenizerFiles {
  /** sentence_bert_config.json (empty when absent) and its path. */
  st: JsonObject;
  stPath: string;
  /** tokenizer_config.json (empty when absent) and its path. */
  tc: JsonObject;
  tcPath: string;
  spmPath: string;
  /** BERT's WordPiece, when there is no SentencePiece model. */
  wordPiece: WordPiece | undefined;
}

/** sentence_bert_config.json, the tokenizer's configuration and the tokenizer itself. */
export async function readTokenizerFiles(files: ModelFolder): Promise<TokenizerFiles> {
  const root = files.root;
  const stPath = join(root, 'sentence_bert_config.json');
  const st = ((await readJson(files, stPath, 'max_seq_length and do_lower_case', false)) ?? {}) as JsonObject;
  const tcPath = join(root, 'tokenizer_config.json');
  const tc = ((await readJson(files, tcPath, 'the tokenizer configuration', false)) ?? {}) as JsonObject;
  await readJson(files, join(root, 'special_tokens_map.json'), 'the special tokens map', false);
  const spmPath = join(root, 'sentencepiece.bpe.model');
  // The tokenizer: XLM-R's SentencePiece model when there is one (native code reads it), else BERT's WordPiece.
  if (await files.check(spmPath, 'tokenizer')) return { st, stPath, tc, tcPath, spmPath, wordPiece: undefined };
  const jsonPath = join(root, 'tokenizer.json');
  const tokenizerJson = (await readJson(files, jsonPath, 'the Hugging Face tokenizer', false, 'tokenizer')) as JsonObject | undefined;
  const wordPiece = await readWordPiece(files, tc, tokenizerJson);
  return { st, stPath, tc, tcPath, spmPath, wordPiece };
}

/**
 * The longest input the files give, within `limit` tokens and the position embeddings:
 * max_seq_length of sentence_bert_config.json, else the tokenizer's model_max_length, else 512.
 */
export function maxSeqLengthFromFiles(tokenizer: TokenizerFiles, maxPositions: number, limit: number): number {
  const { st, stPath, tc, tcPath } = tokenizer;
  // Hugging Face writes model_max_length 1e30 (int(1e30)) when a tokenizer has no limit: unset.
  const modelMaxLength = integerField(tc, 'model_max_length', tcPath, UNSET_LENGTH);
  const [value, file, field] =
    st.max_seq_length !== undefined && st.max_seq_length !== null
      ? [integerField(st, 'max_seq_length', stPath), stPath, 'max_seq_length']
      : modelMaxLength !== undefined && modelMaxLength < UNSET_LENGTH
        ? [modelMaxLength, tcPath, 'model_max_length']
        : [undefined, '', ''];
  let maxSeqLength = value ?? 512;
  if (maxPositions > 0) maxSeqLength = Math.min(maxSeqLength, maxPositions);
  if (value !== undefined && (maxSeqLength < 2 || maxSeqLength > limit))
    throw new ModelFileError(
      file,
      `${file}: "${field}" is ${value}; sentvec takes 2 (<s> and </s>) to ${limit} tokens. ` +
        'Correct the file, or pass maxSeqLength to Model.load()',
    );
  return maxSeqLength;
}

const ACTIVATIONS: Record<string, DenseActivation> = {
  'torch.nn.modules.linear.Identity': 'identity',
  'torch.nn.modules.activation.Tanh': 'tanh',
  'torch.nn.modules.activation.ReLU': 'relu',
  'torch.nn.modules.activation.Sigmoid': 'sigmoid',
  'torch.nn.modules.activation.GELU': 'gelu',
};

/** A Dense module (sentence_transformers.models.Dense): its config.json and the weights in its model.safetensors. */
async function readDense(files: ModelFolder, folder: string, modulesPath: string): Promise<NativeDense> {
  const dir = files.path(folder, modulesPath);
  const configPath = join(dir, 'config.json');
  const config = (await readJson(
    files,
    configPath,
    'the Dense module (in_features, out_features, bias, activation_function)',
    true,
  )) as JsonObject;
  const inFeatures = integerField(config, 'in_features', configPath);
  const outFeatures = integerField(config, 'out_features', configPath);
  if (!inFeatures || !outFeatures) throw new ModelFileError(configPath, `${configPath}: in_features and out_features are required`);
  const activationName = typeof config.activation_function === 'string' ? config.activation_function : 'torch.nn.modules.activation.Tanh';
  const activation = ACTIVATIONS[activationName];
  if (!activation)
    throw new ModelFileError(
      configPath,
      `${configPath}: activation_function ${activationName} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`,
    );
  const { weight, bias } = await readDenseWeights(files, folder, dir, { inFeatures, outFeatures, bias: config.bias !== false });
  return { in: inFeatures, out: outFeatures, weight, ...(bias ? { bias } : {}), activation };
}

/** linear.weight and (unless the config says bias: false) linear.bias of a Dense module's model.safetensors. */
async function readDenseWeights(
  files: ModelFolder,
  folder: string,
  dir: string,
  shape: { inFeatures: number; outFeatures: number; bias: boolean },
): Promise<{ weight: Float32Array; bias: Float32Array | undefined }> {
  const { inFeatures, outFeatures } = shape;
  const weightsPath = join(dir, 'model.safetensors');
  const weightBytes = await files.read(weightsPath, 'dense');
  if (weightBytes === undefined) {
    const bin = join(dir, 'pytorch_model.bin');
    if (
      await stat(bin).then(
        () => true,
        () => false,
      )
    ) {
      throw new ModelFileError(
        bin,
        `${dir} has its weights in pytorch_model.bin only, which sentvec does not read (it runs no Python pickle); convert it once with ` +
          `python -c "import torch; from safetensors.torch import save_file; save_file(torch.load('${bin}'), '${weightsPath}')"`,
      );
    }
    throw new ModelFileError(
      weightsPath,
      `cannot read ${weightsPath}: the Dense module's weights are missing; download ${folder}/model.safetensors`,
    );
  }
  const tensors = parseSafetensors(weightsPath, weightBytes);
  const weight = tensors.get('linear.weight');
  const bias = tensors.get('linear.bias');
  if (!weight || weight.shape.length !== 2 || weight.shape[0] !== outFeatures || weight.shape[1] !== inFeatures)
    throw new ModelFileError(
      weightsPath,
      `${weightsPath}: expected linear.weight of ${outFeatures} × ${inFeatures} (config.json), found ${weight ? weight.shape.join(' × ') : 'none'}`,
    );
  if (shape.bias && (!bias || bias.shape.length !== 1 || bias.shape[0] !== outFeatures))
    throw new ModelFileError(
      weightsPath,
      `${weightsPath}: expected linear.bias of ${outFeatures} values, found ${bias ? bias.shape.join(' × ') : 'none'}`,
    );
  for (const [name, t] of [
    ['linear.weight', weight],
    ['linear.bias', bias],
  ] as const) {
    const at = t ? t.data.findIndex((v) => !Number.isFinite(v)) : -1;
    if (at >= 0) throw new ModelFileError(weightsPath, `${weightsPath}: ${name} holds a NaN or infinity at ${at}`);
  }
  return { weight: weight.data, bias: shape.bias && bias ? bias.data : undefined };
}

export interface Modules {
  /** The Pooling module's folder, relative to the model directory. */
  poolingDir: string;
  /** modules.json ends with a Normalize module. */
  normalize: boolean;
  dense: NativeDense[];
}

/** modules.json: Transformer → Pooling → Dense modules → optional Normalize. */
export async function readModules(files: ModelFolder): Promise<Modules> {
  const root = files.root;
  const modulesPath = join(root, 'modules.json');
  const modules = await readJson(files, modulesPath, 'the list of sentence-transformers modules', false);
  let poolingDir = '1_Pooling';
  let normalize = false;
  const dense: NativeDense[] = [];
  if (modules === undefined) return { poolingDir, normalize, dense };
  if (!Array.isArray(modules)) throw new ModelFileError(modulesPath, `${modulesPath} must hold a JSON array of modules`);
  for (const m of modules as Array<JsonObject>) {
    const type = String(m?.type ?? '');
    const kind = type.split('.').pop();
    if (kind === 'Transformer') continue;
    if (kind === 'Pooling') {
      if (typeof m.path === 'string' && m.path !== '') poolingDir = relative(root, files.path(m.path, modulesPath));
    } else if (kind === 'Dense' && typeof m.path === 'string' && m.path !== '') {
      if (normalize)
        throw new ModelFileError(modulesPath, `${modulesPath} lists a Dense module after Normalize, which sentvec does not support`);
      dense.push(await readDense(files, m.path, modulesPath));
    } else if (kind === 'Normalize') {
      normalize = true;
    } else {
      throw new ModelFileError(
        modulesPath,
        `${modulesPath} lists a ${type} module, which sentvec does not support (supported: Transformer, Pooling, Dense, Normalize)`,
      );
    }
  }
  return { poolingDir, normalize, dense };
}

/** The Pooling module's config.json, when there is one, and its path. */
export async function readPoolingConfig(files: ModelFolder, poolingDir: string): Promise<{ config: JsonObject | undefined; path: string }> {
  const path = join(files.root, poolingDir, 'config.json');
  const config = (await readJson(files, path, 'the pooling configuration (pooling_mode_mean_tokens, …)', false)) as JsonObject | undefined;
  return { config, path };
}

export function poolingFromConfig(cfg: JsonObject, file: string): PoolingMode[] {
  for (const unsupported of ['pooling_mode_weightedmean_tokens', 'pooling_mode_lasttoken']) {
    if (cfg[unsupported] === true) {
      throw new ModelFileError(
        file,
        `${file} enables ${unsupported}, which sentvec does not support (supported: ${binding().poolingModes.join(', ')})`,
      );
    }
  }
  // sentence-transformers' flag for a mode: pooling_mode_cls_token, pooling_mode_<mode>_tokens for the others.
  const flag = (m: PoolingMode) => (m === 'cls' ? 'pooling_mode_cls_token' : `pooling_mode_${m}_tokens`);
  const modes = binding().poolingModes.filter((m) => cfg[flag(m)] === true);
  if (modes.length === 0)
    throw new ModelFileError(
      file,
      `${file} enables no pooling mode; expected one of ${binding().poolingModes.map(flag).join(', ')} set to true`,
    );
  return modes;
}

/** config_sentence_transformers.json (empty when absent): prompts, default_prompt_name, truncate_dim. */
export async function readSentenceTransformersConfig(files: ModelFolder): Promise<{ config: JsonObject; path: string }> {
  const path = join(files.root, 'config_sentence_transformers.json');
  const config = ((await readJson(files, path, 'prompts, default_prompt_name and truncate_dim', false)) ?? {}) as JsonObject;
  return { config, path };
}

/**
 * The int8 exports sentvec can load, best first: its own, then sentence-transformers' for this
 * CPU (their names say the instruction set they were made for).
 */
export function int8Files(): string[] {
  const ours = 'onnx/model_qint8.onnx';
  if (process.arch === 'arm64') return [ours, 'onnx/model_qint8_arm64.onnx'];
  let flags = '';
  try {
    if (process.platform === 'linux') flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  } catch {
    // No /proc: assume AVX2 only.
  }
  const vnni = / avx512_vnni\b/.test(flags);
  const avx512 = / avx512f\b/.test(flags) && / avx512bw\b/.test(flags);
  return [
    ours,
    ...(vnni ? ['onnx/model_qint8_avx512_vnni.onnx'] : []),
    ...(avx512 ? ['onnx/model_qint8_avx512.onnx'] : []),
    'onnx/model_quint8_avx2.onnx',
  ];
}
