/**
 * The client's greeting exchange: EHLO (RFC 5321 §4.1.1.1) and the extensions its reply lists, with the HELO
 * fallback for a peer that refuses EHLO with a 5xx reply (RFC 5321 §4.1.4, §3.2).
 *
 * Limits: keywords are upper-cased; an old-style "AUTH=LOGIN" line counts as AUTH. A 4xx reply to EHLO (or any
 * refusal of HELO) is a `reply` error: the caller closes the connection.
 */
import type { Wire } from './wire.js';
import { SmtpClientError, type ClientReply } from './types.js';

/**
 * The extensions an EHLO reply lists: keyword (upper case) → parameters ('' when none). The first line is the
 * server's name, not an extension.
 *
 * @example
 * ```ts
 * const ext = parseEhlo(['mx.test Hello', 'SIZE 1000', 'auth=LOGIN', 'PIPELINING']);
 * ext.get('SIZE') === '1000' && ext.get('AUTH') === 'LOGIN' && ext.get('PIPELINING') === '';
 * ```
 */
export function parseEhlo(lines: readonly string[]): Map<string, string> {
  const ext = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*)(?:[ =](.*))?$/.exec(line.trim());
    if (!m) continue; // not an ehlo-line (RFC 5321 §4.1.1.1); ignore rather than fail
    const key = m[1]!.toUpperCase();
    const params = (m[2] ?? '').trim();
    // Both "AUTH PLAIN" and the pre-RFC 4954 "AUTH=PLAIN" may appear; keep every mechanism named.
    const prev = ext.get(key);
    ext.set(key, prev && params ? `${prev} ${params}` : prev || params);
  }
  return ext;
}

/** The class digit of a reply code (2, 3, 4 or 5). */
export function replyClass(code: number): number {
  return Math.trunc(code / 100);
}

/**
 * A `reply` error for a refusal: permanent for 5xx, temporary otherwise (4xx, or a reply out of place).
 *
 * @example
 * ```ts
 * throw refused('mail', reply, 'Sender refused');
 * ```
 */
export function refused(stage: SmtpClientError['stage'], reply: ClientReply, what: string): SmtpClientError {
  return new SmtpClientError('reply', stage, `${what}: ${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''} ${reply.text}`, replyClass(reply.code) !== 5, reply);
}

/**
 * Sends EHLO, or HELO when the peer refuses EHLO with 5xx; returns the extensions (empty after HELO), with
 * `ignore` removed.
 *
 * @example
 * ```ts
 * const ext = await hello(wire, 'client.example', 300_000, ['CHUNKING']);
 * ext.has('PIPELINING');
 * ```
 */
export async function hello(wire: Wire, name: string, timeoutMs: number, ignore: readonly string[] = []): Promise<Map<string, string>> {
  const r = await wire.command(`EHLO ${name}`, 'ehlo', timeoutMs);
  if (r.code === 250) {
    const ext = parseEhlo(r.lines);
    for (const key of ignore) ext.delete(key.toUpperCase());
    return ext;
  }
  if (replyClass(r.code) !== 5) throw refused('ehlo', r, 'EHLO refused');
  // RFC 5321 §3.2: a server that does not know EHLO answers 500/502/etc.; the client may then use HELO.
  const h = await wire.command(`HELO ${name}`, 'ehlo', timeoutMs);
  if (h.code !== 250) throw refused('ehlo', h, 'HELO refused');
  return new Map();
}
