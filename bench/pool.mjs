// Pooling throughput: masked mean over batch × 128 tokens × hidden, in GB/s of token embeddings
// read, against the machine's read bandwidth (one thread: pooling runs on one).
//   npm run bench -- pool
import { measure } from './common.mjs';

export async function run() {
  const bandwidth = await measure.measureReadBandwidth(2 ** 30, 1);
  const rows = [];
  for (const [batch, hidden] of [[32, 384], [32, 768], [128, 768]]) {
    const gbs = await measure.measurePooling(batch, 128, hidden, 10);
    rows.push({ shape: `${batch} × 128 × ${hidden}`, 'pooling GB/s': +gbs.toFixed(1), 'read bandwidth GB/s': +bandwidth.toFixed(1), 'of bandwidth': +(gbs / bandwidth).toFixed(2) });
  }
  console.table(rows);
  return { rows, targets: [] };
}
