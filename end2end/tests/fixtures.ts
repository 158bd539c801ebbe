import { test as base, expect, type ConsoleMessage } from '@playwright/test';

// Every page test gets the server's URL as baseURL and fails on any console error or page error.
export const test = base.extend<{ consoleErrors: string[] }>({
  baseURL: async ({}, use) => {
    const url = process.env.PATRON_BASE_URL;
    if (!url) throw new Error('PATRON_BASE_URL is not set: global-setup did not start the server');
    await use(url);
  },
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('console', (msg: ConsoleMessage) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      page.on('pageerror', (err) => errors.push(err.message));
      await use(errors);
      expect(errors, 'console errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
