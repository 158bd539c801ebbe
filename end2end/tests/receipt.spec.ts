import { readFileSync } from 'node:fs';
import type { APIRequestContext } from '@playwright/test';
import { test, expect } from './fixtures';
import { axeViolations, logInAndOpen } from './helpers';

// A receipt a customer can hand to an accountant: the merchant sets what receipts say about
// the seller in Settings → Receipts; the customer's receipt shows its number, the seller's legal
// name, address and tax ID, where to write, and the payment's time in the reader's own zone,
// which the downloaded PDF gives in the very same words. The reader sits in Los Angeles.

test.use({ timezoneId: 'America/Los_Angeles', locale: 'en-US' });

const headers = () => ({ Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` });
const api = (baseURL: string, path: string) => `${baseURL}/api/v1${path}`;

const SELLER = {
  legalName: 'Northwind Games Ltd',
  address: ['1 Harbour Street', 'Bristol BS1 4AA', 'United Kingdom'],
  taxId: 'GB 123 4567 89',
  support: 'help@northwind.example',
};

/** Text as a person reads it: each run of spaces one space, the narrow no-break space Chromium
 *  writes before AM and PM included. */
const normalised = (text: string) => text.replace(/[\s\u202f]+/g, ' ').trim();

/** The demo workspace's settings, as the API gives them. */
async function settings(request: APIRequestContext, baseURL: string) {
  const res = await request.get(api(baseURL, '/workspace'), { headers: headers() });
  expect(res.status()).toBe(200);
  return res.json();
}

/** A new customer buys the demo's Starter Kit: the checkout. */
async function buyKit(request: APIRequestContext, baseURL: string) {
  const products = await (await request.get(api(baseURL, '/products'), { headers: headers() })).json();
  const kit = (Array.isArray(products) ? products : products.data).find((p: { name: string }) => p.name === 'Starter Kit');
  const bought = await request.post(api(baseURL, '/checkouts'), {
    headers: headers(),
    data: {
      customer: { email: `receipt-${Date.now()}@example.com`, name: 'Rhea Receipt' },
      product_id: kit.id,
      payment_method: { type: 'card', number: '4242424242424242' },
    },
  });
  expect(bought.status()).toBe(201);
  return bought.json();
}

test('a support email that is no address is refused in words, and nothing is saved', async ({ page, request, baseURL, consoleErrors }) => {
  const before = await settings(request, baseURL!);
  await logInAndOpen(page, '/dashboard/settings');
  const section = page.locator('#receipts');
  await expect(section.getByRole('heading', { name: 'Receipts' })).toBeVisible();
  await section.getByLabel('Legal name').fill('Someone Else Ltd');
  await section.getByLabel('Support email').fill('not-an-email');
  await section.getByRole('button', { name: 'Update receipt details' }).click();
  const alert = section.getByRole('alert');
  await expect(alert).toHaveText('Enter the support email as an address such as help@shop.example.');
  await expect(alert).not.toContainText('support_email');
  expect(consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  consoleErrors.length = 0;
  const after = await settings(request, baseURL!);
  expect(after.legal_name).toBe(before.legal_name);
  expect(after.support_email).toBe(before.support_email);
});

test('the seller set in Settings is on the receipt, and its PDF gives the time the page shows', async ({ page, request, baseURL }, testInfo) => {
  test.setTimeout(60_000);
  // The merchant fills Settings → Receipts.
  await logInAndOpen(page, '/dashboard/settings');
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Receipts' }).click();
  const section = page.locator('#receipts');
  await section.getByLabel('Legal name').fill(SELLER.legalName);
  await section.getByLabel('Business address').fill(SELLER.address.join('\n'));
  await section.getByLabel('Tax ID').fill(SELLER.taxId);
  await section.getByLabel('Support email').fill(SELLER.support);
  await section.getByRole('button', { name: 'Update receipt details' }).click();
  await expect(section.getByRole('status')).toHaveText('Receipt details saved.');
  expect(await axeViolations(page), 'settings page').toEqual([]);
  const saved = await settings(request, baseURL!);
  expect(saved.legal_name).toBe(SELLER.legalName);
  expect(saved.legal_address).toBe(SELLER.address.join('\n'));
  expect(saved.tax_id).toBe(SELLER.taxId);
  expect(saved.support_email).toBe(SELLER.support);

  // A customer buys, and opens the receipt from their portal.
  const bought = await buyKit(request, baseURL!);
  const minted = await request.post(api(baseURL!, '/customer_sessions'), { headers: headers(), data: { customer_id: bought.customer.id } });
  expect(minted.status()).toBe(201);
  await page.goto((await minted.json()).url);
  await expect(page).toHaveURL(/\/portal$/);
  await page.goto(`/portal/orders/${bought.order.id}`);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();

  const heading = page.getByTestId('receipt-heading');
  await expect(heading).toHaveText(/^Receipt R-\d{5,}$/);
  const number = (await heading.innerText()).replace('Receipt ', '');
  const seller = page.getByTestId('receipt-seller');
  await expect(seller).toContainText(SELLER.legalName);
  for (const line of SELLER.address) await expect(seller).toContainText(line);
  await expect(seller).toContainText(`Tax ID: ${SELLER.taxId}`);
  await expect(page.getByTestId('receipt-support')).toHaveText(`Questions about this purchase? Write to ${SELLER.support}.`);

  // The time in the reader's zone, the zone named: "Dec 7, 2026, 6:30 AM PST".
  const dateText = async () => normalised(await page.getByTestId('receipt-date').innerText());
  await expect.poll(dateText, { message: 'the time in Los Angeles' }).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M P[SD]T$/);
  const date = await dateText();

  // The PDF asks for that zone, and gives that very text.
  const link = page.getByRole('link', { name: 'Download PDF' });
  await expect(link).toHaveAttribute('href', /\/receipt\.pdf\?offset=-4[28]0&zone=P[SD]T$/);
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const pdf = readFileSync((await download.path())!).toString('latin1');
  expect(pdf.startsWith('%PDF-')).toBe(true);
  expect(pdf).toContain(date);
  expect(pdf).toContain(`Receipt ${number}`);
  expect(pdf).toContain(SELLER.legalName);
  expect(pdf).toContain(`Tax ID: ${SELLER.taxId}`);
  expect(pdf).toContain(`Write to ${SELLER.support}.`);
  expect(await axeViolations(page), 'receipt page').toEqual([]);

  // On a phone nothing scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(heading).toBeVisible();
  const sideways = await page.evaluate(() => {
    const root = document.scrollingElement!;
    return root.scrollWidth > root.clientWidth ? `${root.scrollWidth} px wide in ${root.clientWidth} px` : null;
  });
  expect(sideways, 'the receipt scrolls sideways').toBeNull();
  await page.screenshot({ path: testInfo.outputPath('phone-receipt.png'), fullPage: true });
});
