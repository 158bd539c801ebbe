import { expect, type Frame, type Page, type TestInfo } from '@playwright/test';
import { axeViolations } from './helpers';

// What a page must hold to on a phone and on a laptop, shared by the portal's and the
// dashboard's layout specs.

/** What is wrong with the layout of the document it runs in, one sentence each: sideways
 *  scrolling (of the page, or of a box inside it), a part of the header covering another, a
 *  card's content sticking out of the card, and with `touch` a control under 44 x 44 px. */
export function layoutProblems({ touch, tablesScroll = false }: { touch: boolean; tablesScroll?: boolean }): string[] {
  const problems: string[] = [];
  const name = (el: Element) => {
    const text = ((el as HTMLElement).innerText || el.getAttribute('aria-label') || el.id || '').trim().replace(/\s+/g, ' ');
    return `<${el.tagName.toLowerCase()}> "${text.slice(0, 40)}"`;
  };
  const shown = (el: Element) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  // A dialog's dimmed backdrop covers the whole page: it is no part of the card it opened from.
  const inDialog = (el: Element) => el.closest('[role=dialog]') !== null || el.querySelector(':scope > [role=dialog]') !== null;

  const root = document.scrollingElement!;
  if (root.scrollWidth > root.clientWidth) {
    problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide in ${root.clientWidth} px`);
  }
  for (const el of Array.from(document.querySelectorAll('body *'))) {
    const x = getComputedStyle(el).overflowX;
    // With `tablesScroll`, a wide table may scroll inside its own frame (the dashboard's data
    // tables); the page itself never does.
    const tableFrame = tablesScroll && el.firstElementChild?.tagName === 'TABLE';
    if ((x === 'auto' || x === 'scroll') && el.scrollWidth > el.clientWidth + 1 && !tableFrame) {
      problems.push(`${name(el)} scrolls sideways: ${el.scrollWidth} px wide in ${el.clientWidth} px`);
    }
  }

  const header = document.querySelector('main header');
  if (header) {
    const parts = [
      ...Array.from(header.children),
      ...Array.from(header.querySelectorAll('[data-testid=portal-shop], h1, [data-testid=portal-customer], a, button')),
    ].filter(shown);
    parts.forEach((a, i) => {
      for (const b of parts.slice(i + 1)) {
        if (a.contains(b) || b.contains(a)) continue;
        const p = a.getBoundingClientRect();
        const q = b.getBoundingClientRect();
        const overlap = Math.min(p.right, q.right) - Math.max(p.left, q.left) > 0.5
          && Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > 0.5;
        if (overlap) problems.push(`in the header, ${name(a)} and ${name(b)} overlap`);
      }
    });
    for (const el of Array.from(header.querySelectorAll('[data-testid=portal-shop], h1'))) {
      if (el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} is wider than its place in the header`);
    }
    const who = header.querySelector('[data-testid=portal-customer]');
    if (who && who.getBoundingClientRect().height > 1.5 * parseFloat(getComputedStyle(who).lineHeight)) {
      problems.push(`${name(who)} takes more than one line`);
    }
  }

  for (const card of Array.from(document.querySelectorAll('[data-testid=receipt], [data-subscription-id], [data-item-id], [data-order-id]'))) {
    const box = card.getBoundingClientRect();
    for (const el of Array.from(card.querySelectorAll('*'))) {
      if (!shown(el) || inDialog(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.left < box.left - 1 || r.right > box.right + 1) problems.push(`${name(el)} sticks out of ${name(card)}`);
    }
  }

  if (touch) {
    for (const el of Array.from(document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary'))) {
      if (!shown(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.width < 43.5 || r.height < 43.5) {
        problems.push(`${name(el)} is ${Math.round(r.width)} x ${Math.round(r.height)} px, under 44 x 44`);
      }
    }
  }
  return problems;
}

/** Checks a view (`frame` is the document the portal is in) and, on the phone, keeps a
 *  full-page screenshot of it as `<view>.png`. */
export async function checkView(page: Page, frame: Frame, view: string, phone: boolean, testInfo: TestInfo, tablesScroll = false) {
  expect(await frame.evaluate(layoutProblems, { touch: phone, tablesScroll }), `${view}: layout`).toEqual([]);
  expect(await axeViolations(page), `${view}: accessibility`).toEqual([]);
  if (phone) await page.screenshot({ path: testInfo.outputPath(`${view}.png`), fullPage: true });
}

