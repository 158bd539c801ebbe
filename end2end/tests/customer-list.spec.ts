import { test, expect } from './fixtures';
import { axeViolations, logIn } from './helpers';
import { LIST_EMAIL, LIST_PASSWORD } from '../global-setup';
import type { APIRequestContext, Page } from '@playwright/test';

// The customer list journeys, on their own workspace seeded through the REST API: 60 customers,
// some of whom bought a one-time kit or a subscription.

async function seed(request: APIRequestContext, baseURL: string) {
  const headers = { Authorization: `Bearer ${process.env.PATRON_E2E_API_KEY}` };
  const api = (path: string) => `${baseURL}/api/v1${path}`;
  const existing = await request.get(api('/customers?limit=1'), { headers });
  if ((await existing.json()).data.length > 0) return;
  const product = async (body: object) => (await (await request.post(api('/products'), { headers, data: body })).json()).id;
  const kit = await product({ name: 'Kit', kind: 'one_time', amount: 1500, currency: 'EUR' });
  const vip = await product({ name: 'VIP', kind: 'subscription', amount: 999, currency: 'EUR', interval: 'month' });
  const names = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov', 'Donald Knuth'];
  for (let i = 0; i < 60; i++) {
    const name = `${names[i % names.length]} ${i}`;
    const email = `${name.toLowerCase().replace(/ /g, '.')}@example.com`;
    if (i % 3 === 0) {
      const res = await request.post(api('/checkouts'), {
        headers,
        data: { customer: { email, external_id: `ext-${i}`, name }, product_id: i % 2 ? kit : vip, payment_method: { type: 'card', number: '4242424242424242' } },
      });
      expect(res.status()).toBe(201);
    } else {
      const res = await request.post(api('/customers'), { headers, data: { email, name, external_id: `ext-${i}`, country: i % 2 ? 'DE' : 'FR' } });
      expect(res.status()).toBe(201);
    }
  }
}

async function rowIds(page: Page) {
  return page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-customer-id')));
}

// How many customers the REST list holds for `query`, paged to its end.
async function restTotal(request: APIRequestContext, baseURL: string, query = '') {
  const headers = { Authorization: `Bearer ${process.env.PATRON_E2E_API_KEY}` };
  let total = 0;
  let after = '';
  for (;;) {
    const params = new URLSearchParams(query);
    params.set('limit', '100');
    if (after) params.set('starting_after', after);
    const res = await request.get(`${baseURL}/api/v1/customers?${params}`, { headers });
    expect(res.status()).toBe(200);
    const body = await res.json();
    total += body.data.length;
    if (!body.has_more) return total;
    after = body.data[body.data.length - 1].id;
  }
}

test.beforeEach(async ({ page, request, baseURL }) => {
  await seed(request, baseURL!);
  await logIn(page, LIST_EMAIL, LIST_PASSWORD);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
});

test('search narrows the list as you type', async ({ page }) => {
  await expect(page.locator('tbody tr')).toHaveCount(50);
  await page.getByRole('searchbox').fill('hopper');
  await expect(page).toHaveURL(/q=hopper/);
  await expect(page.locator('tbody tr')).toHaveCount(10);
  for (const text of await page.locator('tbody tr').allInnerTexts()) {
    expect(text.toLowerCase()).toContain('hopper');
  }
  await page.getByRole('searchbox').fill('nobody-by-this-name');
  await expect(page.getByText('No customers match')).toBeVisible();
});

test('a typo offers the closest customers as "did you mean"', async ({ page }) => {
  await page.getByRole('searchbox').fill('lovlace');
  await expect(page).toHaveURL(/q=lovlace/);
  await expect(page.getByRole('status').filter({ hasText: 'Did you mean' })).toContainText('“lovlace”');
  await expect(page.locator('tbody tr')).toHaveCount(10);
  for (const text of await page.locator('tbody tr').allInnerTexts()) {
    expect(text.toLowerCase()).toContain('lovelace');
  }
  // The right spelling is an exact search again: no "did you mean".
  await page.getByRole('searchbox').fill('lovelace');
  await expect(page).toHaveURL(/q=lovelace/);
  await expect(page.locator('tbody tr')).toHaveCount(10);
  await expect(page.getByText('Did you mean')).toHaveCount(0);
});

test('a filter and a sort apply and survive a reload', async ({ page }) => {
  await page.getByLabel('Subscription').selectOption('active');
  await expect(page).toHaveURL(/status=active/);
  await page.getByLabel('Sort').selectOption('ltv_desc');
  await expect(page).toHaveURL(/sort=ltv_desc/);
  await expect(page.locator('tbody tr')).toHaveCount(10);
  const before = await rowIds(page);
  await expect(page.locator('tbody tr').first()).toContainText('Active');
  await page.reload();
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByLabel('Subscription')).toHaveValue('active');
  await expect(page.getByLabel('Sort')).toHaveValue('ltv_desc');
  expect(await rowIds(page)).toEqual(before);
});

test('Next then Previous returns the same rows', async ({ page }) => {
  await expect(page.locator('tbody tr')).toHaveCount(50);
  const first = await rowIds(page);
  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page).toHaveURL(/after=cus_/);
  await expect(page.locator('tbody tr')).toHaveCount(10);
  const second = await rowIds(page);
  expect(second.filter((id) => first.includes(id))).toEqual([]);
  await page.getByRole('link', { name: 'Previous' }).click();
  await expect(page).toHaveURL(/before=cus_/);
  await expect(page.locator('tbody tr')).toHaveCount(50);
  expect(await rowIds(page)).toEqual(first);
  await page.goBack();
  await expect(page.locator('tbody tr')).toHaveCount(10);
  expect(await rowIds(page)).toEqual(second);
});

test('the export downloads a CSV whose rows match the screen', async ({ page }) => {
  await page.getByLabel('Country').fill('DE');
  await page.getByLabel('Country').press('Tab');
  await expect(page).toHaveURL(/country=DE/);
  await expect(page.locator('tbody tr')).toHaveCount(20);
  const onScreen = await rowIds(page);
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const dl = await download;
  expect(await dl.failure()).toBeNull();
  const file = await dl.path();
  const { readFileSync } = await import('node:fs');
  const lines = readFileSync(file!, 'utf8').trim().split('\n');
  expect(lines[0]).toMatch(/^id,email,name,/);
  expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(onScreen);
});

test('the count says how many customers match, as the REST list counts them', async ({ page, request, baseURL }) => {
  const all = await restTotal(request, baseURL!);
  expect(all).toBeGreaterThan(50);
  const count = page.getByTestId('customer-count');
  // More than a page: the total is counted apart from the rows.
  await expect(count).toHaveText(`1–50 of ${all} customers`);
  // A later page does not know where it starts: it says how many it shows.
  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page).toHaveURL(/after=cus_/);
  await expect(count).toHaveText(`Showing ${all - 50} of ${all} customers`);

  // A filter with few rows: they and the count agree with the REST list.
  await page.getByLabel('Subscription').selectOption('active');
  await expect(page).toHaveURL(/status=active/);
  const active = await restTotal(request, baseURL!, 'subscription_status=active');
  expect(active).toBeGreaterThan(1);
  await expect(page.locator('tbody tr')).toHaveCount(active);
  await expect(count).toHaveText(`1–${active} of ${active} customers`);

  await page.getByLabel('Subscription').selectOption('');
  await expect(page).not.toHaveURL(/status=/);
  await page.getByRole('searchbox').fill('grace hopper 7');
  await expect(page).toHaveURL(/q=grace/);
  await expect(page.locator('tbody tr')).toHaveCount(1);
  await expect(count).toHaveText('1 of 1 customer');
});

test('the country field suggests countries by name and filters by their code', async ({ page, request, baseURL }) => {
  const field = page.getByLabel('Country');
  const list = await field.getAttribute('list');
  expect(list).toBeTruthy();
  // The browser offers these as the field is typed in: a country's name, and its code.
  await expect(page.locator(`datalist#${list} option[value="Germany (DE)"]`)).toHaveCount(1);

  // Picking a suggestion puts it in the field and applies at once, as the code.
  await field.fill('Germany (DE)');
  await expect(page).toHaveURL(/country=DE(&|$)/);
  const germans = await restTotal(request, baseURL!, 'country=DE');
  expect(germans).toBeGreaterThan(1);
  await expect(page.locator('tbody tr')).toHaveCount(germans);
  await expect(page.getByTestId('customer-count')).toHaveText(`1–${germans} of ${germans} customers`);
  for (const text of await page.locator('tbody tr').allInnerTexts()) {
    expect(text).toContain('DE');
  }

  // A name typed out applies with Enter; the field then names the country and its code.
  await field.fill('france');
  await field.press('Enter');
  await expect(page).toHaveURL(/country=FR(&|$)/);
  await expect(field).toHaveValue('France (FR)');
  await expect(page.locator('tbody tr')).toHaveCount(await restTotal(request, baseURL!, 'country=FR'));

  // A text that names no country is refused in place; the list stays as it was.
  await field.fill('Atlantis');
  await field.press('Tab');
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('No country goes by that name')).toBeVisible();
  await expect(page).toHaveURL(/country=FR(&|$)/);
  expect(await axeViolations(page)).toEqual([]);

  // An empty field is every country again.
  await field.fill('');
  await field.press('Tab');
  await expect(page).not.toHaveURL(/country=/);
  await expect(page.getByText('No country goes by that name')).toHaveCount(0);
});

test('metadata: a new field takes the focus, and Enter saves', async ({ page, request, baseURL }) => {
  const headers = { Authorization: `Bearer ${process.env.PATRON_E2E_API_KEY}` };
  const found = await request.get(`${baseURL}/api/v1/customers?email=alan.turing.2%40example.com`, { headers });
  const id: string = (await found.json()).data[0].id;
  const key = `tier${Date.now()}`;
  await page.goto(`/dashboard/customers/${id}/metadata`);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await page.getByRole('button', { name: 'Add field' }).click();
  await expect(page.getByLabel('Key', { exact: true }).last()).toBeFocused();
  await page.keyboard.type(key);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel(`Value of ${key}`)).toBeFocused();
  await page.keyboard.type('gold');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Save' })).toBeHidden();
  const saved = await request.get(`${baseURL}/api/v1/customers/${id}`, { headers });
  expect((await saved.json()).metadata[key]).toBe('gold');
  await page.reload();
  await expect(page.getByLabel(`Value of ${key}`)).toHaveValue('gold');
});

test('a row opens the customer page with their stats', async ({ page }) => {
  await page.getByRole('searchbox').fill('grace hopper 7');
  await expect(page.locator('tbody tr')).toHaveCount(1);
  const id = (await rowIds(page))[0]!;
  await page.locator('tbody tr').first().click();
  await expect(page).toHaveURL(new RegExp(`/dashboard/customers/${id}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Grace Hopper 7');
  await expect(page.getByText('Lifetime value (net)')).toBeVisible();
  await page.getByRole('link', { name: '← Customers' }).click();
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
});

// The wasm is split by route (`cargo leptos build --split`): the list is in the main module,
// the customer page and its tabs are lazy routes fetched when first visited.
test('the list needs only the main bundle; the customer page loads its own on the way', async ({ page }) => {
  const wasm: string[] = [];
  page.on('request', (req) => {
    if (new URL(req.url()).pathname.endsWith('.wasm')) wasm.push(new URL(req.url()).pathname);
  });
  await page.goto('/dashboard/customers');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  // A fresh load of the list fetches one module: the main one the page preloads.
  const main = await page.locator('link[rel="preload"][href$=".wasm"]').getAttribute('href');
  expect(wasm).toEqual([main]);

  // The list works on that module alone.
  await page.getByRole('searchbox').fill('ada lovelace 6');
  await expect(page.locator('tbody tr')).toHaveCount(1);
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await page.locator('tbody tr').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ada Lovelace 6');
  await expect(page.getByText('Lifetime value (net)')).toBeVisible();
  // Navigated in the page (no new document), with the customer page's code fetched on the way.
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  const lazy = wasm.slice(1);
  expect(lazy.length).toBeGreaterThan(0);
  expect(lazy).not.toContain(main);

  // A tab is a lazy route too; it works after the customer page's own chunk.
  await page.getByRole('link', { name: 'Orders' }).click();
  await expect(page).toHaveURL(/\/orders$/);
  await expect(page.getByTestId('order-status')).toHaveCount(1);

  // Loading a lazy route first hydrates it: its tabs work without a new document.
  await page.reload();
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await page.getByRole('link', { name: 'Activity' }).click();
  await expect(page).toHaveURL(/\/activity$/);
  await expect(page.getByTestId('activity')).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
});
