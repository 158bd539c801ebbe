import AxeBuilder from '@axe-core/playwright';
import { test, expect } from './fixtures';
import { logIn } from './helpers';

// Merging duplicates from a customer's page: find the customer to keep, read the preview,
// merge, land on the kept customer with its undo banner, and undo.

test('a merchant merges a duplicate with a preview, then undoes it', async ({ page, request, baseURL }) => {
  const headers = { Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` };
  const api = (path: string) => `${baseURL}/api/v1${path}`;
  const products = await (await request.get(api('/products'), { headers })).json();
  const kit = (Array.isArray(products) ? products : products.data).find((p: { name: string }) => p.name === 'Starter Kit');
  const tag = `${Date.now()}`;
  const ids: string[] = [];
  for (const [email, name] of [[`mia-${tag}@example.com`, `Mia Dupe ${tag}`], [`mia.keep-${tag}@example.com`, `Mia Keep ${tag}`]]) {
    const bought = await request.post(api('/checkouts'), {
      headers,
      data: { customer: { email, name }, product_id: kit.id, payment_method: { type: 'card', number: '4242424242424242' } },
    });
    expect(bought.status()).toBe(201);
    ids.push((await bought.json()).customer.id);
  }
  const [dupe, keep] = ids;

  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.goto(`/dashboard/customers/${dupe}`);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  // Merging is in the header's Actions menu.
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Merge into another customer' }).click();
  const dialog = page.getByRole('dialog', { name: `Merge Mia Dupe ${tag} into another customer` });
  await dialog.getByLabel('Find the customer to keep').fill(`Mia Keep ${tag}`);
  await dialog.getByRole('button', { name: new RegExp(`Mia Keep ${tag}`) }).click();
  const preview = dialog.getByTestId('merge-preview');
  await expect(preview).toContainText('Moves: 1 order');
  await expect(preview).toContainText('Lifetime value afterwards');
  await expect(preview).toContainText('kept customer\'s wins');
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await dialog.getByRole('button', { name: `Merge into Mia Keep ${tag}` }).click();

  // On the kept customer: the banner offers the undo.
  await expect(page).toHaveURL(new RegExp(`/dashboard/customers/${keep}$`));
  const banner = page.getByTestId('merge-banner');
  await expect(banner).toContainText(`Customer ${dupe} was merged into this one`);
  const merged = await (await request.get(api(`/customers/${dupe}`), { headers })).json();
  expect(merged.merged_into).toBe(keep);
  const orders = await (await request.get(api(`/customers/${keep}/orders`), { headers })).json();
  expect(orders.data).toHaveLength(2);

  await banner.getByRole('button', { name: 'Undo merge' }).click();
  await expect(page).toHaveURL(new RegExp(`/dashboard/customers/${dupe}$`));
  await expect(page.getByTestId('customer-header').getByRole('heading', { level: 1 })).toHaveText(`Mia Dupe ${tag}`);
  await expect(page.getByTestId('merged-badge')).toHaveCount(0);
  const back = await (await request.get(api(`/customers/${dupe}`), { headers })).json();
  expect(back.merged_into).toBeNull();
  const theirs = await (await request.get(api(`/customers/${keep}/orders`), { headers })).json();
  expect(theirs.data).toHaveLength(1);
});
