import { test, expect } from './fixtures';
import { axeViolations, logIn } from './helpers';
import { VIEWER_EMAIL, VIEWER_PASSWORD } from '../global-setup';
import type { APIRequestContext, Page } from '@playwright/test';

// The customer page journeys, in the demo workspace: each buys (or creates) its own customer
// through the REST API, then works on that customer from the page.

const CARD = '4242424242424242';

function api(baseURL: string) {
  const headers = { Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` };
  const url = (path: string) => `${baseURL}/api/v1${path}`;
  return {
    async product(request: APIRequestContext, name: string): Promise<string> {
      const res = await request.get(url('/products'), { headers });
      const body = await res.json();
      const found = (Array.isArray(body) ? body : body.data).find((p: { name: string }) => p.name === name);
      expect(found, `demo product ${name}`).toBeTruthy();
      return found.id;
    },
    async buy(request: APIRequestContext, product: string, email: string, number = CARD, ip?: string) {
      const res = await request.post(url('/checkouts'), {
        headers,
        data: {
          customer: { email, name: email.split('@')[0] },
          product_id: await this.product(request, product),
          payment_method: { type: 'card', number },
          ip,
        },
      });
      return { status: res.status(), body: await res.json() };
    },
    async customer(request: APIRequestContext, data: object): Promise<string> {
      const res = await request.post(url('/customers'), { headers, data });
      expect(res.status()).toBe(201);
      return (await res.json()).id;
    },
  };
}

// A Luhn-valid card number nobody else uses (the simulated provider accepts any such number), so
// a ban on its fingerprint matches one customer only.
function ownCard(): string {
  const digits = [5, ...Array.from({ length: 14 }, () => Math.floor(Math.random() * 10))];
  const sum = digits
    .slice()
    .reverse()
    .reduce((acc, d, i) => acc + (i % 2 === 0 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
  return [...digits, (10 - (sum % 10)) % 10].join('');
}

const unique = (what: string) => `${what}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

async function open(page: Page, customerId: string, tab = '') {
  await page.goto(`/dashboard/customers/${customerId}${tab ? `/${tab}` : ''}`);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('customer-header')).toBeVisible();
}

test.beforeEach(async ({ page }) => {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
});

test('a partial refund, then a full refund, update the order and the stats', async ({ page, request, baseURL }) => {
  const bought = await api(baseURL!).buy(request, 'Starter Kit', unique('refund'));
  expect(bought.status).toBe(201);
  await open(page, bought.body.customer.id);
  await expect(page.getByTestId('stat-ltv')).toHaveText('14.99 EUR');

  // The tabs switch without a reload: the header stays.
  await page.getByRole('link', { name: 'Orders' }).click();
  await expect(page).toHaveURL(/\/orders$/);
  const order = page.locator(`tbody[data-order-id="${bought.body.order.id}"]`);
  await order.getByRole('button', { name: 'Details' }).click();
  await order.getByRole('button', { name: 'Refund' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByTestId('refund-remaining')).toHaveText('14.99 EUR');
  await dialog.getByLabel('Partial refund').check();
  await dialog.getByLabel('Amount (EUR)').fill('5');
  await dialog.getByRole('button', { name: 'Refund' }).click();
  await expect(dialog).toBeHidden();
  await expect(order.getByTestId('order-status')).toHaveText('partially refunded');
  await expect(page.getByTestId('stat-ltv')).toHaveText('9.99 EUR');
  await expect(page.getByTestId('stat-refunds')).toHaveText('1 · 5.00 EUR');
  await expect(order.getByTestId('refund')).toHaveCount(1);

  await order.getByRole('button', { name: 'Refund' }).click();
  await expect(dialog.getByTestId('refund-remaining')).toHaveText('9.99 EUR');
  await dialog.getByLabel('Full refund of the remaining amount').check();
  await dialog.getByRole('button', { name: 'Refund' }).click();
  await expect(order.getByTestId('order-status')).toHaveText('refunded');
  await expect(page.getByTestId('stat-ltv')).toHaveText('0.00 EUR');
  await expect(page.getByTestId('stat-refunds')).toHaveText('2 · 14.99 EUR');
  // Nothing is left to refund.
  await expect(order.getByRole('button', { name: 'Refund' })).toHaveCount(0);
});

test('a subscription is canceled at period end, then recovered', async ({ page, request, baseURL }) => {
  const bought = await api(baseURL!).buy(request, 'VIP Rank', unique('cancel'));
  expect(bought.status).toBe(201);
  await open(page, bought.body.customer.id, 'subscriptions');
  await expect(page.getByTestId('stat-mrr')).toHaveText('9.99 EUR');
  const sub = page.locator(`[data-subscription-id="${bought.body.subscription.id}"]`);
  await sub.getByRole('button', { name: 'Cancel', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByLabel('Keep active until the end of the period')).toBeChecked();
  await dialog.getByRole('button', { name: 'Cancel subscription' }).click();
  await expect(sub.getByTestId('cancels-at-period-end')).toBeVisible();
  await expect(sub.getByTestId('subscription-status')).toHaveText('active');

  await sub.getByRole('button', { name: 'Recover' }).click();
  await expect(sub.getByTestId('cancels-at-period-end')).toHaveCount(0);
  await expect(sub.getByRole('button', { name: 'Cancel', exact: true })).toBeVisible();
  await sub.getByRole('button', { name: 'Billing history' }).click();
  await expect(sub.getByRole('cell', { name: 'paid' })).toBeVisible();
});

test('an item is assigned by hand, then revoked', async ({ page, request, baseURL }) => {
  const id = await api(baseURL!).customer(request, { email: unique('assign') });
  await open(page, id, 'inventory');
  await expect(page.getByText('No active items.')).toBeVisible();
  await page.getByRole('button', { name: 'Assign product' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Product').selectOption({ label: 'Cosmetic Bundle' });
  await dialog.getByRole('button', { name: 'Assign' }).click();
  await expect(dialog).toBeHidden();
  const item = page.locator('[data-entitlement-id]').filter({ hasText: 'Cosmetic Bundle' });
  await expect(item.getByTestId('item-status')).toHaveText('active');
  await expect(item).toContainText('assigned by hand');

  await item.getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await expect(item.getByTestId('item-status')).toHaveText('revoked');
  await expect(item.getByRole('button', { name: 'Revoke' })).toHaveCount(0);
  await expect(page.getByText('No active items.')).toBeVisible();

  // The trail names who did it.
  await page.getByRole('link', { name: 'Activity' }).click();
  await expect(page.getByTestId('activity')).toContainText('Entitlement revoked');
  await expect(page.getByTestId('activity')).toContainText('by demo@northwind.example');
});

test('a card is blocked, refused at checkout, then unblocked', async ({ page, request, baseURL }) => {
  const email = unique('block');
  const shop = api(baseURL!);
  const bought = await shop.buy(request, 'Cosmetic Bundle', email);
  expect(bought.status).toBe(201);
  await open(page, bought.body.customer.id, 'payment-details');
  const card = page.locator('tr[data-detail-kind="card"]');
  await expect(card.getByTestId('detail-status')).toHaveText('active');
  await card.getByRole('switch', { name: /^Block .*4242/ }).click();
  await expect(card.getByTestId('detail-status')).toHaveText('blocked');
  await expect(page.getByTestId('details-log')).toContainText('blocked');

  const refused = await shop.buy(request, 'Cosmetic Bundle', email);
  expect(refused.status).toBe(402);
  expect(refused.body.error.code).toBe('payment_detail_blocked');

  await card.getByRole('switch', { name: /^Unblock .*4242/ }).click();
  await expect(card.getByTestId('detail-status')).toHaveText('active');
  expect((await shop.buy(request, 'Cosmetic Bundle', email)).status).toBe(201);
});

test('metadata is added, edited and removed in place, and the 51st field is refused', async ({ page, request, baseURL }) => {
  const shop = api(baseURL!);
  const id = await shop.customer(request, { email: unique('meta') });
  await open(page, id, 'metadata');
  await expect(page.getByText('No metadata.')).toBeVisible();

  await page.getByRole('button', { name: 'Add field' }).click();
  await page.getByLabel('Key', { exact: true }).last().fill('plan');
  await page.getByLabel('Value of plan').fill('gold');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('button', { name: 'Save' })).toBeHidden();
  await page.reload();
  await expect(page.getByLabel('Value of plan')).toHaveValue('gold');

  await page.getByLabel('Value of plan').click();
  await page.getByLabel('Value of plan').fill('platinum');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('button', { name: 'Save' })).toBeHidden();
  await page.reload();
  await expect(page.getByLabel('Value of plan')).toHaveValue('platinum');

  await page.getByLabel('Value of plan').click();
  await page.getByLabel('Value of plan').fill('');
  await page.getByLabel('Key', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('No metadata.')).toBeVisible();
  await page.reload();
  await expect(page.getByText('No metadata.')).toBeVisible();

  const full: Record<string, string> = {};
  for (let i = 1; i <= 50; i++) full[`key${i}`] = `value ${i}`;
  const fullId = await shop.customer(request, { email: unique('meta-full'), metadata: full });
  await open(page, fullId, 'metadata');
  await expect(page.getByLabel('Key', { exact: true })).toHaveCount(50);
  await page.getByRole('button', { name: 'Add field' }).click();
  await expect(page.getByRole('alert')).toContainText('at most 50 metadata fields');
  await expect(page.getByLabel('Key', { exact: true })).toHaveCount(50);
});

test("editing a customer's external id to a taken one explains the conflict", async ({ page, request, baseURL, consoleErrors }) => {
  const shop = api(baseURL!);
  const taken = `steam-${Date.now()}`;
  await shop.customer(request, { email: unique('first'), external_id: taken });
  const id = await shop.customer(request, { email: unique('second'), name: 'Second Customer' });
  await open(page, id);
  await page.getByRole('button', { name: 'Edit customer' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('External id').fill(taken);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByRole('alert').filter({ hasText: 'already belongs to customer' })).toBeVisible();
  await expect(dialog.getByLabel('External id')).toHaveAttribute('aria-invalid', 'true');
  expect(consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 409 (Conflict)']);
  consoleErrors.length = 0;

  await dialog.getByLabel('External id').fill(`${taken}-free`);
  await dialog.getByLabel('Name', { exact: true }).fill('Renamed Customer');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Renamed Customer');
  await expect(page.getByTestId('customer-header')).toContainText(`${taken}-free`);
});

test('a viewer sees the customer but no action buttons', async ({ page, request, baseURL }) => {
  const bought = await api(baseURL!).buy(request, 'VIP Rank', unique('viewer'));
  expect(bought.status).toBe(201);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await logIn(page, VIEWER_EMAIL, VIEWER_PASSWORD);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  const id = bought.body.customer.id;

  await open(page, id);
  await expect(page.getByTestId('last-transaction')).toContainText('9.99 EUR');
  await expect(page.getByRole('button', { name: 'Edit customer' })).toHaveCount(0);
  // The header's Actions menu offers a viewer the data export alone: no archive, no ban.
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await expect(page.getByRole('menuitem', { name: 'Download data' })).toBeVisible();
  await expect(page.getByRole('menu', { name: 'Actions' }).getByRole('menuitem')).toHaveCount(1);

  await open(page, id, 'orders');
  await page.getByRole('button', { name: 'Details' }).click();
  await expect(page.getByText('Provider payment id')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Refund' })).toHaveCount(0);

  await open(page, id, 'subscriptions');
  await expect(page.getByTestId('subscription-status')).toHaveText('active');
  await expect(page.getByRole('button', { name: /Cancel|Revoke|Recover/ })).toHaveCount(0);

  await open(page, id, 'inventory');
  await expect(page.locator('[data-entitlement-id]').first()).toBeVisible();
  await expect(page.getByRole('button', { name: /Assign product|Revoke/ })).toHaveCount(0);

  await open(page, id, 'payment-details');
  await expect(page.locator('tr[data-detail-kind="card"]')).toBeVisible();
  await expect(page.getByRole('switch')).toHaveCount(0);
  await expect(page.getByRole('button', { name: /Block all|Unblock all/ })).toHaveCount(0);

  await open(page, id, 'metadata');
  await expect(page.getByRole('button', { name: 'Add field' })).toHaveCount(0);
});

test('a ban with an expiry refuses checkouts, is edited to add an IP, and is lifted', async ({ page, request, baseURL }) => {
  const shop = api(baseURL!);
  const email = unique('banned');
  const card = ownCard();
  const bought = await shop.buy(request, 'Cosmetic Bundle', email, card);
  expect(bought.status).toBe(201);
  await open(page, bought.body.customer.id);

  // Ban is in the header's Actions menu.
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Ban', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Reason (internal, never shown to the customer)').fill('Chargeback fraud');
  await dialog.getByLabel('Banned until').fill('2099-12-31');
  await expect(dialog.getByTestId('ban-preview')).toHaveText('Matches 1 customer:');
  await expect(dialog.getByTestId('ban-submit')).toHaveText('Ban 1 customer');
  await dialog.getByTestId('ban-submit').click();
  const banner = page.getByTestId('ban-banner');
  await expect(banner).toContainText('Banned until Dec 31, 2099');
  await expect(banner).toContainText('Chargeback fraud');
  const banId = (await banner.locator('.font-mono').textContent())!.trim();
  expect(banId).toMatch(/^ban_/);

  const refused = await shop.buy(request, 'Cosmetic Bundle', email, card);
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe('customer_banned');
  expect(refused.body.error.ban_id).toBe(banId);

  // Another buyer from a network the ban does not name yet.
  const OTHER_CARD = '4000002760000016';
  expect((await shop.buy(request, 'Cosmetic Bundle', unique('elsewhere'), OTHER_CARD, '198.51.100.23')).status).toBe(201);
  await banner.getByRole('button', { name: 'View ban' }).click();
  await dialog.getByLabel('Add an IP address or CIDR range').fill('198.51.100.0/24');
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(dialog.getByTestId('ban-preview')).toHaveText('Matches 2 customers:');
  await dialog.getByRole('button', { name: 'Save ban' }).click();
  await expect(dialog).toBeHidden();
  const fromRange = await shop.buy(request, 'Cosmetic Bundle', unique('range'), OTHER_CARD, '198.51.100.99');
  expect(fromRange.status).toBe(403);
  expect(fromRange.body.error.ban_id).toBe(banId);

  await banner.getByRole('button', { name: 'View ban' }).click();
  await dialog.getByRole('button', { name: 'Unban' }).click();
  await page.getByRole('dialog').filter({ hasText: 'Lift this ban?' }).getByRole('button', { name: 'Unban' }).click();
  await expect(banner).toHaveCount(0);
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await expect(page.getByRole('menuitem', { name: 'Ban', exact: true })).toBeVisible();
  expect((await shop.buy(request, 'Cosmetic Bundle', email, card)).status).toBe(201);
});

test.describe('in Berlin, in German', () => {
  test.use({ locale: 'de-DE', timezoneId: 'Europe/Berlin' });

  test('activity times read in the browser locale and time zone, with UTC in the tooltip', async ({ page, request, baseURL }) => {
    const id = await api(baseURL!).customer(request, { email: unique('locale') });
    await open(page, id, 'activity');
    const time = page.getByTestId('activity').locator('time').first();
    const datetime = await time.getAttribute('datetime');
    expect(datetime).toBeTruthy();
    // Node's own Intl says what a German reader in Berlin expects.
    const expected = new Intl.DateTimeFormat('de-DE', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'Europe/Berlin',
    }).format(new Date(datetime!));
    await expect(time).toHaveText(expected);
    await expect(time).toHaveAttribute('title', /\(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\)$/);
  });
});

// No snake_case word (`past_due`, `product_id`) and no JSON in what a person reads. Ids
// (`cus_01J…`) have a digit after their underscore, so they do not count.
const SNAKE_CASE = /[A-Za-z]+_[A-Za-z]+/;

test.describe('on a 1,280 × 800 screen', () => {
  test.use({ viewport: { width: 1280, height: 800 } });

  test('the tabs sit in view under a compact header whose Actions menu works from the keyboard', async ({ page, request, baseURL }) => {
    // One long word as the name (the checkout names the customer after the mailbox).
    const email = unique('wilhelmina-hohenberg-grafenfeld');
    const name = email.split('@')[0];
    const bought = await api(baseURL!).buy(request, 'VIP Rank', email);
    expect(bought.status).toBe(201);
    await open(page, bought.body.customer.id);

    const tabs = page.getByRole('navigation', { name: 'Customer' });
    await expect(tabs).toBeInViewport({ ratio: 1 });
    // The name and the email keep to one line each, cut with an ellipsis, whole in the tooltip.
    const heading = page.getByTestId('customer-header').getByRole('heading', { level: 1 });
    await expect(heading).toHaveText(name);
    await expect(heading).toHaveAttribute('title', name);
    expect((await heading.boundingBox())!.height).toBeLessThan(36);
    const mail = page.getByTestId('customer-email');
    await expect(mail).toHaveAttribute('title', email);
    expect((await mail.boundingBox())!.height).toBeLessThan(24);

    // The menu button, by the keyboard: Enter opens it on its first entry.
    const actions = page.getByRole('button', { name: 'Actions', exact: true });
    await expect(actions).toHaveAttribute('aria-haspopup', 'menu');
    await expect(actions).toHaveAttribute('aria-expanded', 'false');
    await actions.focus();
    await page.keyboard.press('Enter');
    const menu = page.getByRole('menu', { name: 'Actions' });
    await expect(menu).toBeVisible();
    await expect(actions).toHaveAttribute('aria-expanded', 'true');
    const items = menu.getByRole('menuitem');
    await expect(items.first()).toBeFocused();
    // The destructive entries come last, after a separator.
    const entries = await menu
      .locator('[role="menuitem"], [role="separator"]')
      .evaluateAll((els) => els.map((e) => (e.getAttribute('role') === 'separator' ? '—' : e.textContent?.trim())));
    expect(entries).toEqual(['Archive', 'Merge into another customer', 'Download data', '—', 'Ban', 'Erase personal data']);
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('ArrowDown');
    await expect(items.nth(1)).toBeFocused();
    await page.keyboard.press('End');
    await expect(menu.getByRole('menuitem', { name: 'Erase personal data' })).toBeFocused();
    await page.keyboard.press('ArrowDown');
    await expect(items.first()).toBeFocused();
    await page.keyboard.press('ArrowUp');
    await expect(items.last()).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(menu).toBeHidden();
    await expect(actions).toBeFocused();
    await expect(actions).toHaveAttribute('aria-expanded', 'false');
    // The up arrow opens it on its last entry; a click anywhere else closes it.
    await page.keyboard.press('ArrowUp');
    await expect(menu.getByRole('menuitem', { name: 'Erase personal data' })).toBeFocused();
    await heading.click();
    await expect(menu).toBeHidden();
    // An entry opens the same dialog as before.
    await actions.click();
    await menu.getByRole('menuitem', { name: 'Archive', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Archive this customer?' });
    await expect(confirm).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(confirm).toBeHidden();

    // A click on Orders shows the order without scrolling.
    await tabs.getByRole('link', { name: 'Orders' }).click();
    await expect(page.locator(`tbody[data-order-id="${bought.body.order.id}"]`)).toBeInViewport();

    // The activity of a purchase reads in words: no codes, no JSON.
    await tabs.getByRole('link', { name: 'Activity' }).click();
    const activity = page.getByTestId('activity');
    await expect(activity).toContainText('Order paid');
    await expect(activity).toContainText('Subscription started');
    await expect(activity).toContainText(`Order ${bought.body.order.id}`);
    const said = await activity.innerText();
    expect(said).not.toMatch(SNAKE_CASE);
    expect(said).not.toContain('{');
  });
});

test('a customer without a name is titled by their email, and their changes read as lines', async ({ page, request, baseURL }) => {
  const email = unique('nameless');
  const id = await api(baseURL!).customer(request, { email, metadata: { plan: 'gold' } });
  await open(page, id);
  await expect(page).toHaveTitle(`${email} · Patron`);
  await expect(page.getByTestId('customer-header').getByRole('heading', { level: 1 })).toHaveText(email);
  // The dialogs name them the same way.
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Erase personal data' }).click();
  const confirm = page.getByRole('dialog', { name: `Erase ${email}'s personal data?` });
  await expect(confirm).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(confirm).toBeHidden();

  const renamed = unique('renamed');
  const changed = await request.patch(`${baseURL}/api/v1/customers/${id}`, {
    headers: { Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` },
    data: { email: renamed, metadata: { plan: 'platinum' } },
  });
  expect(changed.status()).toBe(200);
  await open(page, id, 'activity');
  await expect(page).toHaveTitle(`${renamed} · Patron`);
  const activity = page.getByTestId('activity');
  await expect(activity).toContainText('Customer updated');
  await expect(activity).toContainText(`Email: ${email} → ${renamed}`);
  await expect(activity).toContainText('Metadata: plan: gold → plan: platinum');
  await expect(activity).toContainText('Customer created');
  const said = await activity.innerText();
  expect(said).not.toMatch(SNAKE_CASE);
  expect(said).not.toContain('{');
  expect(said).not.toContain(id);
});
