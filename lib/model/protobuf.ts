// The protobuf wire format, as far as rewriting an ONNX model needs it: a message is a list of
// fields kept in order, each a varint or a byte string (nested messages stay bytes until decoded),
// so that everything not touched is written back byte for byte. Fixed-width fields (wire types 1
// and 5) are kept as their bytes too.
export interface Field {
  number: number;
  /** 0 varint, 1 fixed64, 2 bytes, 5 fixed32. */
  wire: 0 | 1 | 2 | 5;
  /** varint value (wire 0), else the field's bytes. */
  value: bigint | Uint8Array;
}

export class ProtobufError extends Error {}

function readVarint(bytes: Uint8Array, at: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const b = bytes[i];
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [value & 0xffffffffffffffffn, i + 1];
    shift += 7n;
  }
  throw new ProtobufError(`a truncated or overlong varint at byte ${at}`);
}

/** The values of a packed repeated varint field. */
export function packedVarints(bytes: Uint8Array): bigint[] {
  const values: bigint[] = [];
  for (let at = 0; at < bytes.length;) {
    const [value, next] = readVarint(bytes, at);
    values.push(value);
    at = next;
  }
  return values;
}

/** The fields of one message. Throws ProtobufError on malformed input. */
export function decode(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  while (at < bytes.length) {
    const [key, next] = readVarint(bytes, at);
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (number === 0) throw new ProtobufError(`field number 0 at byte ${at}`);
    at = next;
    if (wire === 0) {
      const [value, after] = readVarint(bytes, at);
      fields.push({ number, wire, value });
      at = after;
    } else if (wire === 2) {
      const [length, after] = readVarint(bytes, at);
      if (length > BigInt(bytes.length - after))
        throw new ProtobufError(`field ${number} runs past the end (${length} bytes at byte ${after})`);
      fields.push({ number, wire, value: bytes.subarray(after, after + Number(length)) });
      at = after + Number(length);
    } else if (wire === 1 || wire === 5) {
      const width = wire === 1 ? 8 : 4;
      if (at + width > bytes.length) throw new ProtobufError(`field ${number} runs past the end`);
      fields.push({ number, wire, value: bytes.subarray(at, at + width) });
      at += width;
    } else {
      throw new ProtobufError(`unsupported wire type ${wire} (field ${number}) at byte ${at}`);
    }
  }
  return fields;
}

function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

/** One message from fields (the inverse of decode). */
export function encode(fields: Field[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const f of fields) {
    const head = varint((BigInt(f.number) << 3n) | BigInt(f.wire));
    let body: Uint8Array;
    if (f.wire === 0) body = Uint8Array.from(varint(f.value as bigint));
    else if (f.wire === 2) {
      const bytes = f.value as Uint8Array;
      const length = varint(BigInt(bytes.length));
      body = new Uint8Array(length.length + bytes.length);
      body.set(length, 0);
      body.set(bytes, length.length);
    } else body = f.value as Uint8Array;
    const item = new Uint8Array(head.length + body.length);
    item.set(head, 0);
    item.set(body, head.length);
    parts.push(item);
    size += item.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const WIRE_NAMES = { 0: 'a varint', 1: 'a fixed64', 2: 'bytes', 5: 'a fixed32' };

/** The bytes of a string, bytes or message field ('' for an absent one); ProtobufError for a field of another wire type. */
export function payload(f: Field | undefined): Uint8Array {
  if (f === undefined) return new Uint8Array();
  if (f.wire !== 2) throw new ProtobufError(`field ${f.number} is ${WIRE_NAMES[f.wire]} where bytes are expected`);
  return f.value as Uint8Array;
}
/** The fields of a nested message field. */
export const fieldsOf = (f: Field): Field[] => decode(payload(f));
/** A string field's text ('' when absent). */
export const text = (f: Field | undefined): string => Buffer.from(payload(f)).toString('utf8');
/** A varint field's value (`absent` when there is none); ProtobufError for a field of another wire type. */
export function number(f: Field | undefined, absent: bigint): bigint {
  if (f === undefined) return absent;
  if (f.wire !== 0) throw new ProtobufError(`field ${f.number} is ${WIRE_NAMES[f.wire]} where a varint is expected`);
  return f.value as bigint;
}
export const bytesOf = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
/** A string field. */
export const str = (number: number, s: string): Field => ({ number, wire: 2, value: bytesOf(s) });
/** A varint field. */
export const int = (number: number, v: number | bigint): Field => ({ number, wire: 0, value: BigInt(v) });
/** A nested message field. */
export const msg = (number: number, fields: Field[]): Field => ({ number, wire: 2, value: encode(fields) });
/** A bytes field. */
export const raw = (number: number, bytes: Uint8Array): Field => ({ number, wire: 2, value: bytes });
