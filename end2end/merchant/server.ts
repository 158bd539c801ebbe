import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

// A merchant's site, on its own origin: the example page from README.md ("Embedding the
// portal") and the back-end route it calls, which mints one-time portal tokens through
// Patron's REST API for the customer "signed in" here.

export type Merchant = {
  /** This site's origin as the browser sees it (`http://localhost:<port>`). */
  origin: string;
  /** Who is signed in to the site: the customer whose portal the page shows. */
  customerId: string;
  /** The origin the back end names when it mints (normally its own). */
  mintFor: string;
  /** When set, the back end answers this token instead of minting one. */
  fixedToken?: string;
  /** Tokens minted so far. */
  minted: string[];
  /** Extra pages this site serves, by path. */
  pages: Record<string, string>;
  close(): Promise<void>;
};

const template = readFileSync(join(__dirname, 'shop.html'), 'utf8');

export async function startMerchant(patron: string, shop: string, apiKey: string, host = 'localhost'): Promise<Merchant> {
  let server: Server;
  const merchant: Merchant = {
    origin: '',
    customerId: '',
    mintFor: '',
    minted: [],
    pages: {},
    close: () => new Promise((done) => server.close(() => done())),
  };
  server = createServer(async (req, res) => {
    if (req.method === 'POST' && req.url === '/patron-token') {
      if (merchant.fixedToken) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(merchant.fixedToken);
        return;
      }
      const answer = await fetch(`${patron}/api/v1/customer_sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ customer_id: merchant.customerId, embed_origin: merchant.mintFor }),
      });
      const body = await answer.json();
      if (answer.status !== 201) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end(JSON.stringify(body));
        return;
      }
      merchant.minted.push(body.token);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(body.token);
      return;
    }
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const extra = merchant.pages[req.url ?? ''];
    if (req.method === 'GET' && (req.url === '/' || extra)) {
      const html = extra ?? template.replaceAll('__PATRON__', patron).replaceAll('__SHOP__', shop);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  merchant.origin = `http://${host}:${port}`;
  merchant.mintFor = merchant.origin;
  return merchant;
}
