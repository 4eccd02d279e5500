// The package as users get it: the compiled TypeScript in dist/.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const sentvec = require('../..');
// sentvec/server: the HTTP server, apart so that the library loads no HTTP code.
export const server = require('../../dist/lib/server/index.js');
