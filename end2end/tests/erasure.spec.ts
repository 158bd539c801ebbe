import AxeBuilder from '@axe-core/playwright';
import { test, expect } from './fixtures';
import { logIn } from './helpers';

// GDPR erasure as both sides see it: the end customer asks from the portal; the merchant sees
// the request on Customers and on the customer's page, erases, and the page shows the
// anonymised record with its orders.

async function noA11yViolations(page: import('@playwright/test').Page) {
  const a11y = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(a11y.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}

test('a customer asks to be erased from the portal and the merchant erases them', async ({ page, request, baseURL }) => {
  const headers = { Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` };
  const api = (path: string) => `${baseURL}/api/v1${path}`;
  const products = await (await request.get(api('/products'), { headers })).json();
  const kit = (Array.isArray(products) ? products : products.data).find((p: { name: string }) => p.name === 'Starter Kit');
  const tag = `${Date.now()}`;
  const email = `erase-${tag}@example.com`;
  const name = `Ernie Erasable ${tag}`;
  const bought = await request.post(api('/checkouts'), {
    headers,
    data: { customer: { email, name }, product_id: kit.id, payment_method: { type: 'card', number: '4242424242424242' }, ip: '198.51.100.23' },
  });
  expect(bought.status()).toBe(201);
  const { customer, order } = await bought.json();
  const minted = await request.post(api('/customer_sessions'), { headers, data: { customer_id: customer.id } });
  expect(minted.status()).toBe(201);

  // The end customer asks.
  await page.goto((await minted.json()).url);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await page.getByRole('button', { name: 'Erase my data' }).click();
  const ask = page.getByRole('dialog', { name: 'Ask Northwind Games to erase your data?' });
  await expect(ask).toContainText('within a month');
  await noA11yViolations(page);
  await ask.getByRole('button', { name: 'Ask to erase my data' }).click();
  await expect(ask).toBeHidden();
  await expect(page.getByTestId('portal-erasure')).toContainText('You asked Northwind Games to erase your personal data');
  await expect(page.getByRole('button', { name: 'Erase my data' })).toHaveCount(0);

  // The merchant sees it on Customers, then on the requests page, then on the customer.
  await page.context().clearCookies();
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await expect(page.getByTestId('erasure-notice')).toContainText('asked to have their data erased');
  await page.getByRole('link', { name: 'Review the requests' }).click();
  await expect(page).toHaveURL(/\/dashboard\/erasure-requests$/);
  const row = page.getByTestId('erasure-requests').locator('tr', { hasText: name });
  await expect(row).toContainText('due in');
  await noA11yViolations(page);
  await row.getByRole('link', { name }).click();
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('erasure-request')).toContainText('Erasure requested.');
  await page.getByTestId('erasure-request').getByRole('button', { name: 'Erase now' }).click();
  const confirm = page.getByRole('dialog', { name: `Erase ${name}'s personal data?` });
  await expect(confirm).toContainText('This cannot be undone');
  await expect(confirm).toContainText('What remains is an anonymised record with its orders');
  await confirm.getByRole('button', { name: 'Erase permanently' }).click();
  await expect(confirm).toBeHidden();

  // The anonymised record: no name or email, its order and amounts still there.
  const header = page.getByTestId('customer-header');
  await expect(header.getByRole('heading', { level: 1 })).toHaveText('Erased customer');
  await expect(page.getByTestId('erased-badge')).toContainText('Erased on');
  await expect(header).not.toContainText(email);
  await expect(page.getByRole('button', { name: 'Edit customer' })).toHaveCount(0);
  // The Actions menu offers the data export only, no erasure.
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await expect(page.getByRole('menuitem', { name: 'Download data' })).toBeFocused();
  await expect(page.getByRole('menuitem', { name: 'Erase personal data' })).toHaveCount(0);
  await page.keyboard.press('Escape');
  await noA11yViolations(page);
  const got = await (await request.get(api(`/orders/${order.id}`), { headers })).json();
  expect(got.amount).toBe(order.amount);
  expect(got.ip).toBeNull();
  const again = await (await request.get(api(`/customers/${customer.id}`), { headers })).json();
  expect(again.email).toBeNull();
  expect(again.erased_at).not.toBeNull();
  await page.goto('/dashboard/erasure-requests');
  await expect(page.getByTestId('erasure-requests').locator('tr', { hasText: customer.id })).toHaveCount(0);
});
