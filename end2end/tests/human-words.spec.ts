import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import AxeBuilder from '@axe-core/playwright';
import type { APIRequestContext, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { customerAction, logInAndOpen } from './helpers';

// What a person reads when the server refuses: a sentence, never a field path such as
// `payment_method.number` or advice meant for API clients such as "(send null to clear it)";
// and an optional field left empty is left out, not refused as empty.

const headers = () => ({ Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` });
const api = (baseURL: string, path: string) => `${baseURL}/api/v1${path}`;
const unique = (what: string) => `${what}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

async function noA11yViolations(page: Page) {
  const a11y = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(a11y.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}

/** Buys the demo product `name` as a new customer; answers the checkout. */
async function buy(request: APIRequestContext, baseURL: string, name: string, email: string) {
  const products = await (await request.get(api(baseURL, '/products'), { headers: headers() })).json();
  const product = (Array.isArray(products) ? products : products.data).find((p: { name: string }) => p.name === name);
  const bought = await request.post(api(baseURL, '/checkouts'), {
    headers: headers(),
    data: { customer: { email, name: 'Cara Card' }, product_id: product.id, payment_method: { type: 'card', number: '4242424242424242' } },
  });
  expect(bought.status()).toBe(201);
  return bought.json();
}

test('a mistyped card number in the portal is named in words', async ({ page, request, baseURL, consoleErrors }) => {
  const bought = await buy(request, baseURL!, 'VIP Rank', unique('card-words'));
  const minted = await request.post(api(baseURL!, '/customer_sessions'), { headers: headers(), data: { customer_id: bought.customer.id } });
  expect(minted.status()).toBe(201);
  await page.goto((await minted.json()).url);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();

  const card = page.locator('[data-subscription-id]');
  await card.getByRole('button', { name: 'Update payment method' }).click();
  const dialog = page.getByRole('dialog', { name: 'New card for VIP Rank' });
  // One digit off: the check digit fails.
  await dialog.getByLabel('Card number').fill('4242 4242 4242 4241');
  await dialog.getByRole('button', { name: 'Save card' }).click();
  const alert = dialog.getByRole('alert');
  await expect(alert).toHaveText('That card number is not valid: check the digits and try again.');
  await expect(alert).not.toContainText('payment_method');
  expect(consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 402 (Payment Required)']);
  consoleErrors.length = 0;
  await noA11yViolations(page);
  // Nothing changed: the subscription still renews with the card it had.
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(card.getByTestId('subscription-card')).toHaveText(/Renews with Visa •••• 4242/);
});

test('a ban without a reason, or ending in the past, is refused in words', async ({ page, request, baseURL, consoleErrors }) => {
  const made = await request.post(api(baseURL!, '/customers'), {
    headers: headers(),
    data: { email: unique('ban-words'), name: 'Bea Wordy' },
  });
  expect(made.status()).toBe(201);
  const customer = await made.json();
  await logInAndOpen(page, `/dashboard/customers/${customer.id}`);
  await customerAction(page, 'Ban');
  const dialog = page.getByRole('dialog', { name: 'Ban customer' });
  // The ban button counts whom the ban matches: here the customer alone.
  const ban = dialog.getByTestId('ban-submit');
  await expect(ban).toHaveText('Ban 1 customer');
  await expect(ban).toBeEnabled();
  await ban.click();
  const alert = dialog.getByRole('alert');
  await expect(alert).toHaveText('Write a reason for the ban.');
  expect(consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  consoleErrors.length = 0;

  // Two days back, so no time zone makes it today.
  const past = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
  await dialog.getByLabel('Reason (internal, never shown to the customer)').fill('Chargeback fraud');
  await dialog.getByLabel('Banned until').fill(past);
  await ban.click();
  await expect(alert).toHaveText('The ban must end in the future: pick a later day, or choose Permanent.');
  await expect(alert).not.toContainText('omit');
  expect(consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)']);
  consoleErrors.length = 0;
  await expect(page.getByTestId('ban-banner')).toHaveCount(0);
});

test('a webhook endpoint is added with its optional description left empty', async ({ page, request, baseURL }) => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/words-hooks`;
  try {
    await logInAndOpen(page, '/dashboard/settings');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a webhook endpoint' });
    await dialog.getByLabel('URL').fill(url);
    await expect(dialog.getByLabel('Description (optional)')).toHaveValue('');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('webhook-secret')).toContainText('whsec_');
    const row = page.locator('[data-endpoint-id]').filter({ hasText: url });
    // Listed with its events and no description after them.
    await expect(row.locator('p')).toHaveText('All events');
    await noA11yViolations(page);

    const id = await row.getAttribute('data-endpoint-id');
    const endpoint = await request.get(api(baseURL!, `/webhook_endpoints/${id}`), { headers: headers() });
    expect(endpoint.status()).toBe(200);
    expect((await endpoint.json()).description).toBeNull();
    expect((await request.delete(api(baseURL!, `/webhook_endpoints/${id}`), { headers: headers() })).status()).toBeLessThan(300);
  } finally {
    server.close();
  }
});
