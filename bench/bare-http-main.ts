// The floor under every gateway: a bare `node:http` server, its own process, answering each
// POST with the same JSON the gateways answer the floor queries with (`{ __typename }`, or
// `{ viewer { kind } }` when the body asks for the viewer), after reading the whole body.
// Prints `bare http listening on <url>` when ready.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const TYPENAME = JSON.stringify({ data: { __typename: 'Query' } });
const VIEWER = JSON.stringify({ data: { viewer: { kind: 'ANONYMOUS' } } });

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8').includes('viewer') ? VIEWER : TYPENAME;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as AddressInfo;
  console.log(`bare http listening on http://${address}:${port}/graphql`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
