// A tiny HTTP proxy in front of the real server, for retry tests: a test decides per request
// whether to answer itself (503, 429), forward, forward and hide the answer, or drop the
// connection; every request is recorded with its headers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The upstream answer's status, when the request was forwarded. */
  upstream?: number;
  replayed?: boolean;
}

/** What to do with one request. */
export type Plan =
  | { kind: 'forward' }
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body?: string }
  /** Forward it (the server acts), then answer this instead: the real answer is lost. */
  | { kind: 'lose'; status: number }
  /** Forward it, then close the socket without an answer. */
  | { kind: 'drop' };

export interface Proxy {
  url: string;
  seen: Seen[];
  plan: (req: Seen, nth: number) => Plan;
  close(): Promise<void>;
}

export async function startProxy(upstream: string): Promise<Proxy> {
  const proxy: Proxy = { url: '', seen: [], plan: () => ({ kind: 'forward' }), close: async () => {} };
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const seen: Seen = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    proxy.seen.push(seen);
    const plan = proxy.plan(seen, proxy.seen.length - 1);
    if (plan.kind === 'answer') {
      res.writeHead(plan.status, { 'content-type': 'application/json', ...plan.headers });
      res.end(plan.body ?? '');
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'connection' && k !== 'content-length') headers[k] = v;
    const answer = await fetch(upstream + seen.path, { method: seen.method, headers, body: seen.body || undefined });
    const text = await answer.text();
    seen.upstream = answer.status;
    seen.replayed = answer.headers.get('idempotent-replayed') === 'true';
    if (plan.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (plan.kind === 'lose') {
      res.writeHead(plan.status, { 'content-type': 'text/plain' });
      res.end('upstream answer lost');
      return;
    }
    const out: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'content-encoding' && k !== 'transfer-encoding') out[k] = v;
    });
    res.writeHead(answer.status, out);
    res.end(text);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  proxy.url = `http://127.0.0.1:${port}`;
  proxy.close = () =>
    new Promise((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return proxy;
}
