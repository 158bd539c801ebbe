import type { Locator, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { logIn } from './helpers';

// One clock: a merchant in Los Angeles reads every date and time on the customer list and on a
// customer's page in one format, in their own time zone, the zone named in the tooltip; no
// timestamp in another format, and no UTC, shows anywhere else on the page. Reads only.

const ZONE = 'America/Los_Angeles';
test.use({ locale: 'en-US', timezoneId: ZONE });

// "Dec 7, 2026" (a day), or "Dec 7, 2026, 3:05 PM".
const LOCAL = /^[A-Z][a-z]{2} \d{1,2}, \d{4}(, \d{1,2}:\d{2} [AP]M)?$/;
// "Dec 7, 2026, 3:05:12 PM PST (2026-12-07 23:05 UTC)".
const TOOLTIP = /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2} [AP]M P[SD]T \(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\)$/;
const ISO_DATE = /\b\d{4}-\d{2}-\d{2}\b/;

// Intl may put a narrow no-break space before AM/PM; a reader sees a space.
const spaced = (text: string) => text.replace(/\s+/g, ' ').trim();

// What Node's own Intl writes for a reader in Los Angeles.
function pacific(at: Date, options: Intl.DateTimeFormatOptions): string {
  return spaced(new Intl.DateTimeFormat('en-US', { ...options, timeZone: ZONE }).format(at));
}

function utcMinute(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

type Shown = { text: string; title: string; datetime: string };

async function shownTimes(page: Page): Promise<Shown[]> {
  return page.locator('body time').evaluateAll((elements) =>
    elements.map((e) => ({
      text: e.textContent ?? '',
      title: e.getAttribute('title') ?? '',
      datetime: e.getAttribute('datetime') ?? '',
    })),
  );
}

// The page's visible text outside <time> elements.
async function textOutsideTimes(page: Page): Promise<string> {
  return page.locator('body').evaluate((body) => {
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    const parts: string[] = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || parent.closest('time, script, style, template')) continue;
      if (!parent.checkVisibility()) continue;
      parts.push(node.textContent ?? '');
    }
    return parts.join(' ');
  });
}

async function settled(page: Page) {
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByText(/^Loading/)).toHaveCount(0);
}

// Every <time> on the page reads in Los Angeles time in the one format, with the zone in its
// tooltip; nothing outside them looks like a timestamp or says UTC.
async function expectOneClock(page: Page, where: string) {
  // The server renders UTC; the browser rewrites each time once it runs: wait for that.
  await expect
    .poll(
      async () =>
        (await shownTimes(page))
          .filter((t) => !LOCAL.test(spaced(t.text)) || !TOOLTIP.test(spaced(t.title)))
          .map((t) => `${spaced(t.text)} | ${spaced(t.title)}`),
      { message: `${where}: dates not in the reader's format, or without the Pacific zone in the tooltip` },
    )
    .toEqual([]);
  for (const t of await shownTimes(page)) {
    const at = new Date(t.datetime);
    expect(Number.isNaN(at.getTime()), `${where}: datetime ${t.datetime}`).toBe(false);
    const text = spaced(t.text);
    const withTime = text.includes(':');
    const expected = pacific(at, withTime ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' });
    expect(text, `${where}: ${t.datetime} in Los Angeles time`).toBe(expected);
    const full = pacific(at, { dateStyle: 'medium', timeStyle: 'long' });
    expect(spaced(t.title), `${where}: the tooltip of ${t.datetime}`).toBe(`${full} (${utcMinute(at)})`);
  }
  const outside = await textOutsideTimes(page);
  expect(outside.match(ISO_DATE)?.[0], `${where}: a date outside the date component`).toBeUndefined();
  expect(outside.match(/\bUTC\b/)?.[0], `${where}: UTC outside the date component`).toBeUndefined();
}

async function openTab(page: Page, base: string, tab: string, shows: (page: Page) => Locator) {
  await page.goto(base + tab);
  await settled(page);
  await expect(shows(page).first(), `${tab}: a date to read`).toBeVisible();
}

test('the customer list and a customer page read in the reader’s time zone, in one format', async ({ page }) => {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await settled(page);
  const table = page.getByTestId('customer-table');
  await expect(table.getByRole('columnheader', { name: 'Created', exact: true })).toBeVisible();
  await expect(table.locator('tbody time').first()).toBeVisible();
  await expectOneClock(page, 'customer list');

  // A demo customer with an active subscription: with orders, a subscription and items.
  await page.goto('/dashboard/customers?status=active');
  await settled(page);
  await table.locator('tbody tr').first().click();
  await expect(page.getByTestId('customer-header')).toBeVisible();
  const base = new URL(page.url()).pathname;

  await openTab(page, base, '/products', (p) => p.getByTestId('last-action').locator('time'));
  const product = page.getByTestId('product').first();
  await product.getByRole('button', { name: 'Details', exact: true }).click();
  await expect(product.getByRole('button', { name: 'Hide details' })).toBeVisible();
  await settled(page);
  await expectOneClock(page, 'products');

  await openTab(page, base, '/orders', (p) => p.locator('tbody[data-order-id] time'));
  const order = page.locator('tbody[data-order-id]').first();
  await order.getByRole('button', { name: 'Details' }).click();
  await expect(order.getByRole('button', { name: 'Hide', exact: true })).toBeVisible();
  await settled(page);
  await expectOneClock(page, 'orders');

  await openTab(page, base, '/subscriptions', (p) => p.locator('[data-subscription-id] time'));
  const subscription = page.locator('[data-subscription-id]').first();
  await subscription.getByRole('button', { name: 'Billing history' }).click();
  await expect(subscription.getByRole('button', { name: 'Hide billing history' })).toBeVisible();
  await settled(page);
  await expectOneClock(page, 'subscriptions');

  await openTab(page, base, '/inventory', (p) => p.locator('[data-entitlement-id] time'));
  await expectOneClock(page, 'inventory');
  await page.locator('[data-entitlement-id]').first().getByRole('button', { name: 'Info' }).click();
  const info = page.getByRole('dialog');
  await expect(info.getByText('Granted', { exact: true })).toBeVisible();
  await expectOneClock(page, 'an item’s info');
  await page.keyboard.press('Escape');
  await expect(info).toBeHidden();
});
