import { test, expect } from './fixtures';
import { axeViolations, logIn } from './helpers';

// Saved segments and bulk actions on the customer list: save the search as a segment, find it
// again after a reload with its live count, select all its customers, grant them a product as
// a job with progress that survives a reload, and read the per-customer report.

test('a segment is saved, reopened, and all its customers get a product in one bulk action', async ({ page, request, baseURL }) => {
  const headers = { Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` };
  const tag = `seg${Date.now()}`;
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) {
    const res = await request.post(`${baseURL}/api/v1/customers`, {
      headers,
      data: { email: `${tag}-${i}@example.com`, name: `Segment Member ${i}` },
    });
    expect(res.status()).toBe(201);
    ids.push((await res.json()).id);
  }

  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.goto(`/dashboard/customers?q=${tag}`);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.locator('tbody tr[data-customer-id]')).toHaveCount(30);

  // Save the search as a segment: the URL becomes the segment's, a bookmark.
  await page.getByRole('button', { name: 'Save as segment' }).click();
  const save = page.getByRole('dialog');
  await save.getByLabel('Name').fill(`Spring ${tag}`);
  await save.getByRole('button', { name: 'Save segment' }).click();
  await expect(save).toBeHidden();
  await expect(page).toHaveURL(/[?&]seg=seg_/);
  const segments = page.getByRole('navigation', { name: 'Segments' });
  const mine = segments.locator('li', { hasText: `Spring ${tag}` });
  await expect(mine.getByTestId('segment-count')).toHaveText('30');

  // After a reload from the plain list, the segment is there and opens its customers.
  await page.goto('/dashboard/customers');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await mine.getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`q=${tag}`));
  await expect(mine.getByRole('link')).toHaveAttribute('aria-current', 'page');
  await expect(page.locator('tbody tr[data-customer-id]')).toHaveCount(30);

  // Select the page, then every customer of the segment.
  await page.getByLabel('Select every customer on this page').check();
  const bar = page.getByTestId('bulk-bar');
  await expect(bar.getByTestId('selection-count')).toHaveText('30 selected.');
  await bar.getByRole('button', { name: 'Select all 30 matching' }).click();
  await expect(bar.getByTestId('selection-count')).toHaveText('All 30 matching customers are selected.');
  await bar.getByRole('button', { name: 'Bulk action…' }).click();

  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Action').selectOption('grant_product');
  await dialog.getByLabel('Product').selectOption({ label: 'Starter Kit' });
  await dialog.getByLabel('Expires (optional)').fill('2031-12-31');
  await expect(dialog.getByTestId('bulk-preview')).toHaveText(/This changes 30 customers/);
  expect(await axeViolations(page), 'the bulk action dialog').toEqual([]);
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toBeHidden();

  // Progress, to the end; it is still there after a reload.
  const line = page.locator('[data-bulk-action-id]').first();
  await expect(line.getByRole('progressbar')).toBeVisible();
  await expect(line.getByTestId('bulk-status')).toHaveText('succeeded', { timeout: 20_000 });
  await expect(line.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '30');
  await expect(line.getByTestId('bulk-counts')).toHaveText('30 of 30 · 30 succeeded · 0 failed');
  await page.reload();
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(line.getByTestId('bulk-counts')).toHaveText('30 of 30 · 30 succeeded · 0 failed');

  // The per-customer report names each customer and what happened.
  await line.getByRole('button', { name: 'Report' }).click();
  const report = line.getByTestId('bulk-report-line');
  await expect(report).toHaveCount(30);
  await expect(report.first()).toContainText('succeeded');
  await expect(line.getByTestId('bulk-report')).toContainText(`${tag}-0@example.com`);
  expect(await axeViolations(page), 'the list with its segments and bulk actions').toEqual([]);

  // Each customer holds the product's items until the chosen day.
  const items = await (await request.get(`${baseURL}/api/v1/customers/${ids[7]}/entitlements`, { headers })).json();
  expect(items.data.length).toBe(2);
  expect(items.data[0].expires_at).toMatch(/^2031-12-31/);
});
