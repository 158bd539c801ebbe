// customers.bulkCreate: one result per item in input order, "existing" for external ids the
// server says are taken, the server's error for refused items, and nothing created twice,
// neither by a retried item nor by a second run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type BulkCreateProgress, type BulkCreateResult, type BulkCustomer, Patron } from '@patron/sdk';
import { startProxy, type Proxy } from './proxy.js';
import { startServer, type TestServer } from './server.js';

let server: TestServer;
let patron: Patron;
const tag = `bk${Date.now().toString(36)}`;

before(async () => {
  server = await startServer();
  patron = new Patron({ apiKey: server.apiKey, baseUrl: server.baseUrl });
});
after(() => server?.stop());

function tally(results: BulkCreateResult[]) {
  const n = { created: 0, existing: 0, failed: 0 };
  for (const r of results) n[r.status]++;
  return n;
}

async function tagged(prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const c of patron.customers.list({ q: prefix, limit: 100 })) ids.push(c.id);
  return ids;
}

test('1,000 items with 20 already there and 5 invalid: 975 created, 20 existing, 5 failed; a second run creates nothing', async () => {
  const items: BulkCustomer[] = Array.from({ length: 1000 }, (_, i) => ({
    external_id: `${tag}-${i}`,
    email: `${tag}.${i}@example.com`,
    name: `Bulk ${i}`,
  }));
  const duplicates = Array.from({ length: 20 }, (_, k) => 7 + k * 50);
  const invalid = [3, 250, 499, 750, 998];
  for (const i of invalid) items[i] = { ...items[i]!, email: `not an email ${i}` };
  const before: Record<number, string> = {};
  for (const i of duplicates) before[i] = (await patron.customers.create(items[i]!)).id;

  const progress: BulkCreateProgress[] = [];
  const first = await patron.customers.bulkCreate(items, { concurrency: 4, onProgress: (p) => progress.push(p) });

  assert.equal(first.length, 1000);
  assert.deepEqual(tally(first), { created: 975, existing: 20, failed: 5 });
  first.forEach((r, i) => {
    if (invalid.includes(i)) {
      assert.equal(r.status, 'failed', `item ${i}`);
      if (r.status === 'failed') {
        assert.equal(r.error.code, 'parameter_invalid');
        assert.equal(r.error.param, 'email');
        assert.equal(r.error.status, 400);
      }
    } else if (duplicates.includes(i)) {
      assert.equal(r.status, 'existing', `item ${i}`);
      assert.equal(
        r.status === 'existing' && r.customer?.id,
        before[i],
        'the customer that already had the external id',
      );
    } else {
      assert.equal(r.status, 'created', `item ${i}`);
      assert.equal(
        r.status === 'created' && r.customer.external_id,
        items[i]!.external_id,
        'results are in input order',
      );
    }
  });
  assert.equal(progress.length, 1000);
  const { done, total, created, existing, failed } = progress.at(-1)!;
  assert.deepEqual(
    { done, total, created, existing, failed },
    { done: 1000, total: 1000, created: 975, existing: 20, failed: 5 },
  );
  assert.deepEqual(
    progress.map((p) => p.done),
    Array.from({ length: 1000 }, (_, i) => i + 1),
  );

  const afterFirst = await tagged(tag);
  assert.equal(afterFirst.length, 995, 'one customer per valid external id');

  const second = await patron.customers.bulkCreate(items);
  assert.deepEqual(tally(second), { created: 0, existing: 995, failed: 5 });
  second.forEach((r, i) => {
    if (r.status === 'existing') {
      const firstId =
        first[i]!.status === 'failed' ? undefined : (first[i] as { customer?: { id: string } }).customer?.id;
      assert.equal(r.customer?.id, firstId, `item ${i} is the customer the first run made or found`);
    }
  });
  assert.deepEqual((await tagged(tag)).sort(), afterFirst.sort(), 'the second run created nobody');
});

test('an item whose connection drops is retried with its own key and created once', async () => {
  const proxy: Proxy = await startProxy(server.baseUrl);
  try {
    const flaky = new Patron({ apiKey: server.apiKey, baseUrl: proxy.url });
    // The first try of every fifth item reaches the server, which creates the customer, then
    // the connection drops before the answer.
    const keys: unknown[] = [];
    const droppedKeys = new Set<unknown>();
    proxy.plan = (req) => {
      const key = req.headers['idempotency-key'];
      if (keys.includes(key)) return { kind: 'forward' };
      keys.push(key);
      if (keys.length % 5 !== 1) return { kind: 'forward' };
      droppedKeys.add(key);
      return { kind: 'drop' };
    };
    const prefix = `${tag}fl`;
    const items = Array.from({ length: 40 }, (_, i) => ({
      external_id: `${prefix}-${i}`,
      email: `${prefix}.${i}@example.com`,
    }));
    const results = await flaky.customers.bulkCreate(items, { concurrency: 4 });

    assert.deepEqual(tally(results), { created: 40, existing: 0, failed: 0 });
    assert.equal(droppedKeys.size, 8);
    for (const key of droppedKeys) {
      const tries = proxy.seen.filter((s) => s.headers['idempotency-key'] === key);
      assert.equal(tries.length, 2, 'the dropped request was sent again with the same key');
      assert.equal(tries[1]!.replayed, true, 'and the server replayed what it did the first time');
    }
    assert.equal(new Set(proxy.seen.map((s) => s.headers['idempotency-key'])).size, 40, 'one key per item');
    assert.equal((await tagged(prefix)).length, 40);
  } finally {
    await proxy.close();
  }
});
