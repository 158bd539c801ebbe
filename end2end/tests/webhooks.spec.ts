import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIRequestContext } from '@playwright/test';
import { Webhook } from 'standardwebhooks';
import AxeBuilder from '@axe-core/playwright';
import { test, expect } from './fixtures';
import { axeViolations, logInAndOpen } from './helpers';

// Webhooks as a merchant's back end receives them: a real HTTP receiver on loopback, and the
// Standard Webhooks project's own npm verifier (not Patron's code) checking every delivery,
// across a secret rotation, and the test event the dashboard sends.

type Delivery = { headers: IncomingHttpHeaders; body: string };
const headers = () => ({ Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` });

// Accepts at `url`; at `down` answers 503, as a back end under maintenance does.
async function receiver() {
  const got: Delivery[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      if (req.url?.startsWith('/down')) res.writeHead(503).end('down for maintenance');
      else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { got, url: `${base}/hooks`, down: `${base}/down`, close: () => server.close() };
}

async function buy(request: APIRequestContext, baseURL: string, email: string) {
  const products = await (await request.get(`${baseURL}/api/v1/products`, { headers: headers() })).json();
  const kit = (Array.isArray(products) ? products : products.data).find((p: { name: string }) => p.name === 'Starter Kit');
  const bought = await request.post(`${baseURL}/api/v1/checkouts`, {
    headers: headers(),
    data: { customer: { email, name: 'Wendy Hook' }, product_id: kit.id, payment_method: { type: 'card', number: '4242424242424242' } },
  });
  expect(bought.status()).toBe(201);
  return bought.json();
}

const verified = (secret: string, d: Delivery) =>
  new Webhook(secret.replace(/^whsec_/, '')).verify(d.body, {
    'webhook-id': String(d.headers['webhook-id']),
    'webhook-timestamp': String(d.headers['webhook-timestamp']),
    'webhook-signature': String(d.headers['webhook-signature']),
  }) as { type: string; timestamp: string; data: Record<string, any> };

test('every delivery verifies with the Standard Webhooks library, before and after a secret rotation', async ({ request, baseURL }) => {
  const hooks = await receiver();
  try {
    const made = await request.post(`${baseURL}/api/v1/webhook_endpoints`, {
      headers: headers(),
      data: { url: hooks.url, description: 'e2e receiver', event_types: ['order.*', 'customer.*'] },
    });
    expect(made.status(), await made.text()).toBe(201);
    const endpoint = await made.json();
    const oldSecret: string = endpoint.secret;

    const first = await buy(request, baseURL!, `hooks-${Date.now()}@example.com`);
    await expect.poll(() => hooks.got.map((d) => JSON.parse(d.body).type)).toEqual(expect.arrayContaining(['customer.created', 'order.paid']));
    for (const d of hooks.got) {
      const event = verified(oldSecret, d);
      expect(d.headers['webhook-id']).toMatch(/^evt_/);
      expect(Math.abs(Number(d.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(120);
      expect(event.timestamp).toMatch(/Z$/);
    }
    const paid = hooks.got.map((d) => verified(oldSecret, d)).find((e) => e.type === 'order.paid')!;
    expect(paid.data.id).toBe(first.order.id);
    expect(paid.data.customer.email).toBe(first.customer.email);
    // A changed body does not verify.
    expect(() => verified(oldSecret, { ...hooks.got[0], body: hooks.got[0].body.replace('}', ',"x":1}') })).toThrow();

    // Rotation: for a day both secrets verify every delivery.
    const rotated = await (await request.post(`${baseURL}/api/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, { headers: headers() })).json();
    expect(rotated.secret).not.toBe(oldSecret);
    const seen = hooks.got.length;
    await buy(request, baseURL!, `hooks-rotated-${Date.now()}@example.com`);
    await expect.poll(() => hooks.got.length).toBeGreaterThan(seen + 1);
    for (const d of hooks.got.slice(seen)) {
      expect(verified(rotated.secret, d).type).toMatch(/^(order|customer)\./);
      expect(verified(oldSecret, d).type).toMatch(/^(order|customer)\./);
      expect(() => verified('whsec_' + Buffer.alloc(32, 7).toString('base64'), d)).toThrow();
    }

    // The delivery log agrees.
    const log = await (await request.get(`${baseURL}/api/v1/webhook_endpoints/${endpoint.id}/deliveries`, { headers: headers() })).json();
    expect(log.data.length).toBe(hooks.got.length);
    expect(log.data.every((d: { status: string }) => d.status === 'succeeded')).toBe(true);
    await request.delete(`${baseURL}/api/v1/webhook_endpoints/${endpoint.id}`, { headers: headers() });
  } finally {
    hooks.close();
  }
});

test('an admin adds an endpoint in Settings, copies its secret once, reads its deliveries and resends one', async ({ page, request, baseURL, consoleErrors }) => {
  const hooks = await receiver();
  try {
    await logInAndOpen(page, '/dashboard/settings');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a webhook endpoint' });
    await dialog.getByLabel('URL').fill('https://10.0.0.7/hooks');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(dialog.getByRole('alert')).toContainText('URL points to a private, loopback or link-local address');
    expect(consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    consoleErrors.length = 0;
    await dialog.getByLabel('URL').fill(hooks.url);
    await dialog.getByLabel('Description (optional)').fill('Order sync');
    await dialog.getByLabel('All events').uncheck();
    await dialog.getByLabel('Orders').check();
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('webhook-secret')).toContainText('whsec_');
    const a11y = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(a11y.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

    await page.getByRole('link', { name: hooks.url }).click();
    await expect(page.getByTestId('webhook-url')).toHaveText(hooks.url);
    const bought = await buy(request, baseURL!, `hooks-ui-${Date.now()}@example.com`);
    await expect.poll(() => hooks.got.length).toBeGreaterThan(0);
    await expect.poll(async () => {
      await page.reload();
      await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
      return page.locator('[data-delivery-id]').count();
    }).toBeGreaterThan(0);
    const row = page.locator('[data-delivery-id]').filter({ hasText: 'order.paid' });
    await row.getByRole('button', { name: 'order.paid' }).click();
    await expect(row.getByTestId('webhook-attempts')).toContainText('200');
    await expect(row.getByTestId('webhook-attempts')).toContainText('ok');
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

    // Resend: the receiver gets the same event again, under the same webhook-id.
    const before = hooks.got.length;
    const firstId = hooks.got.find((d) => JSON.parse(d.body).type === 'order.paid')!.headers['webhook-id'];
    await row.getByRole('button', { name: 'Resend' }).click();
    await expect.poll(() => hooks.got.length).toBe(before + 1);
    expect(hooks.got[before].headers['webhook-id']).toBe(firstId);

    // The order's details show its events' deliveries, linked to the endpoint.
    await page.goto(`/dashboard/customers/${bought.customer.id}/orders`);
    await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
    await page.getByRole('button', { name: 'Details' }).click();
    const hook = page.getByTestId('order-webhook').filter({ hasText: 'order.paid' });
    await expect(hook).toContainText('succeeded');
    await hook.getByRole('link', { name: hooks.url }).click();
    await expect(page.getByTestId('webhook-url')).toHaveText(hooks.url);

    // Delete it; back on Settings it is gone.
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete this endpoint?' }).getByRole('button', { name: 'Delete endpoint' }).click();
    await expect(page).toHaveURL(/\/dashboard\/settings$/);
    await expect(page.getByRole('link', { name: hooks.url })).toHaveCount(0);
  } finally {
    hooks.close();
  }
});

test('a failing delivery says so with its last answer, the Failed filter finds it, those behind it wait; an edit and a test event fix and check the endpoint', async ({ page, request, baseURL }) => {
  const hooks = await receiver();
  let endpointId = '';
  try {
    const made = await request.post(`${baseURL}/api/v1/webhook_endpoints`, {
      headers: headers(),
      data: { url: hooks.down, description: 'Failing receiver', event_types: ['order.*', 'customer.*'] },
    });
    expect(made.status(), await made.text()).toBe(201);
    const endpoint = await made.json();
    endpointId = endpoint.id;
    await buy(request, baseURL!, `hooks-down-${Date.now()}@example.com`);
    await expect.poll(() => hooks.got.length).toBeGreaterThan(0);

    // The oldest delivery was refused: it is failing, with the answer; the others wait behind it.
    await logInAndOpen(page, `/dashboard/settings/webhooks/${endpoint.id}`);
    const rows = page.locator('[data-delivery-id]');
    const failing = page.locator('[data-delivery-id][data-state="failing"]');
    await expect.poll(async () => {
      await page.reload();
      await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
      return failing.count();
    }).toBe(1);
    await expect(failing).toContainText('failing');
    await expect(failing).toContainText('last answer 503');
    await expect(failing).toContainText('Its last attempt failed. Next attempt:');
    const waiting = page.locator('[data-delivery-id][data-state="waiting"]');
    expect(await waiting.count()).toBeGreaterThan(0);
    await expect(waiting.first()).toContainText('Waiting behind a failing delivery');

    // The Failed filter finds it, though it is still tried again.
    const failedOnly = page.getByRole('button', { name: 'Failed', exact: true });
    await failedOnly.click();
    await expect(failedOnly).toHaveAttribute('aria-pressed', 'true');
    await expect(rows).toHaveCount(1);
    await expect(rows).toHaveAttribute('data-state', 'failing');

    // Its payload: the very body the receiver got, indented.
    await rows.getByRole('button', { name: 'View payload' }).click();
    const payload = page.getByRole('dialog', { name: 'Delivery payload' });
    const shown = payload.getByTestId('webhook-payload');
    await expect(shown).toContainText('"type": "');
    expect(JSON.parse(await shown.innerText())).toEqual(JSON.parse(hooks.got[0].body));
    expect(await shown.innerText()).not.toContain(endpoint.secret);
    expect(await axeViolations(page)).toEqual([]);
    await payload.getByRole('button', { name: 'Close' }).click();
    await expect(payload).toBeHidden();

    // A test event shows what the endpoint answers now.
    const answer = page.getByTestId('webhook-test-answer');
    await page.getByRole('button', { name: 'Send test event' }).click();
    await expect(answer).toContainText('Your endpoint answered 503');
    await expect(answer).toContainText('down for maintenance');

    // Edit: the form opens with the endpoint as it is; the URL fixed, the description cleared.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('dialog', { name: 'Edit endpoint' });
    await expect(edit.getByLabel('URL')).toHaveValue(hooks.down);
    await expect(edit.getByLabel('Description (optional)')).toHaveValue('Failing receiver');
    await expect(edit.getByLabel('All events')).not.toBeChecked();
    await expect(edit.getByLabel('Orders')).toBeChecked();
    await expect(edit.getByLabel('Customers')).toBeChecked();
    await edit.getByLabel('URL').fill(hooks.url);
    await edit.getByLabel('Description (optional)').fill('');
    await edit.getByLabel('Customers').uncheck();
    expect(await axeViolations(page)).toEqual([]);
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await expect(edit).toBeHidden();
    await expect(page.getByTestId('webhook-url')).toHaveText(hooks.url);
    await expect(page.getByTestId('webhook-summary')).toHaveText('order.*');
    const saved = await (await request.get(`${baseURL}/api/v1/webhook_endpoints/${endpoint.id}`, { headers: headers() })).json();
    expect([saved.url, saved.description, saved.event_types]).toEqual([hooks.url, null, ['order.*']]);

    // Now it accepts the test event: a signed ping, verified with the endpoint's secret.
    const before = hooks.got.length;
    await page.getByRole('button', { name: 'Send test event' }).click();
    await expect(answer).toContainText('Your endpoint accepted the test event: it answered 200');
    await expect(answer.getByRole('region', { name: "The endpoint's answer" })).toHaveText('ok');
    const ping = hooks.got.slice(before).find((d) => JSON.parse(d.body).type === 'ping');
    expect(ping, 'the receiver got the ping').toBeDefined();
    expect(String(ping!.headers['webhook-id'])).toMatch(/^msg_/);
    expect(verified(endpoint.secret, ping!).data.endpoint_id).toBe(endpoint.id);
    expect(await axeViolations(page)).toEqual([]);
  } finally {
    if (endpointId) await request.delete(`${baseURL}/api/v1/webhook_endpoints/${endpointId}`, { headers: headers() });
    hooks.close();
  }
});
