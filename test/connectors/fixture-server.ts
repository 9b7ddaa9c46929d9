/**
 * A loopback server that answers fixed JSON bodies by path (before the query), for connector tests
 * that need one exact vendor page rather than a simulator's generated data.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureServer {
  readonly url: string;
  /** Paths asked for, in order, with their query. */
  readonly requests: string[];
  /** Replaces the answer for a path. */
  answer(path: string, body: unknown): void;
  close(): Promise<void>;
}

export async function startFixtureServer(answers: Record<string, unknown>): Promise<FixtureServer> {
  const bodies = new Map<string, unknown>(Object.entries(answers));
  const requests: string[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const url = incoming.url ?? '/';
    requests.push(url);
    const path = url.split('?')[0] ?? '/';
    if (!bodies.has(path)) {
      outgoing.writeHead(404, { 'content-type': 'application/json' });
      outgoing.end(JSON.stringify({ error: 'RecordNotFound', description: `no fixture for ${path}` }));
      return;
    }
    outgoing.writeHead(200, { 'content-type': 'application/json' });
    outgoing.end(JSON.stringify(bodies.get(path)));
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (path, body) => {
      bodies.set(path, body);
    },
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}
