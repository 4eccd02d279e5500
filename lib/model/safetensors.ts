// The safetensors format, as sentence-transformers saves a Dense module's weights: an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype, shape and byte range, then
// the raw little-endian data. Parsed here from bytes the caller read whole (through ModelFolder, under
// its size limit for Dense weights: they are a few MB), checked, and widened to float32.
import { ModelFileError } from '../errors';

const WIDTH: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };
const bits = new Uint32Array(1);
const bitsAsFloat = new Float32Array(bits.buffer);

function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * The tensors of the safetensors file at `path`, whose bytes are `bytes`, as float32, with their
 * shapes. Every problem is a ModelFileError naming the file.
 */
export function parseSafetensors(path: string, bytes: Buffer): Map<string, { shape: number[]; data: Float32Array }> {
  const bad = (why: string): never => {
    throw new ModelFileError(path, `${path}: ${why}; the file may be truncated or corrupt: download it again`);
  };
  if (bytes.length < 8) bad(`${bytes.length} bytes is shorter than a safetensors header`);
  const headerBytes = bytes.readBigUInt64LE(0);
  if (headerBytes > BigInt(bytes.length - 8) || headerBytes > 100n * 2n ** 20n) bad('the header length is larger than the file');
  const start = 8 + Number(headerBytes);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.subarray(8, start).toString('utf8')) as Record<string, unknown>;
    if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new Error('not a JSON object');
  } catch (err) {
    return bad(`the header is not valid JSON (${(err as Error).message})`);
  }
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const width = typeof info?.dtype === 'string' ? WIDTH[info.dtype] : undefined;
    if (width === undefined) bad(`tensor ${name} has dtype ${JSON.stringify(info?.dtype)}; sentvec reads F32, F16, BF16 and F64`);
    const shape = info.shape;
    const offsets = info.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) bad(`tensor ${name} has no valid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0))
      bad(`tensor ${name} has no valid data_offsets`);
    const [from, to] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (to < from || start + to > bytes.length || to - from !== count * width!)
      bad(`tensor ${name} (${(shape as number[]).join(' × ')} ${String(info.dtype)}) does not fit its byte range ${from}–${to}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset + start + from, to - from);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      if (info.dtype === 'F32') data[i] = view.getFloat32(4 * i, true);
      else if (info.dtype === 'F64') data[i] = view.getFloat64(8 * i, true);
      else if (info.dtype === 'F16') data[i] = half(view.getUint16(2 * i, true));
      else {
        // bfloat16: the top half of a float32.
        bits[0] = view.getUint16(2 * i, true) << 16;
        data[i] = bitsAsFloat[0];
      }
    }
    tensors.set(name, { shape: shape as number[], data });
  }
  return tensors;
}
