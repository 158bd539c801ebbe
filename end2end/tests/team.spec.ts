import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { DEMO_EMAIL, logIn } from './helpers';
import { waitForMail } from './mail';
import { LIST_EMAIL, LIST_PASSWORD, VIEWER_EMAIL } from '../global-setup';

// Settings → Team and API keys as a merchant uses them: an owner invites a colleague, the
// invitation arrives through the real SMTP sink, the colleague accepts it in their own browser
// and works with the role given; a key made in the dashboard answers REST calls until it is
// revoked, then the next call is a 401. A key's rights are chosen per resource (None, Read,
// Write) and listed in words; the only owner is not offered Leave; the sidebar reaches every
// workspace page.

async function settled(page: Page) {
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByText(/^Loading/)).toHaveCount(0);
}

async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

test('an owner invites a colleague, who accepts from the email and works with the role given', async ({ page, browser }) => {
  const colleague = `colleague-${Date.now()}@example.com`;
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.goto('/dashboard/settings');
  await settled(page);
  expect(await violations(page), 'settings page').toEqual([]);

  await page.getByRole('button', { name: 'Invite member' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Email').fill(colleague);
  await dialog.getByLabel('Role').selectOption('support');
  expect(await violations(page), 'invite dialog').toEqual([]);
  await dialog.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Invitation sent to ${colleague}` })).toBeVisible();
  await expect(page.locator(`[data-invitation="${colleague}"]`)).toContainText('Support');

  const mail = await waitForMail(colleague, /invited to/);
  const link = (mail.text ?? '').match(/https?:\/\/\S+\/invite\/\S+/)?.[0];
  expect(link, mail.text).toBeTruthy();

  // The colleague, in a browser of their own.
  const theirs = await browser.newContext();
  try {
    const them = await theirs.newPage();
    await them.goto(link!);
    await settled(them);
    await expect(them.getByTestId('invitation')).toContainText('as support');
    expect(await violations(them), 'invitation page').toEqual([]);
    await them.getByLabel('Choose a password').fill('short');
    await them.getByRole('button', { name: 'Accept and sign in' }).click();
    await expect(them.getByRole('alert')).toContainText('at least 10 characters');
    await them.getByLabel('Choose a password').fill('a colleague password');
    await them.getByRole('button', { name: 'Accept and sign in' }).click();
    await expect(them).toHaveURL(/\/dashboard\/customers$/);
    await expect(them.getByTestId('user-email')).toHaveText(colleague);

    await them.goto('/dashboard/settings');
    await settled(them);
    const me = them.locator(`[data-member="${colleague}"]`);
    await expect(me).toContainText('You');
    await expect(me.getByTestId('member-role')).toHaveText('Support');
    // Anyone but the only owner may leave.
    await expect(me.getByRole('button', { name: 'Leave' })).toBeVisible();
    // Support neither invites nor manages keys.
    await expect(them.getByRole('button', { name: 'Invite member' })).toHaveCount(0);
    await expect(them.getByText('Only admins and owners manage API keys.')).toBeVisible();

    // The link worked once.
    await them.goto(link!);
    await settled(them);
    await expect(them.getByRole('alert')).toContainText('expired or was already used');
  } finally {
    await theirs.close();
  }

  // The owner sees the new member with the role given, and no invitation left.
  await page.reload();
  await settled(page);
  await expect(page.getByLabel(`Role of ${colleague}`)).toHaveValue('support');
  await expect(page.locator(`[data-invitation="${colleague}"]`)).toHaveCount(0);
});

test('a key made in the dashboard answers REST calls until it is revoked', async ({ page, request, baseURL }) => {
  const name = `Back end ${Date.now()}`;
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.goto('/dashboard/settings');
  await settled(page);

  await page.getByRole('button', { name: 'Create key' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByRole('button', { name: 'Create key' }).click();
  const secretBox = page.getByTestId('api-key-secret');
  await expect(secretBox).toBeVisible();
  const secret = (await secretBox.locator('code').textContent())!.trim();
  expect(secret).toMatch(/^pat_sk_\w{40}$/);

  const row = page.locator(`tr[data-key="${name}"]`);
  await expect(row.getByTestId('key-scopes')).toHaveText('Customers: Read');
  await expect(row).toContainText(secret.slice(0, 13));
  await expect(row).toContainText('demo@northwind.example');
  await expect(row).toContainText('Never');

  // Used as a back end would, with the secret as a bearer token.
  const call = () => request.get(`${baseURL}/api/v1/customers?limit=1`, { headers: { Authorization: `Bearer ${secret}` } });
  const ok = await call();
  expect(ok.status(), await ok.text()).toBe(200);
  expect((await ok.json()).object).toBe('list');
  await page.reload();
  await settled(page);
  await expect(row).not.toContainText('Never');

  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('dialog')).toContainText(`Revoke ${name}?`);
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
  await expect(row).toHaveCount(0);

  const refused = await call();
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.code).toBe('api_key_invalid');
});

test('someone already on Patron joins with their own password and switches workspaces from the top bar', async ({ page, browser }) => {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.goto('/dashboard/settings');
  await settled(page);
  await page.getByRole('button', { name: 'Invite member' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Email').fill(LIST_EMAIL);
  await dialog.getByLabel('Role').selectOption('viewer');
  await dialog.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Invitation sent to ${LIST_EMAIL}` })).toBeVisible();
  const mail = await waitForMail(LIST_EMAIL, /invited to/);
  const link = (mail.text ?? '').match(/https?:\/\/\S+\/invite\/\S+/)![0];

  const theirs = await browser.newContext();
  try {
    const them = await theirs.newPage();
    await them.goto(link);
    await settled(them);
    await them.getByLabel('Your password').fill('not their password');
    await them.getByRole('button', { name: 'Accept and sign in' }).click();
    await expect(them.getByRole('alert')).toContainText(`not the password of ${LIST_EMAIL}`);
    await them.getByLabel('Your password').fill(LIST_PASSWORD);
    await them.getByRole('button', { name: 'Accept and sign in' }).click();
    await expect(them).toHaveURL(/\/dashboard\/customers$/);
    await settled(them);
    // Signed in where they were invited; their own workspace is one choice away.
    const switcher = them.getByLabel('Workspace');
    await expect(switcher).toHaveValue(/^ws_/);
    await expect(them.getByTestId('workspace-name')).toHaveText('Northwind Games');
    await switcher.selectOption({ label: 'Listing Labs (owner)' });
    await expect(them.getByTestId('workspace-name')).toHaveText('Listing Labs');
    await settled(them);
    await expect(them.getByLabel('Workspace').locator('option:checked')).toHaveText('Listing Labs (owner)');
  } finally {
    await theirs.close();
  }
});

test('a key given Customers: Write and Bans: None in the grid holds exactly that', async ({ page, request, baseURL }) => {
  const name = `Shop ${Date.now()}`;
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.goto('/dashboard/settings');
  await settled(page);

  await page.getByRole('button', { name: 'Create key' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill(name);
  const radio = (label: string) => dialog.getByRole('radio', { name: label, exact: true });
  const customers = dialog.getByRole('radiogroup', { name: 'Customers', exact: true });
  const bans = dialog.getByRole('radiogroup', { name: 'Bans', exact: true });
  // A new key starts reading customers, and nothing else.
  await expect(radio('Customers: Read')).toBeChecked();
  await expect(customers).toHaveAccessibleDescription(/^See customers and everything recorded about them/);
  await expect(radio('Bans: None')).toBeChecked();
  await expect(bans).toHaveAccessibleDescription('No access.');
  // Bans have no reading of their own: None or Write.
  await expect(bans.getByRole('radio')).toHaveCount(2);
  await expect(radio('Bans: Read')).toHaveCount(0);
  expect(await violations(page), 'key dialog').toEqual([]);

  await radio('Customers: Write').check();
  await expect(radio('Customers: Read')).not.toBeChecked();
  await expect(customers).toHaveAccessibleDescription('Everything Read allows, and create, edit, archive and import customers.');
  await radio('Bans: Write').check();
  await expect(bans).toHaveAccessibleDescription('Create, edit and lift bans.');
  await radio('Bans: None').check();
  await expect(bans).toHaveAccessibleDescription('No access.');
  await dialog.getByRole('button', { name: 'Create key' }).click();

  const secretBox = page.getByTestId('api-key-secret');
  await expect(secretBox).toBeVisible();
  const secret = (await secretBox.locator('code').textContent())!.trim();
  await expect(page.locator(`tr[data-key="${name}"]`).getByTestId('key-scopes')).toHaveText('Customers: Write');

  // Write brings Read along: the key lists customers, gets past the write check (the made-up
  // email is what is refused), and may not ban.
  const headers = { Authorization: `Bearer ${secret}` };
  const read = await request.get(`${baseURL}/api/v1/customers?limit=1`, { headers });
  expect(read.status(), await read.text()).toBe(200);
  const write = await request.post(`${baseURL}/api/v1/customers`, { headers, data: { email: 'not an email' } });
  expect(write.status(), await write.text()).toBe(400);
  expect((await write.json()).error.code).toBe('parameter_invalid');
  const ban = await request.post(`${baseURL}/api/v1/bans`, {
    headers,
    data: { reason: 'Key grid check', identities: [{ kind: 'email', value: 'key-grid@example.com' }] },
  });
  expect(ban.status(), await ban.text()).toBe(403);
  expect((await ban.json()).error.code).toBe('insufficient_scope');
});

test('the only owner is not offered Leave, and reads why', async ({ page }) => {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.goto('/dashboard/settings');
  await settled(page);
  const me = page.locator(`[data-member="${DEMO_EMAIL}"]`);
  await expect(me).toContainText('You');
  await expect(me.getByLabel(`Role of ${DEMO_EMAIL}`)).toHaveValue('owner');
  await expect(me.getByTestId('sole-owner')).toHaveText('You are the only owner: make another member an owner before you leave.');
  await expect(me.getByRole('button', { name: 'Leave' })).toHaveCount(0);
  // Other members can still be removed by the owner.
  await expect(page.locator(`[data-member="${VIEWER_EMAIL}"]`).getByRole('button', { name: 'Remove' })).toBeVisible();
  expect(await violations(page), 'settings page').toEqual([]);
});

test('the sidebar opens Imports and Erasure requests and marks the page open', async ({ page }) => {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await settled(page);
  const nav = page.getByRole('navigation', { name: 'Dashboard' });
  const customers = nav.getByRole('link', { name: 'Customers', exact: true });
  const imports = nav.getByRole('link', { name: 'Imports', exact: true });
  const erasure = nav.getByRole('link', { name: 'Erasure requests', exact: true });
  await expect(customers).toHaveAttribute('aria-current', 'page');
  await expect(imports).not.toHaveAttribute('aria-current', 'page');

  await imports.click();
  await expect(page).toHaveURL(/\/dashboard\/imports$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Import');
  await expect(imports).toHaveAttribute('aria-current', 'page');
  await expect(customers).not.toHaveAttribute('aria-current', 'page');
  await settled(page);
  expect(await violations(page), 'imports page').toEqual([]);

  await erasure.click();
  await expect(page).toHaveURL(/\/dashboard\/erasure-requests$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Erasure requests');
  await expect(erasure).toHaveAttribute('aria-current', 'page');
  await expect(imports).not.toHaveAttribute('aria-current', 'page');
  await settled(page);
  expect(await violations(page), 'erasure requests page').toEqual([]);
});
