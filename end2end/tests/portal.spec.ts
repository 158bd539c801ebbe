import AxeBuilder from '@axe-core/playwright';
import { test, expect } from './fixtures';

// The hosted portal, as an end customer reaches it: the shop's back end mints a one-time link,
// the customer opens it, sees what they bought, and signs out.

test('a minted link opens the portal once, without the token in the address bar', async ({ page, request, baseURL }) => {
  const headers = { Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` };
  const api = (path: string) => `${baseURL}/api/v1${path}`;
  const products = await (await request.get(api('/products'), { headers })).json();
  const kit = (Array.isArray(products) ? products : products.data).find((p: { name: string }) => p.name === 'Starter Kit');
  const email = `portal-${Date.now()}@example.com`;
  const bought = await request.post(api('/checkouts'), {
    headers,
    data: { customer: { email, name: 'Pat Portal' }, product_id: kit.id, payment_method: { type: 'card', number: '4242424242424242' } },
  });
  expect(bought.status()).toBe(201);
  const customerId = (await bought.json()).customer.id;
  const minted = await request.post(api('/customer_sessions'), {
    headers,
    data: { customer_id: customerId, return_url: 'https://northwind.example/account' },
  });
  expect(minted.status()).toBe(201);
  const { url, token } = await minted.json();

  await page.goto(url);
  await expect(page).toHaveURL(/\/portal$/);
  expect(page.url()).not.toContain(token);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('portal-shop')).toHaveText('Northwind Games');
  await expect(page.getByTestId('portal-customer')).toContainText('Pat Portal');
  await expect(page.locator('[data-order-id]')).toHaveCount(1);
  await expect(page.locator('[data-order-id]')).toContainText('Starter Kit');
  await expect(page.getByRole('link', { name: 'Back to Northwind Games' })).toHaveAttribute('href', 'https://northwind.example/account');
  const a11y = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(a11y.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  // "Download my data": everything the shop holds about them, as one JSON file.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download my data' }).click(),
  ]);
  const { readFileSync } = await import('node:fs');
  const data = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  expect(data.customer.id).toBe(customerId);
  expect(data.orders.map((o: { product_name: string }) => o.product_name)).toEqual(['Starter Kit']);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByTestId('portal-signed-out')).toBeVisible();

  // The link worked once.
  await page.goto(url);
  await expect(page).toHaveURL(/\/portal\?link=expired$/);
  await expect(page.getByText('This sign-in link has expired or was already used.')).toBeVisible();
});
