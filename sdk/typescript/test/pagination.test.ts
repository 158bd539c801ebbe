// Auto-pagination: `for await` over a list walks every page the API's cursor
// (`starting_after` = the last row's id, while `has_more`) gives, in the API's order.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Patron } from '@patron/sdk';
import { startServer, type TestServer } from './server.js';

let server: TestServer;
let patron: Patron;
let pagesAsked: string[] = [];
const tag = `pg${Date.now().toString(36)}`;
const created: string[] = [];

before(async () => {
  server = await startServer();
  // A fetch that notes every list request, to count pages and read their cursors.
  const counting: typeof fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if ((init?.method ?? 'GET') === 'GET' && url.includes('/customers?')) pagesAsked.push(url);
    return fetch(input, init);
  };
  patron = new Patron({ apiKey: server.apiKey, baseUrl: server.baseUrl, fetch: counting });
  // 250 customers carrying the tag (and 2 others that must not appear in the walk).
  const items = Array.from({ length: 250 }, (_, i) => ({
    external_id: `${tag}-${i}`,
    email: `${tag}.${i}@example.com`,
    name: `Walker ${i}`,
  }));
  const results = await patron.customers.bulkCreate(items, { concurrency: 4 });
  for (const r of results) {
    assert.equal(r.status, 'created');
    if (r.status === 'created') created.push(r.customer.id);
  }
  await patron.customers.create({ email: 'someone.else@example.com' });
  await patron.customers.create({ email: 'another.one@example.com' });
});
after(() => server?.stop());

test('for await walks 250 customers in pages of 50, newest first, without gaps or repeats', async () => {
  pagesAsked = [];
  const seen: string[] = [];
  for await (const c of patron.customers.list({ q: tag, limit: 50 })) {
    assert.ok(c.email?.startsWith(`${tag}.`), `only tagged customers: ${c.email}`);
    seen.push(c.id);
  }
  assert.equal(seen.length, 250);
  assert.equal(new Set(seen).size, 250, 'no customer twice');
  assert.deepEqual([...seen].sort(), [...created].sort(), 'every created customer, and no other');
  // The API's order: newest first, by id (ULIDs sort by creation time).
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1]! > seen[i]!, `row ${i} follows row ${i - 1}`);
  // Five requests: the fifth page answers has_more: false, so no sixth is asked for.
  assert.equal(pagesAsked.length, 5, pagesAsked.join('\n'));
  assert.ok(!pagesAsked[0]!.includes('starting_after'));
  for (let p = 1; p < 5; p++) {
    const after = new URL(pagesAsked[p]!).searchParams.get('starting_after');
    assert.equal(after, seen[p * 50 - 1], `page ${p + 1} starts after the last row of page ${p}`);
  }
});

test('firstPage fetches one page and says more follow', async () => {
  pagesAsked = [];
  const page = await patron.customers.list({ q: tag, limit: 50 }).firstPage();
  assert.equal(page.data.length, 50);
  assert.equal(page.has_more, true);
  assert.equal(pagesAsked.length, 1);
});

test('a walk can start after a given row and stop early without fetching more', async () => {
  const all = await patron.customers.list({ q: tag, limit: 100 }).toArray();
  pagesAsked = [];
  const rest: string[] = [];
  for await (const c of patron.customers.list({ q: tag, limit: 50, starting_after: all[199]!.id })) rest.push(c.id);
  assert.deepEqual(
    rest,
    all.slice(200).map((c) => c.id),
  );
  pagesAsked = [];
  let n = 0;
  for await (const _ of patron.customers.list({ q: tag, limit: 50 })) if (++n === 60) break;
  assert.equal(pagesAsked.length, 2, 'breaking out after 60 rows fetched only two pages');
});
