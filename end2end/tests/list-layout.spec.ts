import { test, expect } from './fixtures';
import { logIn } from './helpers';
import type { APIRequestContext } from '@playwright/test';

// The customer list fits a laptop: at 1,280 px every default column shows without a horizontal
// scroll; the column picker adds the external id and is remembered; on a phone the list is cards.
// Either way the count of customers shows above the rows.

const DEFAULT_COLUMNS = ['Customer', 'Country', 'Lifetime value', 'Orders', 'Last order', 'Subscription', 'Created'];

// What the count line says on the list's first page: the demo's customers as the REST list
// counts them, paged to its end.
async function firstPageCount(request: APIRequestContext, baseURL: string) {
  const headers = { Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` };
  let total = 0;
  let after = '';
  for (;;) {
    const res = await request.get(`${baseURL}/api/v1/customers?limit=100${after ? `&starting_after=${after}` : ''}`, { headers });
    expect(res.status()).toBe(200);
    const body = await res.json();
    total += body.data.length;
    if (!body.has_more) break;
    after = body.data[body.data.length - 1].id;
  }
  expect(total).toBeGreaterThan(1);
  return `1–${Math.min(total, 50)} of ${total} customers`;
}

async function openList(page: import('@playwright/test').Page) {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
}

test('at 1,280 px the list shows every default column without scrolling sideways', async ({ page, request, baseURL }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openList(page);
  const table = page.getByTestId('customer-table');
  await expect(table.locator('tbody tr').first()).toBeVisible();
  // How many customers there are, above the rows.
  const count = page.getByTestId('customer-count');
  await expect(count).toHaveText(await firstPageCount(request, baseURL!));
  await expect(count).toBeInViewport();
  // The first column holds the row checkboxes for bulk actions; the named ones follow.
  await expect(table.getByRole('checkbox', { name: 'Select every customer on this page' })).toBeInViewport();
  const headers = (await table.locator('thead th').allInnerTexts()).map((h) => h.trim().toLowerCase());
  expect(headers).toEqual(['', ...DEFAULT_COLUMNS.map((c) => c.toLowerCase())]);
  for (const name of DEFAULT_COLUMNS) {
    await expect(table.getByRole('columnheader', { name, exact: true })).toBeInViewport();
  }
  const fits = await table.evaluate((el) => el.scrollWidth <= el.clientWidth);
  expect(fits, 'the table scrolls sideways').toBe(true);
  const pageFits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  expect(pageFits, 'the page scrolls sideways').toBe(true);

  // The external id is one choice away, and the choice is remembered.
  await page.getByRole('button', { name: 'Columns' }).click();
  await page.getByRole('checkbox', { name: 'External id' }).check();
  await expect(table.getByRole('columnheader', { name: 'External id' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('checkbox', { name: 'External id' })).toHaveCount(0);
  await page.reload();
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('customer-table').getByRole('columnheader', { name: 'External id' })).toBeVisible();
  await page.getByRole('button', { name: 'Columns' }).click();
  await page.getByRole('checkbox', { name: 'External id' }).uncheck();
  await expect(page.getByTestId('customer-table').getByRole('columnheader', { name: 'External id' })).toHaveCount(0);
});

test('on a phone the list is cards, and a card opens the customer', async ({ page, request, baseURL }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openList(page);
  const cards = page.getByTestId('customer-cards').locator('li');
  await expect(cards.first()).toBeVisible();
  await expect(page.getByTestId('customer-count')).toHaveText(await firstPageCount(request, baseURL!));
  await expect(page.getByTestId('customer-table')).toBeHidden();
  const pageFits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  expect(pageFits, 'the page scrolls sideways').toBe(true);
  const id = await cards.first().getAttribute('data-customer-card');
  await cards.first().getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/dashboard/customers/${id}`));
});
