import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { acceptsGzip, matchesEtag } from './http-util.js';

/**
 * The web console (`console/`, built by `npm run build` into `dist/console`): `GET /console`
 * is its page, never cached (a new build's page names new files); its script and stylesheet are
 * under {@link CONSOLE_ASSETS_PATH} with Vite's content hash in each name, cached for a year,
 * with an ETag and gzip, like the GraphQL IDE's (plugins/graphiql.ts). Served in every
 * environment: it holds no secret, and every call it makes is checked like any other client's.
 */
export const CONSOLE_PATH = /^\/console(?:\/.*)?$/;
export const CONSOLE_ASSETS_PATH = '/console/assets/';

export interface ConsoleRoute {
  /** The directory Vite built the console into (its index.html and assets/). */
  dir: string;
}

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  gzipped?: Promise<Uint8Array<ArrayBuffer>>;
  etag: string;
  contentType: string;
}

interface ConsoleFiles {
  page: Asset;
  assets: Map<string, Asset>;
}

const gzip = promisify(gzipCallback);
const YEAR = 'public, max-age=31536000, immutable';
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};
/**
 * The page runs our own files only and talks to our own origin only: a credential pasted into
 * it can be read by no injected or third-party script, and no other site can frame it.
 */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const loaded = new Map<string, Promise<ConsoleFiles>>();

/** The built console, read once per directory (a failed read, e.g. not built yet, is retried by the next request). */
function consoleFiles(dir: string): Promise<ConsoleFiles> {
  let loading = loaded.get(dir);
  if (!loading) {
    loading = readConsole(dir);
    loaded.set(dir, loading);
    loading.catch(() => loaded.delete(dir));
  }
  return loading;
}

async function readConsole(dir: string): Promise<ConsoleFiles> {
  const asset = (body: Uint8Array<ArrayBuffer>, contentType: string): Asset => ({
    body,
    contentType,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  });
  const page = asset(new Uint8Array(await fs.readFile(path.join(dir, 'index.html'))), PAGE_HEADERS['content-type']);
  const assets = new Map<string, Asset>();
  for (const name of await fs.readdir(path.join(dir, 'assets'))) {
    const type = TYPES[path.extname(name)];
    if (type) assets.set(name, asset(new Uint8Array(await fs.readFile(path.join(dir, 'assets', name))), type));
  }
  return { page, assets };
}

export async function serveConsole(req: http.IncomingMessage, res: http.ServerResponse, route: ConsoleRoute): Promise<void> {
  const pathname = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  let files: ConsoleFiles;
  try {
    files = await consoleFiles(route.dir);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end('The console is not built here: `npm run build` builds it into dist/console.\n');
    return;
  }
  if (pathname.startsWith(CONSOLE_ASSETS_PATH)) {
    const asset = files.assets.get(pathname.slice(CONSOLE_ASSETS_PATH.length));
    // An old hash (a new build under an open page) is gone: reloading the page fixes it.
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('not found\n');
      return;
    }
    await send(req, res, asset, { 'content-type': asset.contentType, 'cache-control': YEAR, 'x-content-type-options': 'nosniff' });
    return;
  }
  // /console, /console/ and anything else under it: the page (its routes live in the URL's hash).
  await send(req, res, files.page, PAGE_HEADERS);
}

async function send(req: http.IncomingMessage, res: http.ServerResponse, asset: Asset, headers: Record<string, string>): Promise<void> {
  const head = req.method === 'HEAD';
  const all = { ...headers, etag: asset.etag, vary: 'accept-encoding' };
  if (matchesEtag(req.headers['if-none-match'], asset.etag)) {
    res.writeHead(304, all).end();
    return;
  }
  if (!acceptsGzip(req.headers['accept-encoding'])) {
    res.writeHead(200, { ...all, 'content-length': String(asset.body.length) }).end(head ? undefined : asset.body);
    return;
  }
  asset.gzipped ??= gzip(asset.body).then((zipped) => new Uint8Array(zipped));
  const body = await asset.gzipped;
  res.writeHead(200, { ...all, 'content-encoding': 'gzip', 'content-length': String(body.length) }).end(head ? undefined : body);
}
