// Retries: network errors, 429 and 5xx are retried with backoff, a write keeps one
// Idempotency-Key across its tries (so the server acts once), Retry-After is honoured, and
// other 4xx answers are thrown at once.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { Patron, PatronConnectionError, PatronError } from '@patron/sdk';
import { startProxy, type Proxy } from './proxy.js';
import { startServer, type TestServer } from './server.js';

let server: TestServer;
let proxy: Proxy;
let patron: Patron;
let direct: Patron;
const tag = `rty${Date.now().toString(36)}`;

before(async () => {
  server = await startServer();
  proxy = await startProxy(server.baseUrl);
  patron = new Patron({ apiKey: server.apiKey, baseUrl: proxy.url });
  direct = new Patron({ apiKey: server.apiKey, baseUrl: server.baseUrl });
});
after(async () => {
  await proxy?.close();
  await server?.stop();
});
beforeEach(() => {
  proxy.seen = [];
  proxy.plan = () => ({ kind: 'forward' });
});

const unavailable = {
  kind: 'answer',
  status: 503,
  body: '{"error":{"type":"api_error","code":"service_unavailable","message":"down for a moment"}}',
} as const;

async function countByExternalId(externalId: string): Promise<number> {
  return (await direct.customers.list({ external_id: externalId }).toArray()).length;
}

test('a create answered 503 twice is sent three times with one Idempotency-Key, and one customer exists', async () => {
  proxy.plan = (_, nth) => (nth < 2 ? unavailable : { kind: 'forward' });
  const customer = await patron.customers.create({ external_id: `${tag}-a`, email: `a.${tag}@example.com` });
  const posts = proxy.seen.filter((s) => s.method === 'POST');
  assert.equal(posts.length, 3);
  const keys = new Set(posts.map((s) => s.headers['idempotency-key']));
  assert.equal(keys.size, 1, 'one key for every try');
  assert.match([...keys][0] as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(await countByExternalId(`${tag}-a`), 1);
  assert.equal((await direct.customers.retrieve(customer.id)).external_id, `${tag}-a`);
});

test('when the server created the customer but its answer was lost twice, the retries replay it: still one customer', async () => {
  proxy.plan = (_, nth) => (nth < 2 ? { kind: 'lose', status: 502 } : { kind: 'forward' });
  const customer = await patron.customers.create({ external_id: `${tag}-b` });
  assert.deepEqual(
    proxy.seen.map((s) => [s.upstream, s.replayed]),
    [
      [201, false],
      [201, true],
      [201, true],
    ],
  );
  assert.equal(new Set(proxy.seen.map((s) => s.headers['idempotency-key'])).size, 1);
  assert.equal(await countByExternalId(`${tag}-b`), 1);
  assert.equal((await direct.customers.list({ external_id: `${tag}-b` }).firstPage()).data[0]!.id, customer.id);
});

test('a connection dropped after the server acted is retried with the same key: one customer', async () => {
  proxy.plan = (_, nth) => (nth === 0 ? { kind: 'drop' } : { kind: 'forward' });
  await patron.customers.create({ external_id: `${tag}-c` });
  assert.equal(proxy.seen.length, 2);
  assert.equal(proxy.seen[0]!.headers['idempotency-key'], proxy.seen[1]!.headers['idempotency-key']);
  assert.equal(proxy.seen[1]!.replayed, true);
  assert.equal(await countByExternalId(`${tag}-c`), 1);
});

test('a caller-given Idempotency-Key is the one sent, and a second call with it replays the first', async () => {
  const key = `order-${tag}-42`;
  const first = await patron.customers.create({ external_id: `${tag}-d` }, { idempotencyKey: key });
  const again = await patron.customers.create({ external_id: `${tag}-d` }, { idempotencyKey: key });
  assert.equal(again.id, first.id);
  assert.deepEqual(
    proxy.seen.map((s) => s.headers['idempotency-key']),
    [key, key],
  );
  assert.equal(await countByExternalId(`${tag}-d`), 1);
});

test('a write answered 409 idempotency_key_in_flight is retried with the same key', async () => {
  proxy.plan = (_, nth) =>
    nth === 0
      ? {
          kind: 'answer',
          status: 409,
          body: '{"error":{"type":"idempotency_error","code":"idempotency_key_in_flight","message":"still running"}}',
        }
      : { kind: 'forward' };
  await patron.customers.create({ external_id: `${tag}-g` });
  assert.equal(proxy.seen.length, 2);
  assert.equal(proxy.seen[0]!.headers['idempotency-key'], proxy.seen[1]!.headers['idempotency-key']);
  assert.equal(await countByExternalId(`${tag}-g`), 1);
});

test('a 429 with Retry-After: 1 is waited for before the retry', async () => {
  proxy.plan = (_, nth) =>
    nth === 0
      ? {
          kind: 'answer',
          status: 429,
          headers: { 'retry-after': '1' },
          body: '{"error":{"type":"rate_limit_error","code":"rate_limited","message":"slow down"}}',
        }
      : { kind: 'forward' };
  const started = performance.now();
  const page = await patron.customers.list({ limit: 1 }).firstPage();
  const elapsed = performance.now() - started;
  assert.equal(page.data.length, 1);
  assert.equal(proxy.seen.length, 2);
  assert.ok(elapsed >= 950, `waited ${Math.round(elapsed)} ms, at least the second Retry-After asked for`);
});

test('a Retry-After given as an HTTP date is waited for until that time', async () => {
  const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
  proxy.plan = (_, nth) =>
    nth === 0 ? { kind: 'answer', status: 503, headers: { 'retry-after': at.toUTCString() } } : { kind: 'forward' };
  await patron.customers.list({ limit: 1 }).firstPage();
  assert.equal(proxy.seen.length, 2);
  assert.ok(Date.now() >= at.getTime() - 50, 'the retry went out at the time given, not before');
});

test('a Retry-After beyond maxRetryAfter is not waited for: the 429 is thrown', async () => {
  proxy.plan = () => ({
    kind: 'answer',
    status: 429,
    headers: { 'retry-after': '3600', 'x-request-id': 'req_proxy' },
    body: '{"error":{"type":"rate_limit_error","code":"rate_limited","message":"an hour"}}',
  });
  const error = await patron.customers
    .list()
    .firstPage()
    .catch((e: unknown) => e);
  assert.ok(error instanceof PatronError);
  assert.equal(error.status, 429);
  assert.equal(error.code, 'rate_limited');
  assert.equal(error.requestId, 'req_proxy', 'from X-Request-Id when the envelope has none');
  assert.equal(proxy.seen.length, 1);
});

test('a GET whose connection drops is retried', async () => {
  proxy.plan = (_, nth) => (nth === 0 ? { kind: 'drop' } : { kind: 'forward' });
  const page = await patron.products.list().firstPage();
  assert.ok(page.data.length > 0);
  assert.equal(proxy.seen.length, 2);
  assert.equal(proxy.seen[0]!.headers['idempotency-key'], undefined, 'GETs carry no key');
});

test('a 400 is thrown at once, never retried', async () => {
  const error = await patron.customers.create({ email: 'not-an-email' }).catch((e: unknown) => e);
  assert.ok(error instanceof PatronError);
  assert.equal(error.status, 400);
  assert.equal(error.code, 'parameter_invalid');
  assert.equal(error.param, 'email');
  assert.equal(proxy.seen.length, 1);
});

test('a 409 external_id_taken is thrown at once, never retried', async () => {
  await patron.customers.create({ external_id: `${tag}-e` });
  proxy.seen = [];
  const error = await patron.customers.create({ external_id: `${tag}-e` }).catch((e: unknown) => e);
  assert.ok(error instanceof PatronError);
  assert.equal(error.code, 'external_id_taken');
  assert.equal(proxy.seen.length, 1);
});

test('after maxRetries the last 503 is thrown with its envelope', async () => {
  proxy.plan = () => unavailable;
  const client = new Patron({ apiKey: server.apiKey, baseUrl: proxy.url, maxRetries: 1 });
  const error = await client.customers.create({ external_id: `${tag}-f` }).catch((e: unknown) => e);
  assert.ok(error instanceof PatronError);
  assert.equal(error.status, 503);
  assert.equal(error.type, 'api_error');
  assert.equal(error.code, 'service_unavailable');
  assert.equal(proxy.seen.length, 2);
  assert.equal(await countByExternalId(`${tag}-f`), 0);
});

test('a server that is not there is a PatronConnectionError after the retries', async () => {
  const closed = await startProxy(server.baseUrl);
  const url = closed.url;
  await closed.close();
  const client = new Patron({ apiKey: server.apiKey, baseUrl: url, maxRetries: 1 });
  const error = await client.customers
    .list()
    .firstPage()
    .catch((e: unknown) => e);
  assert.ok(error instanceof PatronConnectionError);
  assert.ok(error instanceof PatronError);
  assert.equal(error.type, 'connection_error');
  assert.equal(error.code, 'connection_failed');
  assert.equal(error.status, undefined);
  assert.match(error.message, /2 attempts/);
});
