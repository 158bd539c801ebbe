import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Starts the release server on 127.0.0.1:0 with a fresh embedded database holding the demo
// workspace, and hands its URL to the tests through PATRON_BASE_URL.
export const repoRoot = resolve(__dirname, '..');
export const serverBin = process.env.PATRON_SERVER_BIN ?? join(repoRoot, 'target/release/server');
export const pidFile = join(tmpdir(), 'patron-e2e-server.pid');
// The login of the workspace the list journeys fill through the REST API.
export const LIST_EMAIL = 'owner@listing-labs.example';
export const LIST_PASSWORD = 'listing-labs-e2e';
// The demo workspace (`server seed-demo`), and a viewer there for the role journeys.
export const DEMO_WORKSPACE = 'ws_01KAKX6D00DEM0WS0000000000';
export const VIEWER_EMAIL = 'viewer@northwind.example';
export const VIEWER_PASSWORD = 'northwind-viewer';

// A real SMTP server on loopback, standing in for the merchant's mail provider: every message
// the server sends lands as an .eml file in PATRON_E2E_INBOX, where the specs read it.
async function startSmtpSink(inbox: string): Promise<number> {
  mkdirSync(inbox, { recursive: true });
  let n = 0;
  const sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        n += 1;
        writeFileSync(join(inbox, `${String(n).padStart(5, '0')}.eml`), Buffer.concat(chunks));
        callback();
      });
    },
  });
  await new Promise<void>((ok) => sink.listen(0, '127.0.0.1', ok));
  (globalThis as { patronSmtpSink?: SMTPServer }).patronSmtpSink = sink;
  return (sink.server.address() as AddressInfo).port;
}

export default async function globalSetup() {
  const dataDir = mkdtempSync(join(tmpdir(), 'patron-e2e-'));
  const inbox = join(dataDir, 'inbox');
  const smtpPort = await startSmtpSink(inbox);
  process.env.PATRON_E2E_INBOX = inbox;
  const env = {
    ...process.env,
    PATRON_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    PATRON_MAIL_FROM: 'receipts@northwind.example',
    // The webhook journey's receiver listens on loopback.
    PATRON_WEBHOOK_ALLOW_HOSTS: '127.0.0.0/8',
    PATRON_DATA_DIR: dataDir,
    LEPTOS_SITE_ROOT: join(repoRoot, 'target/site'),
    RUST_LOG: process.env.RUST_LOG ?? 'warn,server::serve=info',
  };
  delete env.DATABASE_URL;

  const seed = spawnSync(serverBin, ['seed-demo'], { cwd: repoRoot, env, encoding: 'utf8' });
  if (seed.status !== 0) {
    throw new Error(`server seed-demo failed (${seed.status}): ${seed.stderr}`);
  }

  // A second workspace for the list journeys, filled through the REST API by the specs.
  const cli = (args: string[], input?: string) => {
    const r = spawnSync(serverBin, args, { cwd: repoRoot, env, encoding: 'utf8', input });
    if (r.status !== 0) throw new Error(`server ${args[0]} failed (${r.status}): ${r.stderr}`);
    return r.stdout.trim();
  };
  const ws = cli(['create-workspace', '--name', 'Listing Labs', '--currency', 'EUR']);
  cli(['create-user', '--workspace', ws, '--email', LIST_EMAIL, '--role', 'owner', '--password-stdin'], LIST_PASSWORD);
  process.env.PATRON_E2E_API_KEY = cli([
    'create-api-key', '--workspace', ws, '--scopes',
    'customers:read,customers:write,products:read,products:write,checkouts:write',
  ]);

  // The customer page journeys buy and refund in the demo workspace through the REST API.
  cli(['create-user', '--workspace', DEMO_WORKSPACE, '--email', VIEWER_EMAIL, '--role', 'viewer', '--password-stdin'], VIEWER_PASSWORD);
  process.env.PATRON_E2E_DEMO_KEY = cli([
    'create-api-key', '--workspace', DEMO_WORKSPACE, '--scopes',
    'customers:read,customers:write,products:read,checkouts:write,portal:write,workspace:write,webhooks:write',
  ]);

  const server = spawn(serverBin, ['serve', '--addr', '127.0.0.1:0'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  writeFileSync(pidFile, String(server.pid));

  const url = await new Promise<string>((resolveUrl, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30_000);
    server.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      process.stderr.write(chunk);
      const m = log.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${log}`));
    });
  });
  // Keep draining the log so the server never blocks on a full pipe.
  server.stderr.removeAllListeners('data');
  server.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  server.removeAllListeners('exit');
  process.env.PATRON_BASE_URL = url;
}
