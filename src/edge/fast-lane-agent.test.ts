// The fast lane's connections to the subgraphs let an idle socket go before the subgraph closes
// it (its `Keep-Alive: timeout=N`), so no request is ever written on a socket the other side is
// closing. Fails without the agent's own `timeout` (Node then ignores the server's hint).
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { subgraphAgent } from './fast-lane.js';

describe("the fast lane's kept-alive connections", () => {
  it("drop an idle socket before the server's keep-alive timeout", async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 2_000; // announced as Keep-Alive: timeout=2
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const answered = new Promise<void>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, agent: subgraphAgent, path: '/' }, (res) => {
          res.resume();
          res.on('end', resolve);
        }).on('error', reject);
      });
      await answered;
      await new Promise((resolve) => setImmediate(resolve));
      const free = () => Object.values(subgraphAgent.freeSockets).flat().length;
      expect(free()).toBe(1);
      // The agent lets it go a second before the server would (2 s − 1 s), well before 2 s.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(free()).toBe(0);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
