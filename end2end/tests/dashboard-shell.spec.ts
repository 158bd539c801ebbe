import { test, expect } from './fixtures';

test('the customers page is rendered on the server', async ({ request }) => {
  const res = await request.get('/dashboard/customers');
  expect(res.status()).toBe(200);
  const html = await res.text();
  expect(html).toContain('No customers yet');
  expect(html).toContain('Northwind Games');
  expect(html).toContain('/pkg/patron.wasm');
});

test('the page hydrates and the navigation toggle works', async ({ page }) => {
  await page.goto('/dashboard/customers');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('workspace-name')).toHaveText('Northwind Games');
  await expect(page.getByRole('heading', { name: 'No customers yet' })).toBeVisible();

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
