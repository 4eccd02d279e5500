// A loopback stand-in for the Hugging Face hub: serves a model directory at
// /{repo}/resolve/{revision}/{path}; large files the way the hub serves LFS files (a redirect
// naming the SHA-256 in X-Linked-Etag, then the bytes, with Range support). Faults per file:
//   drop: the first transfer stops half-way (connection destroyed)
//   error500: the first two answers are HTTP 500
//   huge: states 1 GiB (Content-Length), sends 1 MiB, drops the connection
//   ratelimit: the first two answers are HTTP 429 (Retry-After: 0); ratelimited: every answer is
//   badsha: X-Linked-Etag names a wrong checksum
//   endless: no Content-Length, and bytes without end (`sent` counts them per file)
//   missing: 404;  unauthorized: 401
//   stall: the first transfer stops half-way and the connection stays open, silent
//   silent: no answer ever (the request is read, no headers are sent)
// `repo` is one repository id or several, each serving the same folder; `dirs` gives some of them
// a folder of their own ({ 'org/name': folder }).
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export async function startHub(modelDir, { repo = 'acme/tiny-model', dirs = {}, faults = {}, lfs = ['onnx/model.onnx', 'sentencepiece.bpe.model'] } = {}) {
  const requests = [];
  const counts = new Map();
  const sent = new Map();
  let cdnOrigin = '';
  const handler = (req, res) => {
    const url = new URL(req.url, 'http://x');
    requests.push({ path: url.pathname, range: req.headers.range, auth: req.headers.authorization });
    const cdn = url.pathname.match(/^\/cdn\/(.+)$/);
    const hub = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    const file = cdn ? decodeURIComponent(cdn[1]) : hub?.[3];
    if (!file || (hub && ![].concat(repo).includes(hub[1]))) return res.writeHead(404).end('Repository not found');
    const fault = faults[file];
    const n = (counts.get(`${cdn ? 'cdn' : 'hub'}:${file}`) ?? 0) + 1;
    counts.set(`${cdn ? 'cdn' : 'hub'}:${file}`, n);
    // A CDN request names its repository in the query (set by the redirect below).
    const from = (hub ? hub[1] : url.searchParams.get('repo')) ?? '';
    const path = join(dirs[from] ?? modelDir, file);
    if (fault === 'silent') return;
    if (fault === 'missing' || !existsSync(path)) return res.writeHead(404).end('Entry not found');
    if (fault === 'unauthorized') return res.writeHead(401).end('Unauthorized');
    if (fault === 'error500' && n <= 2) return res.writeHead(500).end('Internal error');
    if (fault === 'huge') {
      // States a gigabyte, sends a megabyte, then drops the connection.
      res.writeHead(200, { 'content-length': 2 ** 30 });
      res.write(Buffer.alloc(2 ** 20, 0x20), () => res.destroy());
      return;
    }
    if ((fault === 'ratelimit' && n <= 2) || fault === 'ratelimited') return res.writeHead(429, { 'retry-after': '0' }).end('Too many requests');
    const body = readFileSync(path);
    if (hub && lfs.includes(file)) {
      const sha = fault === 'badsha' ? 'f'.repeat(64) : createHash('sha256').update(body).digest('hex');
      return res.writeHead(302, { location: `${cdnOrigin}/cdn/${encodeURIComponent(file)}${dirs[hub[1]] ? `?repo=${encodeURIComponent(hub[1])}` : ''}`, 'x-linked-etag': `"${sha}"`, 'x-linked-size': body.length }).end();
    }
    if (fault === 'endless') {
      // No Content-Length: chunked bytes until the client hangs up.
      res.writeHead(200);
      const block = Buffer.alloc(1 << 16, 0x20);
      const pump = () => {
        while (!res.destroyed) {
          const more = res.write(block);
          sent.set(file, (sent.get(file) ?? 0) + block.length);
          if (!more) return res.once('drain', pump);
        }
      };
      pump();
      return;
    }
    let start = 0;
    const range = req.headers.range?.match(/^bytes=(\d+)-$/);
    if (range) start = Number(range[1]);
    if (start >= body.length && start > 0) return res.writeHead(416).end();
    const chunk = body.subarray(start);
    res.writeHead(range ? 206 : 200, { 'content-length': chunk.length, ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}), etag: `"${createHash('sha1').update(body).digest('hex')}"` });
    if (fault === 'drop' && n === 1) {
      res.write(chunk.subarray(0, chunk.length >> 1), () => res.destroy());
      return;
    }
    if (fault === 'stall' && n === 1) {
      res.write(chunk.subarray(0, chunk.length >> 1));
      return;
    }
    res.end(chunk);
  };
  // LFS bytes come from another origin, as the hub's CDN does.
  const server = createServer(handler);
  const cdn = createServer(handler);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  await new Promise((r) => cdn.listen(0, '127.0.0.1', r));
  cdnOrigin = `http://127.0.0.1:${cdn.address().port}`;
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const close = () => Promise.all([server, cdn].map((s) => new Promise((r) => { s.closeAllConnections?.(); s.close(r); })));
  return { endpoint, repo, requests, sent, close };
}
