import { test, expect } from './fixtures';
import { logInAndOpen } from './helpers';
import { checkView } from './layout';

// A customer's page in the dashboard on a phone (390 x 844) and on a laptop (1,280 x 800):
// the page never scrolls sideways (a wide data table scrolls inside its own frame), the
// header's parts never cover each other, every control is big enough for a finger on the
// phone, and axe finds nothing. The phone views are kept as
// screenshots (test-results/customer-phone-…/phone-customer-*.png). The demo data as seeded:
// the pages are only read.

for (const [size, viewport] of [['phone', { width: 390, height: 844 }], ['laptop', { width: 1280, height: 800 }]] as const) {
  test.describe(`on a ${size}`, () => {
    test.use({ viewport });

    test(`a customer's page fits a ${size}: header, overview and orders`, async ({ page }, testInfo) => {
      const phone = size === 'phone';
      await logInAndOpen(page, '/dashboard/customers');
      const href = await page.getByTestId('customer-cards').locator('a').first().getAttribute('href');
      expect(href).toMatch(/^\/dashboard\/customers\/cus_/);
      await page.goto(href!);
      await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
      await expect(page.getByTestId('customer-header')).toBeVisible();
      await checkView(page, page.mainFrame(), `${size}-customer-overview`, phone, testInfo, true);

      await page.getByRole('navigation', { name: 'Customer' }).getByRole('link', { name: 'Orders' }).click();
      await expect(page).toHaveURL(/\/orders$/);
      await expect(page.locator('tbody[data-order-id]').first()).toBeVisible();
      await checkView(page, page.mainFrame(), `${size}-customer-orders`, phone, testInfo, true);
    });
  });
}
