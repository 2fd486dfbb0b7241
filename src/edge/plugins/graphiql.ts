import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { acceptsGzip, matchesEtag } from '../http-util.js';

/**
 * The GraphQL IDE on `GET /graphql` (development only), served entirely from our own origin.
 *
 * The runtime's default page loads GraphiQL from a CDN and is blank offline. This one is the
 * same IDE (Yoga's GraphiQL 5 build: React 19, Monaco, the headers tab, the explorer),
 * prebuilt in the `@graphql-yoga/render-graphiql` package: its script, stylesheet (fonts
 * inlined) and Monaco's three workers are served under {@link GRAPHIQL_ASSETS_PATH} with a
 * content hash in each name, cached for a year, so a browser fetches them (8.8 MB, 2.4 MB
 * gzipped) once per version.
 * The package is loaded on the first IDE request, never in a process that serves none.
 * Choice and alternatives: docs/decisions.md.
 */

/** Where the IDE's assets are served (through the gateway, which has them only with the IDE on). */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/';

/** The options the runtime hands the page renderer (Yoga's `GraphiQLOptions`, the parts we read). */
export interface GraphiQLPageOptions {
  title?: string;
  favicon?: string;
  [option: string]: unknown;
}

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  /** gzip of `body`, made on its first request that accepts gzip. */
  gzipped?: Promise<Uint8Array<ArrayBuffer>>;
  etag: string;
  contentType: string;
}

/** Asset file name (`graphiql.<hash>.js`) -> asset, and the URL of each asset the page loads. */
interface Assets {
  files: Map<string, Asset>;
  urls: Record<'script' | 'stylesheet' | 'editorWorker' | 'jsonWorker' | 'graphqlWorker', string>;
}

const gzip = promisify(gzipCallback);
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const YEAR = 'public, max-age=31536000, immutable';

let loading: Promise<Assets> | undefined;

function assets(): Promise<Assets> {
  loading ??= import('@graphql-yoga/render-graphiql/graphiql').then((bundle) => {
    const files = new Map<string, Asset>();
    const add = (name: string, ext: 'js' | 'css', text: string): string => {
      const body = new TextEncoder().encode(text);
      const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
      const file = `${name}.${hash}.${ext}`;
      files.set(file, { body, etag: `"${hash}"`, contentType: ext === 'js' ? JS : CSS });
      return `${GRAPHIQL_ASSETS_PATH}${file}`;
    };
    return {
      files,
      urls: {
        script: add('graphiql', 'js', bundle.js),
        stylesheet: add('graphiql', 'css', bundle.css),
        editorWorker: add('editor.worker', 'js', bundle.editorWorkerService),
        jsonWorker: add('json.worker', 'js', bundle.jsonWorker),
        graphqlWorker: add('graphql.worker', 'js', bundle.graphqlWorker),
      },
    };
  });
  loading.catch(() => (loading = undefined)); // a failed load is retried by the next request
  return loading;
}

/**
 * The IDE's page, for the runtime's `renderGraphiQL` option: the runtime decides when it is
 * shown (GET /graphql asking for HTML, IDE on) and with which options (title, logo, default
 * query), and the IDE POSTs JSON, which our CSRF rule lets through.
 */
export async function renderGraphiQL(options: GraphiQLPageOptions = {}): Promise<string> {
  const { urls } = await assets();
  const { favicon, ...ide } = options; // the page's icon, not the IDE's (a 70 KB data: URL from the runtime)
  // Same-origin worker scripts: Monaco starts them by URL (the CDN page had to copy them into blobs).
  const workers = { editorWorkerService: urls.editorWorker, json: urls.jsonWorker, graphql: urls.graphqlWorker };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
    ${favicon ? `<link rel="icon" href="${escapeHtml(favicon)}" />` : ''}
    <link rel="stylesheet" href="${urls.stylesheet}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (moduleId, label) => (${scriptJson(workers)})[label] };
    </script>
    <script src="${urls.script}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), ${scriptJson(ide)});
    </script>
  </body>
</html>
`;
}

/**
 * Serves the IDE's assets under {@link GRAPHIQL_ASSETS_PATH}: content-hashed names cached for a
 * year (`immutable`), an ETag, gzip when asked for. Added to the gateway only when it shows
 * the IDE, so a process without the IDE has no assets either (the runtime's 404).
 */
export function graphiqlAssetsPlugin(): GatewayPlugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(GRAPHIQL_ASSETS_PATH)) return;
      const method = request.method;
      const file = url.pathname.slice(GRAPHIQL_ASSETS_PATH.length);
      return assets().then(async ({ files }) => {
        const asset = files.get(file);
        const respond = (status: number, body: BodyInit | null, headers: Record<string, string> = {}) =>
          endResponse(new fetchAPI.Response(body, { status, headers }));
        if (method !== 'GET' && method !== 'HEAD') return respond(405, null, { allow: 'GET, HEAD' });
        // An old hash (the package was upgraded under an open page) is gone: reloading fixes it.
        if (!asset) return respond(404, null, { 'cache-control': 'no-store' });
        const headers: Record<string, string> = { 'content-type': asset.contentType, 'cache-control': YEAR, etag: asset.etag, vary: 'accept-encoding' };
        if (matchesEtag(request.headers.get('if-none-match'), asset.etag)) return respond(304, null, headers);
        if (!acceptsGzip(request.headers.get('accept-encoding'))) return respond(200, method === 'HEAD' ? null : asset.body, headers);
        asset.gzipped ??= gzip(asset.body).then((zipped) => new Uint8Array(zipped));
        const body = await asset.gzipped;
        return respond(200, method === 'HEAD' ? null : body, { ...headers, 'content-encoding': 'gzip', 'content-length': String(body.length) });
      });
    },
  };
}

/** JSON for an inline script: no `</script>` or `<!--` can end or change the script element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
