// Starts the real Patron release server for one test file, the way
// end2end/contract/run.sh does: `seed-demo` in a fresh data folder, an API key with every scope,
// `serve` on a free loopback port, and a wait on /healthz. The binary is $PATRON_SERVER_BIN,
// else ../../target/release/server from this package.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SCOPES = [
  'customers:read',
  'customers:write',
  'products:read',
  'products:write',
  'checkouts:write',
  'refunds:write',
  'subscriptions:write',
  'entitlements:write',
  'payment_details:write',
  'commands:write',
  'bans:write',
  'portal:write',
  'workspace:write',
  'webhooks:write',
  'customers:erase',
  'customers:merge',
].join(',');

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  apiKey: string;
  workspace: string;
  /** The server's log so far (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

export function serverBinary(): string {
  // Compiled tests run from .test-build/, one level below the package (sdk/typescript).
  const bin =
    process.env.PATRON_SERVER_BIN ?? fileURLToPath(new URL('../../../target/release/server', import.meta.url));
  if (!existsSync(bin)) {
    throw new Error(`no Patron server at ${bin}: build it (cargo build --release -p server) or set PATRON_SERVER_BIN`);
  }
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

/** Starts a server on a fresh demo workspace; `env` adds server settings. */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const bin = serverBinary();
  const data = mkdtempSync(join(tmpdir(), 'patron-sdk-'));
  const opts = { cwd: data, env: { ...process.env, ...env } };
  const seeded = await run(bin, ['--data-dir', data, 'seed-demo'], opts);
  const workspace = /ws_[0-9A-Z]{26}/.exec(seeded.stdout)?.[0];
  if (!workspace) throw new Error(`seed-demo named no workspace:\n${seeded.stdout}${seeded.stderr}`);
  const key = await run(
    bin,
    ['--data-dir', data, 'create-api-key', '--workspace', workspace, '--name', 'sdk-tests', '--scopes', SCOPES],
    opts,
  );
  const apiKey = key.stdout.trim();
  const port = await freePort();
  const logFile = join(data, 'server.log');
  const out = openSync(logFile, 'w');
  const child: ChildProcess = spawn(bin, ['--data-dir', data, 'serve', '--addr', `127.0.0.1:${port}`], {
    ...opts,
    stdio: ['ignore', out, out],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; ; i++) {
    if (exited) throw new Error(`the server stopped at start:\n${log().slice(-3000)}`);
    try {
      const res = await fetch(`${baseUrl}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (i > 100) throw new Error(`the server did not answer /healthz within 20 s:\n${log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseUrl,
    apiKey,
    workspace,
    log,
    async stop() {
      if (!exited) {
        let timer: NodeJS.Timeout | undefined;
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 5000)))]);
        clearTimeout(timer);
        if (!exited) {
          child.kill('SIGKILL');
          await gone;
        }
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}
