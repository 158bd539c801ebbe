import { defineConfig } from '@playwright/test';

// Debian's Chromium (no browser download here), on a server started by global-setup.ts
// from the release build, on a free port, with a fresh database.
export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  // The customer page journeys buy, refund and ban in the demo workspace: they run after the
  // specs that read the demo data as seeded.
  projects: [
    { name: 'as-seeded', testIgnore: /(ban-dialog|customer-page|human-words|products-view|segments|portal|portal-phone|portal-brand|receipt|embed|webhooks|imports|erasure|merges)\.spec\.ts/ },
    { name: 'journeys', testMatch: /(ban-dialog|customer-page|human-words|products-view|segments|portal|portal-phone|portal-brand|receipt|embed|webhooks|imports|erasure|merges)\.spec\.ts/, dependencies: ['as-seeded'] },
  ],
  use: {
    browserName: 'chromium',
    headless: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
