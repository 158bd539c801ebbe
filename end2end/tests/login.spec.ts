import { test, expect } from './fixtures';
import { DEMO_EMAIL, logIn } from './helpers';

test('a wrong password shows an error and stays on the login page', async ({
  page,
  consoleErrors,
}) => {
  await logIn(page, DEMO_EMAIL, 'not the password');
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');
  await expect(page).toHaveURL(/\/login$/);
  // The refused login answers 400, which Chromium reports on the console: that one is expected.
  expect(consoleErrors).toEqual([
    'Failed to load resource: the server responded with a status of 400 (Bad Request)',
  ]);
  consoleErrors.length = 0;
});

test('the demo login opens the dashboard, and logging out closes it', async ({ page }) => {
  await page.goto('/dashboard/customers');
  await expect(page).toHaveURL(/\/login$/);

  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await expect(page.getByTestId('workspace-name')).toHaveText('Northwind Games');
  await expect(page.getByTestId('user-email')).toHaveText(DEMO_EMAIL);
  await expect(page.getByRole('cell', { name: 'Ada Lovelace' }).first()).toBeVisible();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/dashboard/customers');
  await expect(page).toHaveURL(/\/login$/);
});
