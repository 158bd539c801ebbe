// webhooks.verify on a real delivery: an endpoint points at a receiver in this test, creating a
// customer makes the server POST `customer.created` there, and the captured raw body and headers
// verify with the endpoint's secret; a changed byte, another secret or a missing header do not.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { after, before, test } from 'node:test';
import { Patron, WebhookVerificationError, webhooks, type WebhookEvent } from '@patron/sdk';
import { startServer, type TestServer } from './server.js';

interface Delivery {
  body: Buffer;
  headers: IncomingHttpHeaders;
}

let server: TestServer;
let patron: Patron;
let secret: string;
let delivery: Delivery;
let customerId: string;
const received: Delivery[] = [];
const receiver = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  received.push({ body: Buffer.concat(chunks), headers: req.headers });
  res.writeHead(204).end();
});

before(async () => {
  // Loopback endpoints are refused unless the server is told they are fine (tests, development).
  server = await startServer({ PATRON_WEBHOOK_ALLOW_HOSTS: '127.0.0.0/8' });
  patron = new Patron({ apiKey: server.apiKey, baseUrl: server.baseUrl });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  const { port } = receiver.address() as { port: number };
  const endpoint = await patron.webhookEndpoints.create({
    url: `http://127.0.0.1:${port}/patron-hooks`,
    event_types: ['customer.created'],
  });
  assert.ok(endpoint.secret);
  secret = endpoint.secret;

  customerId = (await patron.customers.create({ email: 'hooked@example.com', name: 'Hooked' })).id;
  for (let i = 0; i < 150 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(received.length, 1, `one delivery within 15 s; server log:\n${server.log().slice(-2000)}`);
  delivery = received[0]!;
});
after(async () => {
  receiver.closeAllConnections();
  await new Promise((ok) => receiver.close(ok));
  await server?.stop();
});

test('a real delivery verifies and gives the typed event', () => {
  const event: WebhookEvent = webhooks.verify(delivery.body, delivery.headers, secret);
  assert.equal(event.type, 'customer.created');
  assert.equal(event.id, delivery.headers['webhook-id']);
  assert.match(event.id, /^evt_/);
  assert.ok(!Number.isNaN(Date.parse(event.timestamp)));
  if (event.type === 'customer.created' && 'email' in event.data) {
    assert.equal(event.data.id, customerId);
    assert.equal(event.data.email, 'hooked@example.com');
  } else {
    assert.fail(`a customer in data: ${delivery.body.toString()}`);
  }
});

test('it verifies from a string body and a fetch Headers object too, and on the client', () => {
  const headers = new Headers();
  for (const [k, v] of Object.entries(delivery.headers)) if (typeof v === 'string') headers.set(k, v);
  const event = patron.webhooks.verify(delivery.body.toString('utf8'), headers, secret);
  assert.equal(event.data.id, customerId);
});

test('a tampered body is refused', () => {
  const tampered = Buffer.from(delivery.body.toString('utf8').replace('hooked@example.com', 'hacked@example.com'));
  assert.notDeepEqual(tampered, delivery.body);
  assert.throws(() => webhooks.verify(tampered, delivery.headers, secret), WebhookVerificationError);
});

test('another secret, or a missing signature, is refused', () => {
  const other = `whsec_${Buffer.from('another secret of 24 bytes').toString('base64')}`;
  assert.throws(() => webhooks.verify(delivery.body, delivery.headers, other), WebhookVerificationError);
  const { 'webhook-signature': _, ...unsigned } = delivery.headers;
  assert.throws(() => webhooks.verify(delivery.body, unsigned, secret), /webhook-signature/);
});
