import { test, expect } from './fixtures';
import { axeViolations, customerAction, logInAndOpen } from './helpers';

// The Ban dialog on a demo customer who paid with the shared test card 4242 4242 4242 4242:
// only what is hers alone is ticked, the button counts whom the ban matches, a ban of several
// customers asks first, and the footer stays in view while the body scrolls. Nothing is banned:
// the dialog is cancelled, so the journeys after this one find the demo workspace as seeded.

// Demo customer 11 (server/src/tools/demo.rs): Lena Tanaka, who paid with the 4242 test card,
// like many other demo customers.
const EMAIL = 'lena.tanaka11@example.com';

test.use({ viewport: { width: 1280, height: 800 } });

test("the ban dialog ticks only the customer's own identities and asks before banning several", async ({ page, request, baseURL }) => {
  const headers = { Authorization: `Bearer ${process.env.PATRON_E2E_DEMO_KEY}` };
  const res = await request.get(`${baseURL}/api/v1/customers?q=${encodeURIComponent(EMAIL)}`, { headers });
  expect(res.status()).toBe(200);
  const lena = (await res.json()).data.find((c: { email: string | null }) => c.email === EMAIL);
  expect(lena, 'the demo customer Lena Tanaka').toBeTruthy();

  await logInAndOpen(page, `/dashboard/customers/${lena.id}`);
  await customerAction(page, 'Ban');

  const dialog = page.getByRole('dialog', { name: 'Ban customer' });
  const ban = dialog.getByTestId('ban-submit');
  await expect(dialog.getByTestId('ban-shares')).toHaveText(/^Ticked: what only this customer uses/);
  await expect(ban).toHaveText('Ban 1 customer');
  await expect(ban).toBeEnabled();

  // The body is longer than the window leaves it, and scrolls; the footer's buttons are in view
  // without any scrolling, and stay there when the body scrolls to its end.
  const body = dialog.getByTestId('ban-dialog-body');
  expect(await body.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
  await expect(ban).toBeInViewport({ ratio: 1 });
  await expect(dialog.getByRole('button', { name: 'Cancel', exact: true })).toBeInViewport({ ratio: 1 });
  await body.evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await expect(ban).toBeInViewport({ ratio: 1 });

  // Her own identities are ticked; the shared card is listed, unticked, with how many share it.
  await expect(dialog.getByRole('checkbox', { name: /^Customer: Lena Tanaka/ })).toBeChecked();
  await expect(dialog.getByRole('checkbox', { name: new RegExp(`^Email: ${EMAIL.replace(/\./g, '\\.')}`) })).toBeChecked();
  await expect(dialog.getByRole('checkbox', { name: /^Name: Lena Tanaka/ })).not.toBeChecked();
  const cardName = /^Card: .*4242/;
  const card = dialog.getByRole('checkbox', { name: cardName });
  await expect(card).not.toBeChecked();
  const shared = dialog.locator('li').filter({ has: page.getByRole('checkbox', { name: cardName }) }).getByTestId('shared-with');
  await expect(shared).toHaveText(/^Shared with \d+ other customers?$/);
  const others = Number(/(\d+)/.exec((await shared.textContent()) ?? '')![1]);
  expect(others).toBeGreaterThan(0);
  expect(await axeViolations(page), 'ban dialog').toEqual([]);

  // Ticking the shared card bans everyone who paid with it: the button says how many, and the
  // first press asks to confirm instead of banning.
  await card.check();
  const n = others + 1;
  await expect(ban).toHaveText(`Ban ${n} customers`);
  await expect(dialog.getByTestId('ban-preview')).toHaveText(`Matches ${n} customers:`);
  await ban.click();
  await expect(dialog.getByTestId('ban-confirm')).toContainText(`This ban matches ${n} customers, not only this one`);
  await expect(ban).toHaveText(`Yes, ban ${n} customers`);
  await expect(dialog).toBeVisible();
  expect(await axeViolations(page), 'ban dialog, asking to confirm').toEqual([]);

  // Unticking the card takes the question away: the ban is back to her alone.
  await card.uncheck();
  await expect(dialog.getByTestId('ban-confirm')).toHaveCount(0);
  await expect(ban).toHaveText('Ban 1 customer');

  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('ban-banner')).toHaveCount(0);
});
