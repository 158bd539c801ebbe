import type { Locator, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { logIn } from './helpers';

// A dialog keeps the keyboard inside it and dims the whole screen, on a laptop and on a phone:
// Tab from its last control comes round to its first, Shift+Tab from its first goes to its
// last, Escape closes it and gives the focus back to the button that opened it, and its
// backdrop covers the whole view, the top bar included. The demo workspace as seeded: the
// dialogs are opened and closed, never sent.

const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** Signs in and opens the first customer of the list. */
async function openFirstCustomer(page: Page) {
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  // The cards of the phone's list are on the page at every size (hidden on a wide screen).
  const href = await page.getByTestId('customer-cards').locator('a').first().getAttribute('href');
  expect(href).toMatch(/^\/dashboard\/customers\/cus_/);
  await page.goto(href!);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('customer-header')).toBeVisible();
}

/** Tab walks from `first` to `last` without leaving `dialog`, then comes round to `first`;
 *  Shift+Tab from there goes back to `last`. */
async function keepsTheKeyboardInside(page: Page, dialog: Locator, first: Locator, last: Locator) {
  await first.focus();
  for (let presses = 0; !(await last.evaluate((el) => el === document.activeElement)); presses += 1) {
    expect(presses, 'Tab reaches the last control').toBeLessThan(25);
    await page.keyboard.press('Tab');
    expect(await dialog.evaluate((d) => d.contains(document.activeElement)), 'the focus stays in the dialog').toBe(true);
  }
  await page.keyboard.press('Tab');
  await expect(first).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(last).toBeFocused();
}

/** The open dialog's backdrop is the whole view, and it is what shows at each corner and in
 *  the top bar: nothing of the page is above it. */
async function dimsTheWholeScreen(page: Page, view: { width: number; height: number }) {
  const backdrop = page.getByTestId('dialog-backdrop');
  expect(await backdrop.boundingBox()).toEqual({ x: 0, y: 0, width: view.width, height: view.height });
  const points: [number, number][] = [
    [1, 1],
    [view.width - 2, 1],
    [view.width / 2, 28],
    [1, view.height - 2],
    [view.width - 2, view.height - 2],
  ];
  const covered = await page.evaluate(
    (at) => at.map(([x, y]) => document.elementFromPoint(x, y)?.closest('[data-testid="dialog-backdrop"]') != null),
    points,
  );
  expect(covered, 'the backdrop at each corner and in the top bar').toEqual(points.map(() => true));
}

for (const [size, view] of [['laptop', LAPTOP], ['phone', PHONE]] as const) {
  test.describe(`on a ${size}`, () => {
    test.use({ viewport: view });

    test('the customer page dialogs keep the focus inside, close on Escape and dim the whole screen', async ({ page }) => {
      await openFirstCustomer(page);

      // Edit customer, opened with a click: its first field has the focus.
      const edit = page.getByRole('button', { name: 'Edit customer', exact: true });
      await edit.click();
      const form = page.getByRole('dialog', { name: 'Edit customer' });
      const email = form.getByLabel('Email', { exact: true });
      await expect(email).toBeFocused();
      await keepsTheKeyboardInside(page, form, email, form.getByRole('button', { name: 'Save', exact: true }));
      await dimsTheWholeScreen(page, view);
      await page.keyboard.press('Escape');
      await expect(form).toBeHidden();
      await expect(edit).toBeFocused();

      // Archive, chosen from the Actions menu with the keyboard: the focus goes back to the
      // menu's button.
      const actions = page.getByRole('button', { name: 'Actions', exact: true });
      await actions.focus();
      await page.keyboard.press('ArrowDown');
      await expect(page.getByRole('menuitem', { name: 'Archive', exact: true })).toBeFocused();
      await page.keyboard.press('Enter');
      const confirm = page.getByRole('dialog', { name: 'Archive this customer?' });
      await expect(confirm).toBeVisible();
      await expect(confirm).toBeFocused();
      await keepsTheKeyboardInside(
        page,
        confirm,
        confirm.getByRole('button', { name: 'Cancel', exact: true }),
        confirm.getByRole('button', { name: 'Archive', exact: true }),
      );
      await dimsTheWholeScreen(page, view);
      await page.keyboard.press('Escape');
      await expect(confirm).toBeHidden();
      await expect(actions).toBeFocused();
      await expect(page.getByTestId('customer-header')).not.toContainText('Archived');
    });
  });
}
