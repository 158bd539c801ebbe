// Every resource's main operations, against the real server: what the SDK sends is what the
// API takes, and what it answers is what the types say.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { Patron, PatronError, type Customer, type Product } from '@patron/sdk';
import { startServer, type TestServer } from './server.js';

let server: TestServer;
let patron: Patron;
const tag = `rt${Date.now().toString(36)}`;

before(async () => {
  server = await startServer();
  patron = new Patron({ apiKey: server.apiKey, baseUrl: server.baseUrl });
});
after(() => server?.stop());

/** Waits for a background job (imports, bulk actions) to reach a final state. */
async function until<T>(read: () => Promise<T>, done: (t: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not finish within 10 s`);
}

describe('customers', () => {
  test('a created customer is retrieved, updated, found by search, archived and unarchived', async () => {
    const made = await patron.customers.create({
      email: `ada.${tag}@example.com`,
      name: 'Ada Lovelace',
      external_id: `ext-${tag}`,
      metadata: { plan: 'pro' },
    });
    assert.match(made.id, /^cus_/);
    assert.equal(made.email, `ada.${tag}@example.com`);
    assert.deepEqual(made.metadata, { plan: 'pro' });

    const got = await patron.customers.retrieve(made.id);
    assert.equal(got.external_id, `ext-${tag}`);

    const changed = await patron.customers.update(made.id, { name: 'Ada King', version: got.version });
    assert.equal(changed.name, 'Ada King');
    assert.equal(changed.version, got.version + 1);

    const stale = await patron.customers
      .update(made.id, { name: 'Lost edit', version: got.version })
      .catch((e: unknown) => e);
    assert.ok(stale instanceof PatronError);
    assert.equal(stale.code, 'version_conflict');
    assert.equal(stale.status, 409);

    const found = await patron.customers.list({ q: tag }).firstPage();
    assert.deepEqual(
      found.data.map((c) => c.id),
      [made.id],
    );
    assert.equal(found.data[0]!.lifetime_value, 0);

    assert.ok((await patron.customers.archive(made.id)).archived_at);
    assert.equal((await patron.customers.list({ q: tag }).firstPage()).data.length, 0);
    assert.equal((await patron.customers.unarchive(made.id)).archived_at, null);

    const stats = await patron.customers.stats(made.id);
    assert.equal(stats.customer_id, made.id);
    assert.equal(stats.order_count, 0);
    const exported = await patron.customers.exportData(made.id);
    assert.equal(exported.customer.id, made.id);
    const csv = await patron.customers.exportCsv({ q: tag });
    assert.match(csv, new RegExp(`ada\\.${tag}@example\\.com`));
  });

  test('an unknown customer is a PatronError with the envelope and the request id', async () => {
    const error = await patron.customers.retrieve('cus_01JD5ZQ3XK4M6P8R9S2T3V4W5X').catch((e: unknown) => e);
    assert.ok(error instanceof PatronError);
    assert.equal(error.status, 404);
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.code, 'resource_missing');
    assert.match(error.requestId ?? '', /^req_/);
    assert.match(error.message, /customer/i);
  });

  test('erase keeps a tombstone without personal data', async () => {
    const c = await patron.customers.create({ email: `erase.${tag}@example.com`, name: 'To Erase' });
    const erased = await patron.customers.erase(c.id, { confirm: true });
    assert.ok(erased.erased_at);
    assert.equal(erased.email, null);
  });
});

describe('products, checkouts, orders, subscriptions, entitlements, payment details', () => {
  let product: Product;
  let buyer: Customer;
  let orderId: string;

  test('a product is created, listed and retrieved', async () => {
    product = await patron.products.create({
      name: `Key ${tag}`,
      kind: 'one_time',
      amount: 1500,
      currency: 'EUR',
      benefits: [{ kind: 'license_key', prefix: 'SDK' }],
    });
    assert.match(product.id, /^prod_/);
    assert.equal((await patron.products.retrieve(product.id)).amount, 1500);
    const all = await patron.products.list({ limit: 2 }).toArray();
    assert.ok(
      all.some((p) => p.id === product.id),
      'the walk over two-row pages reaches the new product',
    );
  });

  test('a checkout creates the buyer, a paid order and the licence key', async () => {
    const checkout = await patron.checkouts.create({
      product_id: product.id,
      payment_method: { type: 'card', number: '4242 4242 4242 4242' },
      customer: { external_id: `buyer-${tag}`, email: `buyer.${tag}@example.com`, name: 'Buyer' },
    });
    assert.equal(checkout.customer_created, true);
    assert.equal(checkout.order.status, 'paid');
    assert.equal(checkout.order.amount, 1500);
    assert.equal(checkout.entitlements.length, 1);
    buyer = checkout.customer;
    orderId = checkout.order.id;

    const key = await patron.entitlements.revealLicenseKey(checkout.entitlements[0]!.id);
    assert.match(JSON.stringify(key), /SDK/);
  });

  test('a declined card is a payment_error the caller can branch on', async () => {
    const error = await patron.checkouts
      .create({
        product_id: product.id,
        payment_method: { type: 'card', number: '4000 0000 0000 0002' },
        customer_id: buyer.id,
      })
      .catch((e: unknown) => e);
    assert.ok(error instanceof PatronError);
    assert.equal(error.type, 'payment_error');
    assert.equal(error.code, 'card_declined');
  });

  test("the buyer's orders list the order, which is refunded in part", async () => {
    const orders = await patron.orders.list(buyer.id).toArray();
    assert.ok(orders.some((o) => o.id === orderId));
    assert.equal((await patron.orders.retrieve(orderId)).customer_id, buyer.id);
    const refund = await patron.orders.refund(orderId, { amount: 500, reason: 'goodwill' });
    assert.equal(refund.amount, 500);
    assert.equal(refund.order_id, orderId);
    const refunds = await patron.orders.listRefunds(orderId).toArray();
    assert.deepEqual(
      refunds.map((r) => r.id),
      [refund.id],
    );
    assert.equal((await patron.orders.retrieve(orderId)).refunded_amount, 500);
  });

  test('a subscription is listed, cancelled at period end and recovered', async () => {
    const plan = await patron.products.create({
      name: `Plan ${tag}`,
      kind: 'subscription',
      amount: 999,
      currency: 'EUR',
      interval: 'month',
      benefits: [{ kind: 'custom', description: 'Access' }],
    });
    const checkout = await patron.checkouts.create({
      product_id: plan.id,
      payment_method: { type: 'card', number: '4242424242424242' },
      customer_id: buyer.id,
    });
    const sub = checkout.subscription!;
    assert.equal(sub.status, 'active');
    const subs = await patron.subscriptions.list(buyer.id).toArray();
    assert.deepEqual(
      subs.map((s) => s.id),
      [sub.id],
    );
    assert.equal((await patron.subscriptions.retrieve(sub.id)).product_id, plan.id);
    assert.equal((await patron.subscriptions.cancel(sub.id, { at_period_end: true })).cancel_at_period_end, true);
    assert.equal((await patron.subscriptions.recover(sub.id)).cancel_at_period_end, false);
    const invoices = await patron.subscriptions.listInvoices(sub.id).toArray();
    assert.equal(invoices.length, 1);
  });

  test('an entitlement is granted by hand and revoked', async () => {
    const granted = await patron.entitlements.grant(buyer.id, { product_id: product.id });
    assert.equal(granted.length, 1);
    const id = granted[0]!.id;
    assert.equal((await patron.entitlements.retrieve(id)).status, 'active');
    const listed = await patron.entitlements.list(buyer.id).toArray();
    assert.ok(listed.some((e) => e.id === id));
    assert.equal((await patron.entitlements.revoke(id, { reason: 'test' })).status, 'revoked');
  });

  test("the buyer's card is a payment detail that can be blocked and unblocked", async () => {
    const details = await patron.paymentDetails.list(buyer.id).toArray();
    const card = details.find((d) => d.kind === 'card');
    assert.ok(card, `a card among ${JSON.stringify(details.map((d) => d.kind))}`);
    assert.equal((await patron.paymentDetails.block(card.id)).status, 'blocked');
    assert.equal((await patron.paymentDetails.unblock(card.id)).status, 'active');
  });
});

describe('bans, segments, bulk actions', () => {
  test('a ban is created, retrieved, listed and lifted', async () => {
    const ban = await patron.bans.create({
      reason: 'chargebacks',
      identities: [{ kind: 'email', value: `fraud.${tag}@example.com` }],
    });
    assert.equal(ban.status, 'active');
    assert.equal((await patron.bans.retrieve(ban.id)).reason, 'chargebacks');
    assert.ok((await patron.bans.list().toArray()).some((b) => b.id === ban.id));
    const lifted = await patron.bans.lift(ban.id);
    assert.equal(lifted.status, 'lifted');
  });

  test('a segment is created, renamed, listed and deleted', async () => {
    const seg = await patron.segments.create({ name: `VIP ${tag}`, filters: { country: 'DE' } });
    assert.equal((await patron.segments.update(seg.id, { name: `VIPs ${tag}` })).name, `VIPs ${tag}`);
    assert.ok((await patron.segments.list().toArray()).some((s) => s.id === seg.id));
    assert.equal(await patron.segments.del(seg.id), undefined);
    const gone = await patron.segments.retrieve(seg.id).catch((e: unknown) => e);
    assert.ok(gone instanceof PatronError);
    assert.equal(gone.status, 404);
  });

  test('a bulk action sets metadata on the customers given, item by item', async () => {
    const a = await patron.customers.create({ email: `bulk-a.${tag}@example.com` });
    const b = await patron.customers.create({ email: `bulk-b.${tag}@example.com` });
    const started = await patron.bulkActions.create({
      action: 'set_metadata',
      customer_ids: [a.id, b.id],
      metadata_key: 'tier',
      metadata_value: 'gold',
    });
    assert.equal(started.total, 2);
    const finished = await until(
      () => patron.bulkActions.retrieve(started.id),
      (x) => x.status !== 'running',
      'the bulk action',
    );
    assert.equal(finished.status, 'succeeded');
    const items = await patron.bulkActions.listItems(started.id).toArray();
    assert.deepEqual(items.map((i) => i.customer_id).sort(), [a.id, b.id].sort());
    assert.equal((await patron.customers.retrieve(a.id)).metadata.tier, 'gold');
    assert.ok((await patron.bulkActions.list().toArray()).some((x) => x.id === started.id));
  });
});

describe('customer sessions, webhook endpoints, imports, merges, workspace', () => {
  test('a customer session is a one-time portal link', async () => {
    const c = await patron.customers.create({ external_id: `portal-${tag}` });
    const session = await patron.customerSessions.create({ external_id: `portal-${tag}` });
    assert.equal(session.customer_id, c.id);
    assert.ok(session.url.startsWith(server.baseUrl), session.url);
    assert.ok(session.url.includes(session.token));
  });

  test('a webhook endpoint is created with its secret, updated, rotated and deleted', async () => {
    const ep = await patron.webhookEndpoints.create({
      url: 'https://hooks.example.com/patron',
      event_types: ['customer.*'],
    });
    assert.match(ep.secret ?? '', /^whsec_/);
    const got = await patron.webhookEndpoints.retrieve(ep.id);
    assert.equal(got.secret ?? null, null, 'the secret is shown only once');
    assert.equal((await patron.webhookEndpoints.update(ep.id, { enabled: false })).enabled, false);
    const rotated = await patron.webhookEndpoints.rotateSecret(ep.id);
    assert.match(rotated.secret ?? '', /^whsec_/);
    assert.notEqual(rotated.secret, ep.secret);
    assert.ok((await patron.webhookEndpoints.list().toArray()).some((e) => e.id === ep.id));
    assert.deepEqual(await patron.webhookEndpoints.listDeliveries(ep.id).toArray(), []);
    await patron.webhookEndpoints.del(ep.id);
    assert.ok(!(await patron.webhookEndpoints.list().toArray()).some((e) => e.id === ep.id));
  });

  test('a CSV import creates its rows and reports each one', async () => {
    const csv = `external_id,email,name\nimp1-${tag},imp1.${tag}@example.com,Imp One\nimp2-${tag},not-an-email,Imp Two\n`;
    const started = await patron.imports.create(csv, { mode: 'create_only' });
    const done = await until(
      () => patron.imports.retrieve(started.id),
      (i) => i.status !== 'running',
      'the import',
    );
    assert.equal(done.status, 'done');
    assert.equal(done.created, 1);
    assert.equal(done.rejected, 1);
    const report = await patron.imports.report(started.id);
    assert.match(report, /email/);
    assert.equal((await patron.customers.list({ external_id: `imp1-${tag}` }).firstPage()).data.length, 1);
  });

  test('a merge is previewed, made, retrieved and undone', async () => {
    const dup = await patron.customers.create({ email: `dup.${tag}@example.com`, name: 'Dup' });
    const keep = await patron.customers.create({ email: `keep.${tag}@example.com`, name: 'Keep' });
    const preview = await patron.merges.preview(dup.id, { into: keep.id });
    assert.equal(preview.into, keep.id);
    assert.deepEqual(preview.blockers, []);
    const merge = await patron.merges.create(dup.id, { into: keep.id });
    assert.equal(merge.survivor.id, keep.id);
    assert.equal((await patron.customers.retrieve(dup.id)).merged_into, keep.id);
    assert.equal((await patron.merges.retrieve(merge.id)).customer_id, dup.id);
    assert.ok((await patron.merges.undo(merge.id)).undone_at);
    assert.equal((await patron.customers.retrieve(dup.id)).merged_into, null);
  });

  test('the workspace settings are read and changed', async () => {
    const ws = await patron.workspace.retrieve();
    assert.equal(ws.id, server.workspace);
    const changed = await patron.workspace.update({ embed_origins: ['https://shop.example'] });
    assert.deepEqual(changed.embed_origins, ['https://shop.example']);
    assert.deepEqual(await patron.erasureRequests.list().toArray(), []);
  });
});

test('the CommonJS build answers as the ESM build does', async () => {
  const require = createRequire(import.meta.url);
  const cjs = require('@patron/sdk') as typeof import('@patron/sdk');
  assert.notEqual(cjs.Patron, Patron, 'require loads dist/cjs, not the ESM module');
  const client = new cjs.Patron({ apiKey: server.apiKey, baseUrl: server.baseUrl });
  const page = await client.customers.list({ limit: 1 }).firstPage();
  const same = await patron.customers.list({ limit: 1 }).firstPage();
  assert.deepEqual(
    page.data.map((c) => c.id),
    same.data.map((c) => c.id),
  );
  const error = await client.customers.retrieve('cus_01JD5ZQ3XK4M6P8R9S2T3V4W5X').catch((e: unknown) => e);
  assert.ok(error instanceof cjs.PatronError);
  assert.equal((error as PatronError).code, 'resource_missing');
});
