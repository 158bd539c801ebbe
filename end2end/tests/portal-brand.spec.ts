import type { APIRequestContext } from '@playwright/test';
import { test, expect } from './fixtures';
import { axeViolations, logInAndOpen } from './helpers';

// The portal's accent colour, end to end: the settings page warns, as it is typed, of a colour
// too light for white text and the server refuses it in the same words; a dark one is picked,
// previewed on a sample portal page, saved, and the customer's portal carries it on its
// primary buttons and links.

const headers = () => ({ Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` });
const api = (baseURL: string, path: string) => `${baseURL}/api/v1${path}`;

const TOO_LIGHT =
  'That accent colour is too light to read on white (contrast 1.1 to 1; it needs at least 4.5 to 1). Choose a darker colour.';
/** #0f766e, Tailwind's teal-700, as the browser computes it. */
const TEAL = 'rgb(15, 118, 110)';
/** Its hover shade: each channel at 85 %, #0d645e. */
const TEAL_HOVER = 'rgb(13, 100, 94)';

async function savedColour(request: APIRequestContext, baseURL: string): Promise<string | null> {
  const ws = await request.get(api(baseURL, '/workspace'), { headers: headers() });
  expect(ws.status()).toBe(200);
  return (await ws.json()).portal_accent_color;
}

/** Buys the demo's Starter Kit as a new customer: the customer's id. */
async function newCustomerWithAnOrder(request: APIRequestContext, baseURL: string): Promise<string> {
  const products = await (await request.get(api(baseURL, '/products'), { headers: headers() })).json();
  const kit = (Array.isArray(products) ? products : products.data).find((p: { name: string }) => p.name === 'Starter Kit');
  const bought = await request.post(api(baseURL, '/checkouts'), {
    headers: headers(),
    data: {
      customer: { email: `brand-${Date.now()}@example.com`, name: 'Bea Brand' },
      product_id: kit.id,
      payment_method: { type: 'card', number: '4242424242424242' },
    },
  });
  expect(bought.status()).toBe(201);
  return (await bought.json()).customer.id;
}

test('a colour too light for white text is refused in words; a dark one is previewed and reaches the portal', async ({ page, request, baseURL, consoleErrors }) => {
  const before = await savedColour(request, baseURL!);
  await logInAndOpen(page, '/dashboard/settings');
  const colour = page.getByLabel('Accent colour');
  const picker = page.getByLabel('Pick a colour');
  const warning = page.getByTestId('accent-warning');
  const preview = page.getByTestId('portal-preview');

  // Yellow: the warning shows as it is typed, Save answers with the same sentence, and
  // nothing is saved.
  await colour.fill('#ffff00');
  await expect(warning).toHaveText(TOO_LIGHT);
  await expect(colour).toHaveAttribute('aria-invalid', 'true');
  await expect(picker).toHaveValue('#ffff00');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toHaveText(TOO_LIGHT);
  await expect(page.getByText('Saved.')).toHaveCount(0);
  expect(consoleErrors.filter((e) => !/status of 422/.test(e))).toEqual([]);
  consoleErrors.length = 0;
  expect(await savedColour(request, baseURL!)).toBe(before);

  // Teal, from the colour picker: the text field follows, the warning goes, and the preview's
  // button and link take it at once.
  await picker.fill('#0f766e');
  await expect(colour).toHaveValue('#0f766e');
  await expect(warning).toHaveText('');
  await expect(colour).not.toHaveAttribute('aria-invalid', 'true');
  await expect(preview.locator('button')).toHaveCSS('background-color', TEAL);
  await expect(preview.locator('a', { hasText: 'Receipt' })).toHaveCSS('color', TEAL);
  // The preview is a picture: nothing in it is reachable by role, keyboard or mouse.
  await expect(preview).toHaveAttribute('aria-hidden', 'true');
  await expect(preview).toHaveAttribute('inert');
  expect(await axeViolations(page), 'settings page').toEqual([]);

  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  expect(await savedColour(request, baseURL!)).toBe('#0f766e');

  // The portal's sign-in page: its primary button in teal, a shade darker under the pointer.
  await page.goto('/portal/northwind-games');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const send = page.getByRole('button', { name: 'Email me a code' });
  await expect(send).toHaveCSS('background-color', TEAL);
  await send.hover();
  await expect(send).toHaveCSS('background-color', TEAL_HOVER);

  // A customer's own portal: the receipt link of their order in teal.
  const customerId = await newCustomerWithAnOrder(request, baseURL!);
  const minted = await request.post(api(baseURL!, '/customer_sessions'), {
    headers: headers(),
    data: { customer_id: customerId },
  });
  expect(minted.status()).toBe(201);
  await page.goto((await minted.json()).url);
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('portal-customer')).toContainText('Bea Brand');
  await expect(page.locator('[data-order-id]').getByRole('link', { name: 'Receipt' })).toHaveCSS('color', TEAL);
});
