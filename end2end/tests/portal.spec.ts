import AxeBuilder from '@axe-core/playwright';
import type { APIRequestContext } from '@playwright/test';
import { test, expect } from './fixtures';
import { logIn } from './helpers';
import { codeIn, portalLinkIn, waitForMail } from './mail';

// The hosted portal, as an end customer reaches it: the shop's back end mints a one-time link,
// the customer opens it, sees what they bought, and signs out.

const headers = () => ({ Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` });

/** Buys the demo product `name` as a new customer with `email`; answers the checkout. */
async function buy(request: APIRequestContext, baseURL: string, name: string, email: string, who: string) {
  const products = await (await request.get(`${baseURL}/api/v1/products`, { headers: headers() })).json();
  const product = (Array.isArray(products) ? products : products.data).find((p: { name: string }) => p.name === name);
  const bought = await request.post(`${baseURL}/api/v1/checkouts`, {
    headers: headers(),
    data: { customer: { email, name: who }, product_id: product.id, payment_method: { type: 'card', number: '4242424242424242' } },
  });
  expect(bought.status()).toBe(201);
  return bought.json();
}

async function noA11yViolations(page: import('@playwright/test').Page) {
  const a11y = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(a11y.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}

test('a minted link opens the portal once, without the token in the address bar', async ({ page, request, baseURL }) => {
  const headers = { Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` };
  const api = (path: string) => `${baseURL}/api/v1${path}`;
  const products = await (await request.get(api('/products'), { headers })).json();
  const kit = (Array.isArray(products) ? products : products.data).find((p: { name: string }) => p.name === 'Starter Kit');
  const email = `portal-${Date.now()}@example.com`;
  const bought = await request.post(api('/checkouts'), {
    headers,
    data: { customer: { email, name: 'Pat Portal' }, product_id: kit.id, payment_method: { type: 'card', number: '4242424242424242' } },
  });
  expect(bought.status()).toBe(201);
  const customerId = (await bought.json()).customer.id;
  const minted = await request.post(api('/customer_sessions'), {
    headers,
    data: { customer_id: customerId, return_url: 'https://northwind.example/account' },
  });
  expect(minted.status()).toBe(201);
  const { url, token } = await minted.json();

  await page.goto(url);
  await expect(page).toHaveURL(/\/portal$/);
  expect(page.url()).not.toContain(token);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('portal-shop')).toHaveText('Northwind Games');
  await expect(page.getByTestId('portal-customer')).toContainText('Pat Portal');
  await expect(page.locator('[data-order-id]')).toHaveCount(1);
  await expect(page.locator('[data-order-id]')).toContainText('Starter Kit');
  await expect(page.getByRole('link', { name: 'Back to Northwind Games' })).toHaveAttribute('href', 'https://northwind.example/account');
  const a11y = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(a11y.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  // The licence key that came with the kit: masked, then shown in full on request.
  const item = page.locator('[data-item-id]').filter({ hasText: 'Licence key' });
  await expect(item.getByTestId('license-key')).toContainText('•');
  await item.getByRole('button', { name: 'Show key' }).click();
  await expect(item.getByTestId('license-key')).toHaveText(/^NWG(-[A-Z0-9]{5}){4}$/);
  await expect(page.locator('[data-item-id]').filter({ hasText: 'starter-kit.zip' }).getByRole('button', { name: 'Download' })).toBeVisible();

  // The order's receipt: a printable page, and a PDF.
  await page.locator('[data-order-id]').getByRole('link', { name: 'Receipt' }).click();
  await expect(page).toHaveURL(/\/portal\/orders\/ord_/);
  await expect(page.getByTestId('receipt-amount')).toHaveText('14.99 EUR');
  await expect(page.getByTestId('receipt')).toContainText('Pat Portal');
  await noA11yViolations(page);
  const [pdf] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download PDF' }).click(),
  ]);
  expect(pdf.suggestedFilename()).toMatch(/^receipt-ord_.+\.pdf$/);
  const { readFileSync: read } = await import('node:fs');
  expect(read((await pdf.path())!).subarray(0, 5).toString()).toBe('%PDF-');
  await page.getByRole('link', { name: 'Back to your purchases' }).click();
  await expect(page).toHaveURL(/\/portal$/);

  // "Download my data": everything the shop holds about them, as one JSON file.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download my data' }).click(),
  ]);
  const { readFileSync } = await import('node:fs');
  const data = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  expect(data.customer.id).toBe(customerId);
  expect(data.orders.map((o: { product_name: string }) => o.product_name)).toEqual(['Starter Kit']);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByTestId('portal-signed-out')).toBeVisible();

  // The link worked once.
  await page.goto(url);
  await expect(page).toHaveURL(/\/portal\/northwind-games\?link=expired$/);
  await expect(page.getByTestId('portal-link-expired')).toBeVisible();
});

test('the receipt email leads into the portal; the subscription is cancelled, kept, and its card replaced', async ({ page, request, baseURL, consoleErrors }) => {
  const email = `receipt-${Date.now()}@example.com`;
  await buy(request, baseURL!, 'VIP Rank', email, 'Rita Receipt');

  // The receipt, as the SMTP server received it, carries the customer's own portal link.
  const receipt = await waitForMail(email, /^Your receipt from Northwind Games: VIP Rank$/);
  expect(receipt.from?.text).toContain('Northwind Games');
  expect(receipt.text).toContain('Hello Rita Receipt,');
  await page.goto(portalLinkIn(receipt));
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('portal-customer')).toContainText('Rita Receipt');
  const card = page.locator('[data-subscription-id]');
  await expect(card).toContainText('VIP Rank');
  await expect(card.getByTestId('subscription-next')).toContainText('Renews on');

  // Cancel at period end: a reason is required, then the card says when it ends.
  await card.getByRole('button', { name: 'Cancel subscription' }).click();
  const dialog = page.getByRole('dialog', { name: 'Cancel VIP Rank?' });
  await expect(dialog).toBeVisible();
  await noA11yViolations(page);
  await dialog.getByRole('button', { name: 'Cancel at period end' }).click();
  await expect(dialog.getByRole('alert')).toContainText('Reason: choose one from the list.');
  await dialog.getByLabel('Why are you canceling?').selectOption({ label: "I don't use it enough" });
  await dialog.getByLabel('Anything else the shop should know? (optional)').fill('Back next season');
  await dialog.getByRole('button', { name: 'Cancel at period end' }).click();
  await expect(dialog).toBeHidden();
  await expect(card.getByTestId('subscription-next')).toContainText('It will not renew.');

  // Changed their mind.
  await card.getByRole('button', { name: 'Keep my subscription' }).click();
  await expect(card.getByTestId('subscription-next')).toContainText('Renews on');
  await expect(card.getByRole('button', { name: 'Cancel subscription' })).toBeVisible();

  // A new card: a declined one is refused with one sentence (never the issuer's reason) and
  // changes nothing.
  await expect(card.getByTestId('subscription-card')).toHaveText(/Renews with Visa •••• 4242/);
  await card.getByRole('button', { name: 'Update payment method' }).click();
  const cardDialog = page.getByRole('dialog', { name: 'New card for VIP Rank' });
  await cardDialog.getByLabel('Card number').fill('4000 0000 0000 0002');
  await cardDialog.getByRole('button', { name: 'Save card' }).click();
  await expect(cardDialog.getByRole('alert')).toContainText('This card was not accepted');
  expect(consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 402 (Payment Required)']);
  consoleErrors.length = 0;
  await cardDialog.getByLabel('Card number').fill('5555 5555 5555 4444');
  await cardDialog.getByRole('button', { name: 'Save card' }).click();
  await expect(cardDialog).toBeHidden();
  await expect(card.getByTestId('subscription-card')).toHaveText(/Renews with Mastercard •••• 4444/);

  // Its billing history: the first payment, with its receipt.
  await card.getByText('Billing history (1)').click();
  await expect(card.getByTestId('billing-history').getByRole('link', { name: 'Receipt' })).toBeVisible();
  await noA11yViolations(page);
});

test('the code sign-in: a wrong code is refused, the right one signs in', async ({ page, request, baseURL, consoleErrors }) => {
  const email = `code-${Date.now()}@example.com`;
  await buy(request, baseURL!, 'Starter Kit', email, 'Cody Code');

  await page.goto('/portal/northwind-games');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('portal-shop')).toHaveText('Northwind Games');
  await noA11yViolations(page);
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await expect(page.getByTestId('portal-code-sent')).toContainText(`If ${email} has purchases at Northwind Games`);
  const code = codeIn(await waitForMail(email, /^Your sign-in code for Northwind Games/));

  const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
  await page.getByLabel('Code').fill(wrong);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('That code is not right');
  expect(consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  consoleErrors.length = 0;
  await page.getByLabel('Code').fill(code.toLowerCase());
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.getByTestId('portal-customer')).toContainText('Cody Code');
  await expect(page.locator('[data-order-id]')).toContainText('Starter Kit');
});

test('asking for codes too often is refused with a wait', async ({ page, consoleErrors }) => {
  // An address that never bought: the same answer, and the same limit.
  const email = `limit-${Date.now()}@example.com`;
  await page.goto('/portal/northwind-games');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await expect(page.getByTestId('portal-code-sent')).toBeVisible();
  for (let i = 0; i < 4; i++) {
    await page.getByRole('button', { name: 'Send a new code' }).click();
    await expect(page.getByRole('button', { name: 'Send a new code' })).toBeEnabled();
  }
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.getByRole('button', { name: 'Send a new code' }).click();
  await expect(page.getByRole('alert')).toContainText(/Too many attempts; try again in \d+ (seconds|minutes?)/);
  expect(consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 429 (Too Many Requests)']);
  consoleErrors.length = 0;
});

test('the merchant copies the portal link and opens the portal read-only', async ({ page, request, baseURL, context }) => {
  const email = `merchant-view-${Date.now()}@example.com`;
  const bought = await buy(request, baseURL!, 'Starter Kit', email, 'Vera View');
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.goto(`/dashboard/customers/${bought.customer.id}`);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();

  await page.getByRole('button', { name: 'Portal link' }).click();
  const dialog = page.getByRole('dialog', { name: 'Portal link' });
  const url = dialog.getByTestId('portal-link-url');
  await expect(url).toHaveValue(/\/portal\/link\//);
  const first = await url.inputValue();
  await noA11yViolations(page);
  // Rotating voids the link just copied.
  await dialog.getByRole('button', { name: 'Rotate link' }).click();
  await expect(url).not.toHaveValue(first);
  const second = await url.inputValue();
  await dialog.getByRole('button', { name: 'Close' }).click();

  const customer = await context.browser()!.newContext({ baseURL });
  const tab = await customer.newPage();
  await tab.goto(first);
  await expect(tab).toHaveURL(/\/portal\/northwind-games\?link=expired$/);
  await tab.goto(second);
  await expect(tab).toHaveURL(/\/portal$/);
  await expect(tab.getByTestId('portal-customer')).toContainText('Vera View');
  await customer.close();

  // "Open portal as customer": the same portal, read-only, in a new tab. It is a button that
  // posts (opening the view is audited), not a link.
  await expect(page.getByRole('link', { name: 'Open portal as customer' })).toHaveCount(0);
  const [view] = await Promise.all([
    page.waitForEvent('popup'),
    page.getByRole('button', { name: 'Open portal as customer' }).click(),
  ]);
  await expect(view).toHaveURL(/\/portal$/);
  await expect(view.getByTestId('portal-read-only')).toContainText("You are seeing Vera View's portal as the shop");
  await expect(view.getByTestId('portal-customer')).toContainText('Vera View');
});

test('a receipt link opened while signed in as someone else asks before switching', async ({ page, request, baseURL }) => {
  const stamp = Date.now();
  const first = `switch-a-${stamp}@example.com`;
  const second = `switch-b-${stamp}@example.com`;
  await buy(request, baseURL!, 'Starter Kit', first, 'Sam First');
  await buy(request, baseURL!, 'Starter Kit', second, 'Sid Second');
  const mine = portalLinkIn(await waitForMail(first, /^Your receipt from Northwind Games: Starter Kit$/));
  const theirs = portalLinkIn(await waitForMail(second, /^Your receipt from Northwind Games: Starter Kit$/));

  await page.goto(mine);
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.getByTestId('portal-customer')).toContainText('Sam First');

  // Someone else's link asks first, naming nobody; staying keeps the session.
  await page.goto(theirs);
  const ask = page.getByTestId('portal-switch');
  await expect(ask).toContainText('signed in to a customer portal as someone else');
  await expect(ask).not.toContainText('Sam First');
  await expect(ask).not.toContainText('Sid Second');
  await noA11yViolations(page);
  await ask.getByRole('link', { name: 'Stay signed in as before' }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.getByTestId('portal-customer')).toContainText('Sam First');

  // Continuing (from the keyboard) switches.
  await page.goto(theirs);
  await page.getByRole('button', { name: 'Continue with this link' }).focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.getByTestId('portal-customer')).toContainText('Sid Second');
});

test('the settings page sets the portal look, and a bad colour names its field', async ({ page, consoleErrors }) => {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL(/\/dashboard\/settings$/);
  await expect(page.getByRole('heading', { name: 'Portal' })).toBeVisible();
  await expect(page.getByLabel('Portal address')).toHaveValue('northwind-games');
  await noA11yViolations(page);

  await page.getByLabel('Accent colour').fill('teal');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toContainText('Accent colour must be a colour such as #4f46e5');
  expect(consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  consoleErrors.length = 0;

  await page.getByLabel('Accent colour').fill('#0F766E');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await expect(page.getByLabel('Accent colour')).toHaveValue('#0f766e');

  await page.goto('/portal/northwind-games');
  await expect(page.getByTestId('portal-accent')).toHaveCSS('background-color', 'rgb(15, 118, 110)');
});
