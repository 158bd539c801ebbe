import { test, expect } from './fixtures';
import { logIn } from './helpers';

test.beforeEach(async ({ page }) => {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
});

test('the customers page is rendered on the server', async ({ page }) => {
  const res = await page.request.get('/dashboard/customers');
  expect(res.status()).toBe(200);
  const html = await res.text();
  expect(html).toContain('Northwind Games');
  expect(html).toContain('Ada Lovelace');
  expect(html).toContain('/pkg/patron.wasm');
});

test('the page hydrates and the navigation toggle works', async ({ page }) => {
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Dashboard' });
  await expect(nav.getByText('Customers')).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Customers' })).toHaveAttribute('aria-current', 'page');

  await page.getByRole('button', { name: 'Collapse navigation' }).click();
  const expand = page.getByRole('button', { name: 'Expand navigation' });
  await expect(expand).toHaveAttribute('aria-expanded', 'false');
  await expect(nav.getByText('Customers')).toBeHidden();
  // Collapsed, the link keeps its name for screen readers and keyboard users.
  await expect(nav.getByRole('link', { name: 'Customers' })).toBeVisible();

  await expand.click();
  await expect(page.getByRole('button', { name: 'Collapse navigation' })).toHaveAttribute(
    'aria-expanded',
    'true',
  );
  await expect(nav.getByText('Customers')).toBeVisible();
});

test('the customer list shows every demo customer on one page', async ({ page }) => {
  await expect(page.locator('tbody tr')).toHaveCount(48);
  // 48 fit in one page of 50: no pager link leads to an empty page.
  await expect(page.getByRole('link', { name: 'Next' })).toHaveCount(0);
});

test('the root address leads to the customers page', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await expect(page).toHaveTitle('Customers · Patron');
});

test('an unknown address answers 404 with a way back', async ({ page, consoleErrors }) => {
  const res = await page.goto('/dashboard/nowhere');
  expect(res?.status()).toBe(404);
  // Chromium reports the 404 document itself as a console error: that one is expected.
  expect(consoleErrors).toEqual([
    'Failed to load resource: the server responded with a status of 404 (Not Found)',
  ]);
  consoleErrors.length = 0;
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Back to the dashboard' }).click();
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
});
