// The names of HubOptions' fields (lib/hub/download.ts), which downloadModel and Model.load take.
// A file of its own, so that Model's code (an adapter's require) can check options without loading
// the downloader.

export const HUB_OPTIONS: ReadonlySet<string> = new Set([
  'revision',
  'endpoint',
  'token',
  'cacheDir',
  'offline',
  'onProgress',
  'attempts',
  'stallTimeoutMs',
]);
