import { existsSync, readFileSync, rmSync } from 'node:fs';
import { pidFile } from './global-setup';

// Stops the server with SIGTERM, as a service manager would, and waits for it to exit.
export default async function globalTeardown() {
  const sink = (globalThis as { patronSmtpSink?: { close(cb: () => void): void } }).patronSmtpSink;
  if (sink) await new Promise<void>((ok) => sink.close(ok));
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not stop within 10 s of SIGTERM');
}
