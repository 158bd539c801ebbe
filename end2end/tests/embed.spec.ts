import { gzipSync } from 'node:zlib';
import AxeBuilder from '@axe-core/playwright';
import type { APIRequestContext, Frame, Page } from '@playwright/test';
import { startMerchant, type Merchant } from '../merchant/server';
import { test, expect } from './fixtures';
import { logIn } from './helpers';

// The portal inside a merchant's own page. The merchant's site is another site: another host
// name (localhost, where Patron is 127.0.0.1) and port on loopback. Chromium's fresh contexts
// block third-party cookies (as its incognito windows, Safari and Firefox do); the first
// journey checks that they are blocked in the frame, which lives on its session header.

// The demo shop's portal address, read from the API in beforeAll.
let SHOP = '';
const key = () => process.env.PATRON_E2E_DEMO_KEY!;
const headers = () => ({ Authorization: `Bearer ${key()}` });

let allowed: Merchant;
let stranger: Merchant;

async function setOrigins(request: APIRequestContext, baseURL: string, origins: string[]) {
  const res = await request.patch(`${baseURL}/api/v1/workspace`, { headers: headers(), data: { embed_origins: origins } });
  expect(res.status(), await res.text()).toBe(200);
}

/** A new customer of the demo shop with a VIP Rank subscription: its customer and subscription ids. */
async function subscriber(request: APIRequestContext, baseURL: string, name: string) {
  const products = await (await request.get(`${baseURL}/api/v1/products`, { headers: headers() })).json();
  const vip = (Array.isArray(products) ? products : products.data).find((p: { name: string }) => p.name === 'VIP Rank');
  const bought = await request.post(`${baseURL}/api/v1/checkouts`, {
    headers: headers(),
    data: {
      customer: { email: `embed-${Date.now()}@example.com`, name },
      product_id: vip.id,
      payment_method: { type: 'card', number: '4242424242424242' },
    },
  });
  expect(bought.status()).toBe(201);
  const body = await bought.json();
  return { customer: body.customer.id as string, subscription: body.subscription.id as string };
}

/** Records, from before the page's own scripts run, the type of every message the top page
 *  receives (the frames' `patron:*` messages, and the probes below). */
async function recordMessages(page: Page) {
  await page.addInitScript(() => {
    if (window !== window.top) return;
    (window as any).received = [];
    window.addEventListener('message', (e) => (window as any).received.push(e.data?.type));
  });
}
const received = (page: Page) => page.evaluate(() => (window as any).received as string[]);

function portalFrame(page: Page): Frame {
  const frame = page.frames().find((f) => f.url().includes('/embed/'));
  if (!frame) throw new Error(`no portal frame among ${page.frames().map((f) => f.url())}`);
  return frame;
}

test.beforeAll(async () => {
  const patron = process.env.PATRON_BASE_URL!;
  const ws = await (await fetch(`${patron}/api/v1/workspace`, { headers: headers() })).json();
  SHOP = ws.slug;
  allowed = await startMerchant(patron, SHOP, key());
  stranger = await startMerchant(patron, SHOP, key());
});

test.afterAll(async () => {
  await allowed?.close();
  await stranger?.close();
});

test('a shop page embeds the portal: the customer cancels inside the frame, the page hears it, the frame fits its content', async ({ page, request, baseURL }) => {
  await setOrigins(request, baseURL!, [allowed.origin]);
  const ann = await subscriber(request, baseURL!, 'Ann Embed');
  allowed.customerId = ann.customer;

  await page.goto(`${allowed.origin}/`);
  const iframe = page.locator('#purchases iframe');
  const frame = page.frameLocator('#purchases iframe');
  await expect(frame.getByTestId('portal-customer')).toContainText('Ann Embed');
  await expect.poll(() => page.evaluate(() => (window as any).patronEvents.map((e: any) => e.type))).toContain('patron:ready');
  const inside = portalFrame(page);
  // Third-party cookies are blocked in this browser: the frame has no cookie access at all.
  expect(await inside.evaluate(() => document.hasStorageAccess())).toBe(false);
  // The token left the frame's address as soon as it was read; no chrome of the hosted portal.
  expect(inside.url()).toBe(`${baseURL}/embed/${SHOP}`);
  expect(allowed.minted).toHaveLength(1);
  await expect(frame.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  await expect(frame.getByTestId('portal-shop')).toHaveText('Northwind Games');
  const a11y = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(a11y.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  // The frame is as tall as its content, and follows it when the content grows.
  const contentHeight = () => inside.evaluate(() => Math.ceil(document.getElementById('patron-embed')!.getBoundingClientRect().height));
  const frameHeight = () => iframe.evaluate((f) => (f as HTMLIFrameElement).getBoundingClientRect().height);
  await expect.poll(async () => Math.abs((await frameHeight()) - (await contentHeight()))).toBeLessThanOrEqual(1);
  const before = await frameHeight();
  await frame.getByTestId('billing-history').locator('summary').click();
  await expect.poll(frameHeight).toBeGreaterThan(before);
  await expect.poll(async () => Math.abs((await frameHeight()) - (await contentHeight()))).toBeLessThanOrEqual(1);

  // Cancel at period end inside the frame; the page hears which subscription.
  const card = frame.locator(`[data-subscription-id="${ann.subscription}"]`);
  await card.getByRole('button', { name: 'Cancel subscription' }).click();
  const dialog = frame.getByRole('dialog', { name: 'Cancel VIP Rank?' });
  await dialog.getByLabel('Why are you canceling?').selectOption({ label: "I don't use it enough" });
  await dialog.getByRole('button', { name: 'Cancel at period end' }).click();
  await expect(card.getByTestId('subscription-next')).toContainText('It will not renew.');
  await expect(page.getByRole('status')).toHaveText('Saved: subscription.canceled');
  const actions = await page.evaluate(() => (window as any).patronEvents.filter((e: any) => e.type === 'patron:action'));
  expect(actions).toEqual([{ type: 'patron:action', kind: 'subscription.canceled', id: ann.subscription }]);
  const sub = await (await request.get(`${baseURL}/api/v1/subscriptions/${ann.subscription}`, { headers: headers() })).json();
  expect(sub.cancel_at_period_end).toBe(true);

  // A receipt inside the frame, and back.
  await frame.locator('[data-order-id]').getByRole('link', { name: 'Receipt' }).click();
  await expect(frame.getByTestId('receipt')).toContainText('Ann Embed');
  await frame.getByRole('link', { name: 'Back to your purchases' }).click();
  await expect(frame.getByTestId('portal-customer')).toBeVisible();

  // A reload inside the frame asks the page for a fresh token, and the portal comes back.
  await inside.evaluate(() => setTimeout(() => location.reload(), 0));
  await expect(frame.getByTestId('portal-customer')).toContainText('Ann Embed');
  expect(allowed.minted).toHaveLength(2);
});

test('a page the shop does not list cannot frame the portal: the browser refuses and nothing renders', async ({ page, request, baseURL, consoleErrors }) => {
  await setOrigins(request, baseURL!, [allowed.origin]);
  const bo = await subscriber(request, baseURL!, 'Bo Stranger');
  stranger.customerId = bo.customer;
  stranger.mintFor = allowed.origin; // its back end can still mint: for the allowed origin only
  const refused = page.waitForEvent('console', (m) => m.text().includes('frame-ancestors'));
  await page.goto(`${stranger.origin}/`);
  expect((await refused).text()).toContain(`Framing '${baseURL}/' violates the following Content Security Policy directive: "frame-ancestors ${allowed.origin}"`);
  // The browser's error page takes the frame's place. The page's token had come back before the
  // frame was pointed at the portal, and an error page posts nothing: no event can come after.
  await expect.poll(() => page.frames().find((f) => f !== page.mainFrame())?.url()).toBe('chrome-error://chromewebdata/');
  const frame = page.frames().find((f) => f !== page.mainFrame());
  expect(frame?.url()).toBe('chrome-error://chromewebdata/');
  expect(await frame!.locator('#patron-embed').count()).toBe(0);
  expect(await page.evaluate(() => (window as any).patronEvents)).toEqual([]);
  consoleErrors.length = 0;
});

test('a replayed token, a token for another origin and a message from a foreign origin are refused', async ({ page, request, baseURL, consoleErrors }) => {
  await setOrigins(request, baseURL!, [allowed.origin, stranger.origin]);
  const cy = await subscriber(request, baseURL!, 'Cy Replay');

  const onlyRefusals = () => {
    expect(consoleErrors.filter((e) => !e.includes('401 (Unauthorized)'))).toEqual([]);
    consoleErrors.length = 0;
  };

  // A token minted for the other allowed site does not open in this one; the frame asks its
  // page for one more token, is refused again, and stops asking.
  allowed.customerId = cy.customer;
  allowed.mintFor = stranger.origin;
  allowed.minted.length = 0;
  await recordMessages(page);
  await page.goto(`${allowed.origin}/`);
  const frame = page.frameLocator('#purchases iframe');
  await expect(frame.getByTestId('embed-refused')).toBeVisible();
  await expect(frame.getByTestId('portal-customer')).toHaveCount(0);
  // A probe from the refused frame to its page arrives after anything the frame posted before:
  // once the page has it, a third request for a token would have been seen.
  await portalFrame(page).evaluate(() => parent.postMessage({ type: 'e2e:probe' }, '*'));
  await expect.poll(() => received(page)).toContain('e2e:probe');
  expect(await received(page)).toEqual(['patron:token-expired', 'e2e:probe']);
  expect(allowed.minted).toHaveLength(2);
  onlyRefusals();

  // A token already exchanged is refused when the page hands it over again.
  allowed.mintFor = allowed.origin;
  allowed.minted.length = 0;
  await page.goto(`${allowed.origin}/`);
  await expect(frame.getByTestId('portal-customer')).toContainText('Cy Replay');
  allowed.fixedToken = allowed.minted[0];
  await portalFrame(page).evaluate(() => setTimeout(() => location.reload(), 0));
  await expect(frame.getByTestId('embed-refused')).toBeVisible();
  allowed.fixedToken = undefined;
  onlyRefusals();

  // A foreign frame on the page posts a token for someone else: the portal ignores it.
  await page.goto(`${allowed.origin}/`);
  await expect(frame.getByTestId('portal-customer')).toContainText('Cy Replay');
  const dee = await subscriber(request, baseURL!, 'Dee Foreign');
  const minted = await request.post(`${baseURL}/api/v1/customer_sessions`, {
    headers: headers(),
    data: { customer_id: dee.customer, embed_origin: allowed.origin },
  });
  const foreignToken = (await minted.json()).token;
  // The tokens the frame tries to exchange.
  const exchanges: (string | null)[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/rpc/portal/embed_session')) exchanges.push(new URLSearchParams(r.postData() ?? '').get('token'));
  });
  stranger.pages['/ad'] = `<!doctype html><html lang="en"><title>Ad</title><script>
    parent.frames[0].postMessage({ type: 'patron:token', token: ${JSON.stringify(foreignToken)} }, '*');
    document.title = 'posted';
  </script></html>`;
  await page.evaluate((src) => {
    const ad = document.createElement('iframe');
    ad.src = src;
    ad.title = 'Advertisement';
    document.body.appendChild(ad);
  }, `${stranger.origin}/ad`);
  await expect.poll(() => page.frames().find((f) => f.url().endsWith('/ad'))?.title()).toBe('posted');
  // Then the frame's own page hands it a token, as when a session ends: the frame asks, the page
  // mints one and posts it. That message reaches the frame after the ad's; once the frame has
  // exchanged it, it would have tried the foreign token already.
  const mintedBefore = allowed.minted.length;
  const renewed = page.waitForResponse((r) => r.url().endsWith('/rpc/portal/embed_session'));
  await portalFrame(page).evaluate(() => parent.postMessage({ type: 'patron:token-expired' }, '*'));
  await renewed;
  await expect(frame.getByTestId('portal-customer')).toContainText('Cy Replay');
  expect(allowed.minted).toHaveLength(mintedBefore + 1);
  expect(exchanges, 'the frame did not even try the foreign token').toEqual([allowed.minted[mintedBefore]]);
  // The foreign token was never spent: it still opens Dee's portal in her own site's page.
  const opened = await request.post(`${baseURL}/rpc/portal/embed_session`, {
    form: { slug: SHOP, token: foreignToken, origin: allowed.origin },
  });
  expect(opened.status()).toBe(200);
  expect((await opened.json()).origin).toBe(allowed.origin);
});

test('no other page can be framed, even by a listed site: dashboard, hosted portal, login', async ({ page, request, baseURL, consoleErrors }) => {
  await setOrigins(request, baseURL!, [allowed.origin]);
  const paths = ['/login', '/dashboard/customers', '/portal', `/portal/${SHOP}`];
  allowed.pages['/frames'] = `<!doctype html><html lang="en"><title>Frames</title><body>${paths
    .map((p) => `<iframe title="${p}" src="${baseURL}${p}"></iframe>`)
    .join('')}</body></html>`;
  await page.goto(`${allowed.origin}/frames`);
  await expect.poll(() => page.frames().filter((f) => f.url() === 'chrome-error://chromewebdata/').length).toBe(paths.length);
  expect(consoleErrors.filter((e) => e.includes("frame-ancestors 'none'") || e.includes('X-Frame-Options')).length).toBeGreaterThanOrEqual(paths.length);
  consoleErrors.length = 0;
  for (const p of paths) {
    const res = await request.get(`${baseURL}${p}`, { maxRedirects: 0 });
    expect(res.headers()['x-frame-options'], p).toBe('DENY');
    // A page brings its own policy (scripts by nonce); who may frame it is always nobody.
    const framing = (res.headers()['content-security-policy'] ?? '')
      .split(';')
      .map((d) => d.trim())
      .find((d) => d.startsWith('frame-ancestors'));
    expect(framing, p).toBe("frame-ancestors 'none'");
  }
});

test('embed.js is a small script with no framework', async ({ request, baseURL }) => {
  const res = await request.get(`${baseURL}/embed.js`);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toContain('javascript');
  const size = gzipSync(await res.body()).length;
  console.log(`embed.js: ${(await res.body()).length} bytes, ${size} bytes gzipped`);
  expect(size).toBeLessThan(5 * 1024);
});

test('the settings page lists the sites that may embed the portal, naming a bad line', async ({ page, request, baseURL, consoleErrors }) => {
  await setOrigins(request, baseURL!, []);
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.goto('/dashboard/settings');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const origins = page.getByLabel('Sites that may embed the portal');
  await origins.fill(`https://shop.example\nhttp://shop.example`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toContainText('Embed origin 2 must be https:// (http:// only for localhost or a loopback address)');
  expect(consoleErrors.filter((e) => !e.includes('400 (Bad Request)'))).toEqual([]);
  consoleErrors.length = 0;
  let ws = await (await request.get(`${baseURL}/api/v1/workspace`, { headers: headers() })).json();
  expect(ws.embed_origins).toEqual([]);

  await origins.fill(`https://Shop.Example/\n\n${allowed.origin}`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await expect(origins).toHaveValue(`https://shop.example\n${allowed.origin}`);
  ws = await (await request.get(`${baseURL}/api/v1/workspace`, { headers: headers() })).json();
  expect(ws.embed_origins).toEqual(['https://shop.example', allowed.origin]);
});
