// fastify and @fastify/cors are optional peer dependencies: they are 50 of the 59 packages the
// server used to add to every install, and only `sentvec/server` and `sentvec serve` need them.
// They load when this module does, so that importing the server fails at once, with the command
// that fixes it, rather than at the first createServer.
import type CorsPlugin from '@fastify/cors';
import type FastifyFactory from 'fastify';
import { MissingDependencyError } from '../errors';

/** The command that installs the server's dependencies, in the ranges package.json's peerDependencies accept. */
const SERVER_INSTALL_COMMAND = 'npm install fastify@5 @fastify/cors@11';

function load(name: string, missing: string[]): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved at run time: it may be absent
    return require(name);
  } catch (err) {
    // Only the package itself being absent is ours to explain; a broken install keeps its own error.
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'MODULE_NOT_FOUND' || !e.message.includes(`'${name}'`)) throw err;
    missing.push(name);
    return undefined;
  }
}

function loadFramework(): { Fastify: typeof FastifyFactory; cors: typeof CorsPlugin } {
  const missing: string[] = [];
  const fastify = load('fastify', missing) as { default?: typeof FastifyFactory } | undefined;
  const cors = load('@fastify/cors', missing) as { default?: typeof CorsPlugin } | undefined;
  if (missing.length) {
    throw new MissingDependencyError(
      `sentvec's HTTP server (sentvec/server, \`sentvec serve\`) needs ${missing.join(' and ')}, ` +
        `optional dependencies that are not installed: run \`${SERVER_INSTALL_COMMAND}\` in your project`,
    );
  }
  return {
    Fastify: (fastify!.default ?? fastify) as typeof FastifyFactory,
    cors: (cors!.default ?? cors) as typeof CorsPlugin,
  };
}

export const { Fastify, cors } = loadFramework();
