import { test, expect } from './fixtures';
import { axeViolations, logInAndOpen } from './helpers';

// Settings → System, the owner's view of the server: its release and database, how each
// background job is doing (the demo's server runs them all), and each queue's wait.

test('an owner reads the release, the database and how every background job is doing', async ({ page }) => {
  await logInAndOpen(page, '/dashboard/settings');
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'System' }).click();
  const section = page.getByRole('region', { name: 'System' });
  await expect(section).toBeVisible();
  await expect(section.getByText(/^Patron \d+\.\d+\.\d+$/)).toBeVisible();
  await expect(section.getByText('SQLite (embedded)')).toBeVisible();
  await expect(section.getByText(/\(up to date\)$/)).toBeVisible();

  const jobs = section.getByTestId('system-jobs');
  // The webhook job runs every second: by now it has run, and works.
  const webhooks = jobs.getByRole('row', { name: /^Webhook deliveries/ });
  await expect(webhooks.getByText('Working')).toBeVisible();
  await expect(webhooks.locator('time').first()).toHaveAttribute('datetime', /^\d{4}-\d{2}-\d{2}T/);
  for (const job of ['Renewals, retries and expiries', 'Emails', 'Bulk actions']) {
    await expect(jobs.getByRole('rowheader', { name: job })).toBeVisible();
  }
  // No job of the demo fails, so no warning.
  await expect(section.getByRole('alert')).toHaveCount(0);

  const queues = section.getByTestId('system-queues');
  await expect(queues.getByRole('rowheader', { name: 'Webhook deliveries' })).toBeVisible();
  await expect(queues.getByRole('columnheader', { name: 'Oldest due item has waited' })).toBeVisible();

  expect(await axeViolations(page), 'the settings page with System').toEqual([]);
});
