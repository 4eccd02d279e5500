// The names of HubOptions' fields (lib/hub/download.ts), which downloadModel and Model.load take.
// Outside lib/hub/, so that loading Model's code (an adapter's require) loads no hub code.

export const HUB_OPTIONS: ReadonlySet<string> = new Set(['revision', 'endpoint', 'token', 'cacheDir', 'offline', 'onProgress', 'attempts']);
