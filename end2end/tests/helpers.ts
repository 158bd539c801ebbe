import { expect, type Page } from '@playwright/test';

// The demo login printed by `server seed-demo`.
export const DEMO_EMAIL = 'demo@northwind.example';
export const DEMO_PASSWORD = 'northwind-demo';

export async function logIn(page: Page, email = DEMO_EMAIL, password = DEMO_PASSWORD) {
  await page.goto('/login');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

// axe-core's WCAG 2.1 A and AA findings on the page as it is now, one line each.
export async function axeViolations(page: Page): Promise<string[]> {
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

// Signs in as the demo merchant and opens `path` once it is hydrated.
export async function logInAndOpen(page: Page, path: string) {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.goto(path);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
}

// Picks `item` in the customer header's Actions menu.
export async function customerAction(page: Page, item: string) {
  await expect(page.getByTestId('customer-header')).toBeVisible();
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: item, exact: true }).click();
}
