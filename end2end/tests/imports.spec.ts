import { readFile } from 'node:fs/promises';
import AxeBuilder from '@axe-core/playwright';
import { test, expect } from './fixtures';
import { logIn } from './helpers';

// The Import page: a chosen file is previewed (columns and first rows) before it is sent; a dry
// run reports without changing anyone; the import reports each rejected row with its line and
// column, and the full report downloads as CSV.

test('a merchant previews a CSV file, dry-runs it, imports it and downloads the per-row report', async ({ page, consoleErrors }) => {
  const tag = `imp${Date.now()}`;
  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard\/customers$/);
  await page.getByRole('link', { name: 'Import CSV' }).click();
  await expect(page).toHaveURL(/\/dashboard\/imports$/);
  await expect(page.getByRole('heading', { name: 'Import customers' })).toBeVisible();
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();

  // A header the import cannot use is refused before anything is sent.
  const fileInput = page.getByLabel('CSV file (UTF-8, commas or semicolons)');
  await fileInput.setInputFiles({ name: 'typo.csv', mimeType: 'text/csv', buffer: Buffer.from('email,emial\na@example.com,x\n') });
  await expect(page.getByRole('alert')).toContainText('column 2 ("emial") is not a customer field');
  await expect(page.getByRole('button', { name: 'Check the file' })).toBeDisabled();
  expect(consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)']);
  consoleErrors.length = 0;

  const csv = [
    'external_id,email,name,country,metadata.plan',
    `${tag}-1,${tag}-ada@example.com,"Lovelace, Ada ${tag}",GB,pro`,
    `${tag}-2,not-an-email,Bad Email,DE,free`,
    `${tag}-3,${tag}-grace@example.com,Grace ${tag},US,team`,
    `${tag}-4,${tag}-zz@example.com,Nowhere ${tag},XX,free`,
    `${tag}-5,${tag}-alan@example.com,Alan ${tag},GB,`,
  ].join('\n') + '\n';
  await fileInput.setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  const preview = page.getByTestId('import-preview');
  await expect(preview).toContainText('5 of 5 columns will be imported');
  await expect(preview).toContainText('→ metadata.plan');
  await expect(preview).toContainText(`Lovelace, Ada ${tag}`);

  // The dry run (checked by default) counts and changes no one.
  await page.getByRole('button', { name: 'Check the file' }).click();
  const result = page.getByTestId('import-result');
  await expect(result.getByRole('heading')).toHaveText('Dry run of 5 rows: nothing was changed');
  await expect(result).toContainText('Would create3');
  await expect(result).toContainText('Rejected2');
  const problems = result.getByTestId('import-problems');
  await expect(problems.locator('tbody tr')).toHaveCount(2);
  await expect(problems.locator('tbody tr').nth(0)).toContainText('3email');
  await expect(problems.locator('tbody tr').nth(1)).toContainText('5country');
  await page.goto(`/dashboard/customers?q=${tag}`);
  await expect(page.getByText('No customers match')).toBeVisible();

  // The import itself.
  await page.goto('/dashboard/imports');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await page.getByLabel('CSV file (UTF-8, commas or semicolons)').setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('import-preview')).toBeVisible();
  await page.getByLabel('Dry run: check and count every row, change nothing').uncheck();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(result.getByRole('heading')).toHaveText('Imported 5 rows');
  await expect(result).toContainText('Created3');
  await expect(page.getByTestId('recent-imports').locator('tbody tr').first()).toContainText('Create or update');
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  // The report downloads with every row's outcome.
  const download = page.waitForEvent('download');
  await result.getByRole('link', { name: 'Download the report (CSV, every row)' }).click();
  const report = await readFile(await (await download).path(), 'utf8');
  const lines = report.trim().split('\n');
  expect(lines[0]).toBe('line,outcome,customer_id,field,reason');
  expect(lines).toHaveLength(6);
  expect(lines[1]).toMatch(/^2,created,cus_/);
  expect(lines[2]).toMatch(/^3,rejected,,email,/);
  expect(lines[4]).toMatch(/^5,rejected,,country,/);

  // The customers are there, with their metadata.
  await page.goto(`/dashboard/customers?q=${tag}`);
  await expect(page.getByRole('link', { name: `Lovelace, Ada ${tag}` })).toBeVisible();
  await expect(page.getByRole('link', { name: `Grace ${tag}` })).toBeVisible();
});
