// The README's examples compile against the built package with `tsc --strict`, exactly as
// written, and a misspelt field in a request body is a compile error.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const usage = readFileSync(`${root}/test/readme-usage.ts`, 'utf8');
const readme = readFileSync(`${root}/README.md`, 'utf8');

test('every TypeScript block of the README is in test/readme-usage.ts, unchanged and in order', () => {
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 6, `the README has its examples (${blocks.length} blocks)`);
  let from = 0;
  for (const block of blocks) {
    const at = usage.indexOf(block, from);
    assert.ok(at >= 0, `test/readme-usage.ts lacks, or reorders, this README block:\n${block}`);
    from = at + block.length;
  }
});

test('test/readme-usage.ts compiles with tsc --strict --noEmit, its @ts-expect-error line included', async () => {
  assert.match(
    usage,
    /\/\/ @ts-expect-error .*\n.*customers\.create\(\{ emial: /,
    'the misspelt field stays in the file',
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = await promisify(execFile)(
    process.execPath,
    [tsc, '--strict', '--noEmit', '-p', 'test/tsconfig.readme.json'],
    { cwd: root },
  ).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
  // An unused @ts-expect-error (a misspelt field that compiles) fails here as TS2578.
  assert.equal(result.out, '');
  assert.equal(result.code, 0);
});
