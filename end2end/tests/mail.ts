import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { expect } from '@playwright/test';

// The SMTP sink's inbox (global-setup.ts): each message the server sent, as received.

async function inbox(): Promise<ParsedMail[]> {
  const dir = process.env.PATRON_E2E_INBOX;
  if (!dir) throw new Error('PATRON_E2E_INBOX is not set: global-setup did not start the SMTP sink');
  const files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
  return Promise.all(files.map((f) => simpleParser(readFileSync(join(dir, f)))));
}

function recipient(mail: ParsedMail): string {
  const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
  return to?.value[0]?.address ?? '';
}

/** The messages sent to `address` so far, oldest first. */
export async function mailTo(address: string): Promise<ParsedMail[]> {
  return (await inbox()).filter((m) => recipient(m) === address);
}

/** Waits (the sender runs every few seconds) until `address` has received `count` messages
 * whose subject matches `subject`, and answers the newest. */
export async function waitForMail(address: string, subject: RegExp, count = 1): Promise<ParsedMail> {
  let found: ParsedMail[] = [];
  await expect
    .poll(
      async () => {
        found = (await mailTo(address)).filter((m) => subject.test(m.subject ?? ''));
        return found.length;
      },
      { timeout: 20_000, message: `a message "${subject}" to ${address}` },
    )
    .toBeGreaterThanOrEqual(count);
  return found[found.length - 1];
}

/** The portal link in a receipt. */
export function portalLinkIn(mail: ParsedMail): string {
  const m = (mail.text ?? '').match(/https?:\/\/\S+\/portal\/link\/\S+/);
  if (!m) throw new Error(`no portal link in: ${mail.text}`);
  return m[0];
}

/** The sign-in code in a code email's body. */
export function codeIn(mail: ParsedMail): string {
  // The code is in the body on a line of its own, never in the subject.
  const m = (mail.text ?? '').match(/^\s*([A-Z0-9]{6})\s*$/m);
  if (!m) throw new Error(`no code in: ${mail.text}`);
  return m[1];
}
