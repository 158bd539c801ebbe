import { test, expect } from './fixtures';
import { logIn } from './helpers';

// The customer list fits a laptop: at 1,280 px every default column shows without a horizontal
// scroll; the column picker adds the external id and is remembered; on a phone the list is cards.

const DEFAULT_COLUMNS = ['Customer', 'Country', 'Lifetime value', 'Orders', 'Last order', 'Subscription', 'Created'];

async function openList(page: import('@playwright/test').Page) {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
}

test('at 1,280 px the list shows every default column without scrolling sideways', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openList(page);
  const table = page.getByTestId('customer-table');
  await expect(table.locator('tbody tr').first()).toBeVisible();
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

test('on a phone the list is cards, and a card opens the customer', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openList(page);
  const cards = page.getByTestId('customer-cards').locator('li');
  await expect(cards.first()).toBeVisible();
  await expect(page.getByTestId('customer-table')).toBeHidden();
  const pageFits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  expect(pageFits, 'the page scrolls sideways').toBe(true);
  const id = await cards.first().getAttribute('data-customer-card');
  await cards.first().getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/dashboard/customers/${id}`));
});
