/**
 * What the interop test's client recipes share (pop3-interop-clients.ts, pop3-interop-mbox-clients.ts): the account
 * a client fetches from, the recipe's shape, a private environment, and reading back what a client stored.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { splitMbox } from './pop3-interop.js';

/** Where and as whom a client fetches. */
export interface Pop3Account {
  readonly host: string;
  /** POP3 with STLS (RFC 2595). */
  readonly pop3Port: number;
  /** POP3 over implicit TLS (RFC 8314). */
  readonly pop3sPort: number;
  /** The server's (self-signed) certificate, PEM: clients that verify trust it. */
  readonly caFile: string;
  /** A DNS name in the certificate, for clients that check names and cannot check an IP address. */
  readonly tlsName: string;
  readonly user: string;
  readonly password: string;
}

/** One client recipe. */
export interface Pop3InteropClient {
  /** Also the local part of the account it uses. */
  readonly name: string;
  /** The programs it needs on PATH. */
  readonly peers: readonly string[];
  /** Whether it deletes what it fetched (DELE + QUIT): the maildrop must be empty afterwards. */
  readonly deletes: boolean;
  /** Fetches every message of `account` into `dir` (an empty directory) and returns the messages as stored. */
  fetch(account: Pop3Account, dir: string): Promise<Buffer[]>;
  /** What the client is documented to store for a message the server sent as `wire` (CRLF, before dot-stuffing). */
  expected(wire: Buffer): Buffer;
}

export const asIs = (wire: Buffer): Buffer => wire;

/** Maildir: the files of new/ and cur/. */
export function readMaildir(dir: string): Buffer[] {
  const out: Buffer[] = [];
  for (const sub of ['new', 'cur']) {
    const d = path.join(dir, sub);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) out.push(readFileSync(path.join(d, f)));
  }
  return out;
}

export function makeMaildir(dir: string, mode = 0o700): string {
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(dir, sub), { recursive: true, mode });
  return dir;
}

/** An mbox's messages, From_ lines and separators removed (and the From_ lines checked). */
export function readMbox(file: string): Buffer[] {
  if (!existsSync(file)) return [];
  return splitMbox(readFileSync(file)).map((m) => m.message);
}

/** A private HOME: programs that look for dot-files find none of the user's. */
export function env(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', TMPDIR: home, ...extra };
}
