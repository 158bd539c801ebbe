import type { APIRequestContext } from '@playwright/test';
import { startMerchant, type Merchant } from '../merchant/server';
import { test, expect } from './fixtures';
import { axeViolations } from './helpers';
import { checkView, layoutProblems } from './layout';

// The customer portal on a phone (390 x 844, and the embed in a frame 360 px wide) and on a
// laptop (1,280 x 800): nothing scrolls sideways, the header's parts never cover each other,
// every control is big enough for a finger on the phone, and a dialog opened inside the embed
// shows in the merchant page's view however far that page is scrolled. Each phone view is
// saved as a full-page screenshot in the test's output folder (test-results/portal-phone-…/).

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };

const key = () => process.env.PATRON_E2E_DEMO_KEY!;
const headers = () => ({ Authorization: `Bearer ${key()}` });

async function productId(request: APIRequestContext, baseURL: string, name: string): Promise<string> {
  const products = await (await request.get(`${baseURL}/api/v1/products`, { headers: headers() })).json();
  return (Array.isArray(products) ? products : products.data).find((p: { name: string }) => p.name === name).id;
}

/** Ada, with an address long enough to be cut short on a phone, a VIP Rank subscription and a
 *  Starter Kit (a licence key and a file): every section of the portal has something in it. */
async function ada(request: APIRequestContext, baseURL: string): Promise<string> {
  const card = { type: 'card', number: '4242424242424242' };
  const first = await request.post(`${baseURL}/api/v1/checkouts`, {
    headers: headers(),
    data: {
      customer: { email: `ada.lovelace.${Date.now()}@analytical-engine.example`, name: 'Ada Lovelace' },
      product_id: await productId(request, baseURL, 'VIP Rank'),
      payment_method: card,
    },
  });
  expect(first.status()).toBe(201);
  const customer = (await first.json()).customer.id as string;
  const second = await request.post(`${baseURL}/api/v1/checkouts`, {
    headers: headers(),
    data: { customer_id: customer, product_id: await productId(request, baseURL, 'Starter Kit'), payment_method: card },
  });
  expect(second.status()).toBe(201);
  return customer;
}

for (const [size, viewport] of [['phone', PHONE], ['laptop', LAPTOP]] as const) {
  test.describe(`on a ${size}`, () => {
    test.use({ viewport });

    test(`the hosted portal fits a ${size}: overview, subscription, items, billing history, cancel, receipt`, async ({ page, request, baseURL }, testInfo) => {
      test.setTimeout(60_000);
      const phone = size === 'phone';
      const customer = await ada(request, baseURL!);
      // On the phone the shop's link back adds a fourth action. On the laptop the three
      // actions of a customer who came from a receipt sit beside the heading, as they always did.
      const minted = await request.post(`${baseURL}/api/v1/customer_sessions`, {
        headers: headers(),
        data: phone ? { customer_id: customer, return_url: 'https://northwind.example/account' } : { customer_id: customer },
      });
      expect(minted.status()).toBe(201);
      await page.goto((await minted.json()).url);
      await expect(page).toHaveURL(/\/portal$/);
      await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
      await expect(page.getByTestId('portal-customer')).toHaveText(/^Signed in as Ada Lovelace \(ada\.lovelace\.\d+@analytical-engine\.example\)$/);
      await expect(page.getByRole('heading', { name: 'Your purchases', level: 1 })).toBeVisible();

      const header = page.locator('main header');
      const [identity, actions] = [header.locator(':scope > div').nth(0), header.locator(':scope > div').nth(1)];
      const [who, doing] = [(await identity.boundingBox())!, (await actions.boundingBox())!];
      if (phone) {
        // Stacked: who is signed in, then the actions under it.
        expect(doing.y).toBeGreaterThanOrEqual(who.y + who.height);
      } else {
        // As before: the actions beside the heading, on its right.
        expect(doing.x).toBeGreaterThanOrEqual(who.x + who.width - 1);
        expect(doing.y).toBeLessThan(who.y + who.height);
        const date = page.getByRole('columnheader', { name: 'Date' });
        expect((await date.boundingBox())!.height, 'the orders are a table with its heads').toBeGreaterThan(16);
      }

      // Items: the licence key shown in full still fits its card; the billing history open.
      const kit = page.locator('[data-item-id]').filter({ hasText: 'Licence key' });
      await kit.getByRole('button', { name: 'Show key' }).click();
      await expect(kit.getByTestId('license-key')).toHaveText(/^NWG(-[A-Z0-9]{5}){4}$/);
      const card = page.locator('[data-subscription-id]');
      await card.getByText('Billing history (1)').click();
      await expect(card.getByTestId('billing-history').getByRole('link', { name: 'Receipt' })).toBeVisible();
      await checkView(page, page.mainFrame(), `${size}-overview`, phone, testInfo);

      // Cancel at period end: the dialog fits, and afterwards the card says once what happens.
      await expect(card.getByTestId('subscription-card')).toHaveText(/Renews with Visa •••• 4242/);
      await card.getByRole('button', { name: 'Cancel subscription' }).click();
      const dialog = page.getByRole('dialog', { name: 'Cancel VIP Rank?' });
      await expect(dialog).toBeVisible();
      await expect(dialog).toBeInViewport({ ratio: 1 });
      expect(await page.evaluate(layoutProblems, { touch: phone }), 'the cancel dialog').toEqual([]);
      expect(await axeViolations(page), 'the cancel dialog').toEqual([]);
      await dialog.getByLabel('Why are you canceling?').selectOption({ label: "I don't use it enough" });
      await dialog.getByRole('button', { name: 'Cancel at period end' }).click();
      await expect(dialog).toBeHidden();
      await expect(card.getByTestId('subscription-next')).toHaveText(/^Ends on .+\. It will not renew\.$/);
      await expect(card.getByTestId('subscription-card')).toHaveCount(0);
      await expect(card).not.toContainText('Renews');
      expect((await card.innerText()).match(/will not renew/gi), 'said once').toHaveLength(1);
      await expect(card.getByRole('button', { name: 'Keep my subscription' })).toBeVisible();
      if (phone) await page.screenshot({ path: testInfo.outputPath(`${size}-subscription-ending.png`), fullPage: true });

      // A receipt: its long order id wraps inside the card.
      await page.locator('[data-order-id]').filter({ hasText: 'Starter Kit' }).getByRole('link', { name: 'Receipt' }).click();
      await expect(page).toHaveURL(/\/portal\/orders\/ord_/);
      await expect(page.getByTestId('receipt-amount')).toHaveText('14.99 EUR');
      await expect(page.getByTestId('receipt')).toContainText('Ada Lovelace');
      await checkView(page, page.mainFrame(), `${size}-receipt`, phone, testInfo);
    });
  });
}

test.describe('embedded on a phone', () => {
  test.use({ viewport: PHONE });

  let merchant: Merchant;
  test.beforeAll(async () => {
    const patron = process.env.PATRON_BASE_URL!;
    const ws = await (await fetch(`${patron}/api/v1/workspace`, { headers: headers() })).json();
    merchant = await startMerchant(patron, ws.slug, key());
  });
  test.afterAll(async () => {
    await merchant?.close();
  });

  test('the portal in a 360 px frame fits, and a dialog opens in view of the scrolled page', async ({ page, request, baseURL }, testInfo) => {
    test.setTimeout(60_000);
    const allowed = await request.patch(`${baseURL}/api/v1/workspace`, { headers: headers(), data: { embed_origins: [merchant.origin] } });
    expect(allowed.status(), await allowed.text()).toBe(200);
    merchant.customerId = await ada(request, baseURL!);

    await page.goto(`${merchant.origin}/`);
    // The shop's column leaves the portal 360 px.
    await page.addStyleTag({ content: 'body { padding: 1rem 15px } #purchases { width: 360px }' });
    const iframe = page.locator('#purchases iframe');
    const frame = page.frameLocator('#purchases iframe');
    await expect(frame.getByTestId('portal-customer')).toContainText('Ada Lovelace');
    expect(await iframe.evaluate((f) => f.getBoundingClientRect().width)).toBe(360);
    const inside = page.frames().find((f) => f.url().includes('/embed/'))!;
    // The frame is as tall as the portal: it never scrolls inside, the page does.
    const contentHeight = () => inside.evaluate(() => Math.ceil(document.getElementById('patron-embed')!.getBoundingClientRect().height));
    const frameHeight = () => iframe.evaluate((f) => f.getBoundingClientRect().height);
    await expect.poll(async () => Math.abs((await frameHeight()) - (await contentHeight()))).toBeLessThanOrEqual(1);
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth <= document.scrollingElement!.clientWidth), 'the shop page scrolls sideways').toBe(true);
    await checkView(page, inside, 'embed-overview', true, testInfo);

    // A footer's worth of page below the portal, and the page scrolled until "Cancel
    // subscription" is at the top of the view: the frame's top, where its dialog opens, is
    // above the view.
    const footer = await page.addStyleTag({ content: 'body { padding-bottom: 100vh }' });
    const cancel = frame.getByRole('button', { name: 'Cancel subscription' });
    const below = await cancel.evaluate((b) => b.getBoundingClientRect().top);
    const frameTop = () => iframe.evaluate((f) => f.getBoundingClientRect().top);
    await page.evaluate((by) => window.scrollBy(0, by), (await frameTop()) + below - 8);
    expect(await frameTop()).toBeLessThan(-100);
    await cancel.click();
    const dialog = frame.getByRole('dialog', { name: 'Cancel VIP Rank?' });
    await expect(dialog).toBeVisible();
    await expect
      .poll(async () => {
        const box = await dialog.boundingBox();
        return box !== null && box.y >= 0 && box.y + box.height <= PHONE.height;
      }, { message: 'the dialog is within the view' })
      .toBe(true);
    expect(await inside.evaluate(layoutProblems, { touch: true }), 'the dialog in the embed').toEqual([]);
    expect(await axeViolations(page), 'the dialog in the embed').toEqual([]);
    await page.screenshot({ path: testInfo.outputPath('embed-dialog.png') });
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await expect(dialog).toBeHidden();
    await expect(frame.locator('[data-subscription-id]').getByTestId('subscription-card')).toHaveText(/Renews with Visa •••• 4242/);

    // A receipt inside the frame.
    await frame.locator('[data-order-id]').filter({ hasText: 'Starter Kit' }).getByRole('link', { name: 'Receipt' }).click();
    await expect(frame.getByTestId('receipt')).toContainText('Ada Lovelace');
    await footer.evaluate((style) => (style as Element).remove());
    await checkView(page, inside, 'embed-receipt', true, testInfo);
  });
});
