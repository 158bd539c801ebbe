// Every TypeScript example of README.md, verbatim and in order, compiled by the tests with
// `tsc --strict --noEmit` (test/tsconfig.readme.json): the README cannot show a call the SDK's
// types refuse. Never run. The test also checks each README block is here unchanged.

import { Patron } from '@patron/sdk';

const patron = new Patron({ apiKey: process.env.PATRON_API_KEY!, baseUrl: 'https://billing.example.com' });

for await (const customer of patron.customers.list({ q: 'mar', limit: 50 })) {
  console.log(customer.id, customer.email, customer.lifetime_value);
}

const checkout = await patron.checkouts.create({
  product_id: 'prod_01JD5ZQ3XK4M6P8R9S2T3V4W5X',
  payment_method: { type: 'card', number: '4242 4242 4242 4242' },
  customer: { external_id: '76561198000000001', email: 'ada@example.com', name: 'Ada' },
});
console.log(checkout.order.status, checkout.entitlements.length);

import { createServer } from 'node:http';
import { webhooks } from '@patron/sdk';

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      const event = webhooks.verify(Buffer.concat(chunks), req.headers, process.env.PATRON_WEBHOOK_SECRET!);
      if (event.type === 'order.paid') console.log('paid:', event.data.id);
      res.writeHead(204).end();
    } catch {
      res.writeHead(400).end();
    }
  });
}).listen(8080);

const session = await patron.customerSessions.create({
  external_id: '76561198000000001',
  embed_origin: 'https://shop.example',
});
// answer the page's POST /patron-session with this JSON: { url, token, ... }

import { embed } from '@patron/sdk/embed';

const mint = () => fetch('/patron-session', { method: 'POST' }).then((r) => r.json());
const portal = embed.mount(document.getElementById('purchases')!, {
  sessionUrl: (await mint()).url,
  getToken: mint,
  onResize: (height) => console.log('portal height', height),
  onAction: ({ kind, id }) => console.log(kind, id),
});
// later: portal.unmount();

const results = await patron.customers.bulkCreate(
  [
    { external_id: 'crm-1', email: 'ada@example.com' },
    { external_id: 'crm-2', email: 'grace@example.com' },
  ],
  { concurrency: 4, onProgress: ({ done, total }) => console.log(`${done}/${total}`) },
);
for (const r of results) if (r.status === 'failed') console.log(r.error.code, r.error.param);

import { PatronError } from '@patron/sdk';

try {
  await patron.customers.create({ external_id: 'crm-1' });
} catch (error) {
  if (error instanceof PatronError && error.code === 'external_id_taken') {
    console.log('already there', error.requestId);
  } else throw error;
}

await patron.orders.refund('ord_01JD5ZQ3XK4M6P8R9S2T3V4W5X', { amount: 500 }, { idempotencyKey: 'refund-ticket-4711' });

// The types bite: a misspelt body field is a compile error (the test fails if it is not).
// @ts-expect-error 'emial' is not a field of CustomerCreate
await patron.customers.create({ emial: 'ada@example.com' });
