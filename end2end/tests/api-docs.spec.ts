import { test, expect } from './fixtures';
import { axeViolations, logInAndOpen } from './helpers';

// The API reference a merchant's developer reads: served by Patron itself at /api/docs, linked
// from the API keys settings, rendered in the browser from the live OpenAPI document with curl
// and SDK samples, and loading nothing from anywhere else (it works offline and under the
// page's Content-Security-Policy; any refused script or style would be a console error).

test('the API reference opens from the API keys settings and needs nothing from another origin', async ({ page, baseURL }) => {
  // axe reads the whole reference: every operation and schema of the API, a large page.
  test.setTimeout(180_000);
  const elsewhere: string[] = [];
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(baseURL!) && !url.startsWith('data:') && !url.startsWith('blob:')) elsewhere.push(url);
  });

  await logInAndOpen(page, '/dashboard/settings');
  const link = page.locator('#api-keys').getByRole('link', { name: 'API reference' });
  await expect(link).toHaveAttribute('href', '/api/docs');
  await page.goto('/api/docs');

  // Redoc has read the document: the API's title, a tag, an operation and its samples.
  await expect(page.getByRole('heading', { name: /Patron/, level: 1 })).toBeVisible({ timeout: 20_000 });
  const listCustomers = page.getByRole('heading', { name: 'List customers', level: 2 });
  await expect(listCustomers).toBeVisible();
  await expect(page.getByText('curl "$PATRON/api/v1/customers?q=mar&limit=50"').first()).toBeVisible();
  const sdk = page.getByRole('tab', { name: 'SDK', exact: true }).first();
  await sdk.click();
  await expect(page.getByText('new Patron(', { exact: false }).first()).toBeVisible();

  const res = await page.request.get('/api/docs');
  expect(res.headers()['content-security-policy']).toContain("script-src 'self'");
  expect(res.headers()['content-security-policy']).toContain("frame-ancestors 'none'");

  expect(elsewhere, 'requests that left Patron').toEqual([]);
  expect(await axeViolations(page), 'the API reference').toEqual([]);
});
