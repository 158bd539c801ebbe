import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { logIn } from './helpers';

// axe-core (WCAG 2.1 A and AA rules) on every page a merchant reaches today, and on the
// dialogs they open: none may have a violation.

async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

async function settled(page: Page) {
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByText(/^Loading/)).toHaveCount(0);
}

test('the login page has no accessibility violation', async ({ page }) => {
  await page.goto('/login');
  await settled(page);
  expect(await violations(page)).toEqual([]);
});

test('the customer list and every tab of a customer page have none', async ({ page }) => {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await settled(page);
  expect(await violations(page), 'customer list').toEqual([]);

  // The demo's first customer: with orders, a subscription and items.
  await page.locator('tbody tr').first().click();
  await expect(page.getByTestId('customer-header')).toBeVisible();
  const base = new URL(page.url()).pathname;
  for (const tab of ['', '/products', '/orders', '/subscriptions', '/inventory', '/payment-details', '/metadata', '/activity']) {
    await page.goto(base + tab);
    await settled(page);
    expect(await violations(page), `customer page ${tab || '/'}`).toEqual([]);
  }
});

test('the customer page dialogs have none', async ({ page }) => {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await settled(page);
  await page.locator('tbody tr').first().click();
  await expect(page.getByTestId('customer-header')).toBeVisible();
  // "Edit customer" is a button of the header; "Ban" is in its Actions menu, checked open too.
  const openers: [string, () => Promise<void>][] = [
    ['Edit customer', () => page.getByRole('button', { name: 'Edit customer', exact: true }).click()],
    [
      'Ban',
      async () => {
        await page.getByRole('button', { name: 'Actions', exact: true }).click();
        await expect(page.getByRole('menu', { name: 'Actions' })).toBeVisible();
        expect(await violations(page), 'Actions menu').toEqual([]);
        await page.getByRole('menuitem', { name: 'Ban', exact: true }).click();
      },
    ],
  ];
  for (const [name, open] of openers) {
    await open();
    await expect(page.getByRole('dialog')).toBeVisible();
    expect(await violations(page), `${name} dialog`).toEqual([]);
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toBeHidden();
  }
});
