import { test, expect } from './fixtures';

// The built site's files as a browser gets them: precompressed at build time
// (`cargo leptos build --precompress`), kept by the browser but revalidated on each load.
test('the wasm is served precompressed and revalidated, not downloaded again', async ({ request, page }) => {
  await page.goto('/login');
  const href = await page.locator('link[rel="preload"][href$=".wasm"]').getAttribute('href');
  expect(href).toMatch(/^\/pkg\/.+\.wasm$/);

  const raw = await request.get(href!, { headers: { 'Accept-Encoding': 'identity' } });
  expect(raw.status()).toBe(200);
  const size = (await raw.body()).length;
  // What is on disk, byte for byte: the header says so and WebAssembly's magic number opens it.
  expect(raw.headers()['content-encoding']).toBeUndefined();
  expect([...(await raw.body()).subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);

  for (const encoding of ['br', 'gzip']) {
    const res = await request.get(href!, { headers: { 'Accept-Encoding': encoding } });
    expect(res.status()).toBe(200);
    expect(res.headers()['content-encoding']).toBe(encoding);
    expect(res.headers()['content-type']).toBe('application/wasm');
    expect(res.headers()['cache-control']).toBe('no-cache');
    expect(res.headers()['vary']).toBe('accept-encoding');
    // Playwright decodes the body: the same module, sent in far fewer bytes.
    expect((await res.body()).length).toBe(size);
    expect(Number(res.headers()['content-length'])).toBeLessThan(size / 2);
  }

  // The browser asks again with the date of the copy it holds (each encoding is a file of its
  // own, with its own date): nothing is sent when it is current.
  const brotli = await request.get(href!, { headers: { 'Accept-Encoding': 'br' } });
  const modified = brotli.headers()['last-modified'];
  expect(modified).toBeTruthy();
  const again = await request.get(href!, { headers: { 'If-Modified-Since': modified, 'Accept-Encoding': 'br' } });
  expect(again.status()).toBe(304);
  expect((await again.body()).length).toBe(0);
});
