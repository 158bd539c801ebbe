// The generated types are what the server's OpenAPI document gives: `npm run check-generated`
// passes against the server under test and fails, naming the file, on a changed document.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServer, type TestServer } from './server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let server: TestServer;

function check(source: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/generate.mjs', 'check', source], { cwd: root }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code as number) : 0, out: stdout + stderr }),
    );
  });
}

before(async () => {
  server = await startServer();
});
after(() => server?.stop());

test("the committed types and document match the server's /api/v1/openapi.json", async () => {
  const result = await check(`${server.baseUrl}/api/v1/openapi.json`);
  assert.equal(result.code, 0, result.out);
  assert.match(result.out, /match/);
});

test('a document with one more field fails the check and names the stale file', async () => {
  const doc = JSON.parse(readFileSync(join(root, 'openapi/openapi.json'), 'utf8'));
  doc.components.schemas.CustomerCreate.properties.nickname = { type: ['string', 'null'] };
  const dir = mkdtempSync(join(tmpdir(), 'patron-sdk-doc-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const result = await check(file);
    assert.equal(result.code, 1);
    assert.match(result.out, /src\/generated\/openapi\.ts differs/);
    assert.match(result.out, /nickname/);
    assert.match(result.out, /npm run generate --/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
