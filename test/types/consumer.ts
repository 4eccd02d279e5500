// A user's file, compiled by test/types.test.mjs against the package as installed (node_modules/
// sentvec, resolved through package.json's exports and typesVersions), with declaration emit:
// every exported value's type must be nameable from 'sentvec' or 'sentvec/server' (TS2742 otherwise).
import { DownloadError, Index, Model, downloadModel, numberIds, type DownloadProgress, type ModelInfo } from 'sentvec';
import { createServer, type ServerOptions } from 'sentvec/server';

export const loaded = Model.load('sentence-transformers/paraphrase-multilingual-mpnet-base-v2', {
  revision: 'main',
  offline: false,
  cacheDir: '/var/cache/sentvec',
  onProgress: (event: DownloadProgress) => console.log(event.file, event.received, event.total ?? '?'),
  threads: 2,
});

// Inferred from model.info: its type has a public name (ModelInfo).
export async function details() {
  return (await loaded).info;
}
export const dimension = async (): Promise<ModelInfo['dimension']> => (await details()).dimension;
// The scheduler a model batches with, and its batch reports.
export async function batching() {
  const model = await loaded;
  model.scheduler?.addBatchListener((event) => console.log(event));
  return model.scheduler;
}

export async function serve(options: ServerOptions = {}) {
  return createServer(await loaded, options);
}

// Search hits by number, to index the array of texts.
export async function nearest(index: Index, corpus: readonly string[], query: Float32Array) {
  const [hit] = await index.search([query], { topK: 3 });
  return numberIds(hit.ids).map((id) => corpus[id]);
}

export const prefetched: Promise<string> = downloadModel('intfloat/multilingual-e5-small', { revision: 'main', attempts: 5 }).catch(
  (err: unknown) => {
    if (err instanceof DownloadError) return `HTTP ${err.status ?? '-'}: ${err.message}`;
    throw err;
  },
);

// @ts-expect-error revision is a string
void Model.load('org/name', { revision: 1 });
