import { test, expect } from './fixtures';
import { axeViolations, logIn } from './helpers';
import type { APIRequestContext } from '@playwright/test';

// The customer page's Products view: purchases grouped by product, each with its last action,
// the payment details of its last successful transaction, and its transactions with the same
// details and actions as the Orders tab, including what the payment provider sent.

const CARD = '4242424242424242';

function api(request: APIRequestContext, baseURL: string) {
  const headers = { Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` };
  const url = (path: string) => `${baseURL}/api/v1${path}`;
  const product = async (name: string): Promise<string> => {
    const body = await (await request.get(url('/products'), { headers })).json();
    const found = body.data.find((p: { name: string }) => p.name === name);
    expect(found, `demo product ${name}`).toBeTruthy();
    return found.id;
  };
  return {
    async buy(name: string, customer: object) {
      const res = await request.post(url('/checkouts'), {
        headers,
        data: { ...customer, product_id: await product(name), payment_method: { type: 'card', number: CARD } },
      });
      expect(res.status()).toBe(201);
      return res.json();
    },
  };
}

test('purchases are grouped by product with their last action, details and transactions', async ({ page, request, baseURL }) => {
  const shop = api(request, baseURL!);
  const email = `products-${Date.now()}@example.com`;
  const vip = await shop.buy('VIP Rank', { customer: { email, name: 'Product Viewer' } });
  const customer_id = vip.customer.id;
  const kit = await shop.buy('Starter Kit', { customer_id });
  await shop.buy('Cosmetic Bundle', { customer_id });

  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.goto(`/dashboard/customers/${customer_id}/products`);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();

  const subs = page.getByTestId('products-subscriptions');
  const once = page.getByTestId('products-one-time');
  await expect(subs.getByTestId('product-name')).toHaveText(['VIP Rank']);
  // Newest first.
  await expect(once.getByTestId('product-name')).toHaveText(['Cosmetic Bundle', 'Starter Kit']);
  const starter = once.locator('[data-testid="product"]', { hasText: 'Starter Kit' });
  const last = starter.getByTestId('last-action');
  await expect(last).toContainText('14.99 EUR');
  await expect(last).toContainText('Visa •••• 4242');
  await expect(last).toContainText('paid');
  await expect(subs.getByTestId('last-action')).toContainText('9.99 EUR');

  // Details: the last successful payment's details.
  await starter.getByRole('button', { name: 'Details', exact: true }).click();
  const paid = starter.getByTestId('last-payment');
  await expect(paid).toContainText(kit.order.id);
  await expect(paid).toContainText(kit.order.provider_payment_id);

  // The arrow: the product's transactions, with the Orders tab's details and refund.
  await starter.getByRole('button', { name: 'Transactions of Starter Kit' }).click();
  const order = starter.locator(`tbody[data-order-id="${kit.order.id}"]`);
  await expect(starter.locator('tbody[data-order-id]')).toHaveCount(1);
  await order.getByRole('button', { name: 'Details', exact: true }).click();
  await expect(order.getByTestId('provider-event-type')).toHaveText(['charge.succeeded']);
  await order.getByRole('button', { name: 'Refund' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Partial refund').check();
  await dialog.getByLabel('Amount (EUR)').fill('4');
  await dialog.getByRole('button', { name: 'Refund' }).click();
  await expect(dialog).toBeHidden();
  await expect(order.getByTestId('order-status')).toHaveText('partially refunded');
  await expect(last.getByText('partially refunded')).toBeVisible();

  // What the provider sent, newest first, each opening on its body as received.
  await expect(order.getByTestId('provider-event-type')).toHaveText(['charge.refunded', 'charge.succeeded']);
  await order.getByTestId('provider-event').first().locator('summary').click();
  const body = order.getByTestId('provider-event').first().locator('pre');
  await expect(body).toContainText('"type": "charge.refunded"');
  await expect(body).toContainText('"amount": 400');

  expect(await axeViolations(page), 'the Products view, opened').toEqual([]);
});
