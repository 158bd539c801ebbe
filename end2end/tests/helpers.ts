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
