// Writes as binary COPY (PostgreSQL's format; pgvector's vector_recv: int16 dim, int16 0,
// float4 × dim, big-endian), streamed a chunk at a time.
import type { PgClient } from './drivers';
import { loadDrivers } from './drivers';

// Bytes per COPY message: bounds the memory of one write while keeping messages few.
const COPY_CHUNK_BYTES = 1 << 20;
const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Rows of one write: vectors (checked, normalized), ids, and the texts and metadata (JSON) if given. */
export interface Batch {
  flat: Float32Array;
  ids: BigUint64Array;
  texts?: readonly (string | null)[];
  metadata?: readonly (string | null)[];
}

function* copyRows({ flat, ids, texts, metadata }: Batch, dimension: number): Generator<Buffer> {
  const vectorBytes = 4 + 4 * dimension;
  // Each row is written straight into one chunk, handed to the stream when full.
  let chunk = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
  let o = COPY_SIGNATURE.copy(chunk);
  o = chunk.writeInt32BE(0, o); // flags
  o = chunk.writeInt32BE(0, o); // header extension
  for (let r = 0; r < ids.length; r++) {
    const text = texts?.[r] ?? null;
    const meta = metadata?.[r] ?? null;
    const textBytes = text === null ? 0 : Buffer.byteLength(text, 'utf8');
    const metaBytes = meta === null ? 0 : 1 + Buffer.byteLength(meta, 'utf8');
    const rowBytes = 2 + 4 + 8 + 4 + vectorBytes + 4 + textBytes + 4 + metaBytes;
    if (o + rowBytes > chunk.length) {
      yield chunk.subarray(0, o);
      chunk = Buffer.allocUnsafe(Math.max(COPY_CHUNK_BYTES, rowBytes + 2));
      o = 0;
    }
    o = chunk.writeInt16BE(4, o); // fields
    o = chunk.writeInt32BE(8, o);
    o = chunk.writeBigInt64BE(BigInt.asIntN(64, ids[r]), o);
    o = chunk.writeInt32BE(vectorBytes, o);
    o = chunk.writeInt16BE(dimension, o);
    o = chunk.writeInt16BE(0, o);
    for (let i = r * dimension; i < (r + 1) * dimension; i++) o = chunk.writeFloatBE(flat[i], o);
    o = chunk.writeInt32BE(text === null ? -1 : textBytes, o);
    if (text !== null) o += chunk.write(text, o, 'utf8');
    o = chunk.writeInt32BE(meta === null ? -1 : metaBytes, o);
    if (meta !== null) {
      o = chunk.writeUInt8(1, o); // jsonb's binary format: a version byte, then the JSON text
      o += chunk.write(meta, o, 'utf8');
    }
  }
  if (o + 2 > chunk.length) {
    yield chunk.subarray(0, o);
    chunk = Buffer.allocUnsafe(2);
    o = 0;
  }
  o = chunk.writeInt16BE(-1, o); // trailer
  yield chunk.subarray(0, o);
}

/** Writes the batch's rows into `target` (a table with id, embedding, text, metadata) in one COPY. */
export async function copyInto(client: PgClient, target: string, batch: Batch, dimension: number): Promise<void> {
  const stream = client.query(
    loadDrivers().copyFrom(`COPY ${target} (id, embedding, text, metadata) FROM STDIN (FORMAT binary)`),
  ) as unknown as NodeJS.WritableStream;
  await new Promise<void>((resolveCopy, rejectCopy) => {
    let failed = false;
    const fail = (err: Error) => {
      failed = true;
      rejectCopy(err);
    };
    stream.on('error', fail);
    stream.on('finish', () => {
      if (!failed) resolveCopy();
    });
    const chunks = copyRows(batch, dimension);
    const pump = () => {
      for (;;) {
        if (failed) return;
        const { value, done } = chunks.next();
        if (done) return void stream.end();
        if (!stream.write(value)) return void stream.once('drain', pump);
      }
    };
    pump();
  });
}
