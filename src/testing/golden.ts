/**
 * The golden MIME corpus (test/fixtures/mime/<suite>/NNN.eml + NNN.json): its expected-result shape, a loader, and
 * `summarize()`, which reduces a `ParsedMessage` to that shape so that a test can compare it with the expected file.
 * The shape is documented in test/fixtures/mime/README.md.
 *
 * Line ends: every message is parsed twice, with LF and with CRLF line ends. Expected values describe the LF form;
 * `summarize(m, 'crlf')` maps CRLF back to LF wherever line ends reach the result (text and HTML; sizes and hashes of
 * entities that are not base64, whose decoded bytes carry the message's own line ends), so one expected file
 * serves both runs. Base64 bodies decode to the same bytes in both runs and are compared as they are.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { bodyDecoderFor, type ParsedMessage, type PartSummary } from '../mime/index.js';
import { repoRoot } from './peers.js';

/** A mailbox: display name ('' when none) and address. */
export interface GoldenAddress {
  name: string;
  address: string;
}

/** An entry of `ParsedMessage.attachments`. */
export interface GoldenAttachment {
  filename: string | null;
  contentType: string;
  /** Decoded size in bytes (for message/rfc822: the enclosed message). */
  size: number;
  /** SHA-256 of the decoded bytes, lower-case hex. */
  sha256: string;
}

/** An entry of `ParsedMessage.parts` (every entity in document order). */
export interface GoldenPart {
  path: string;
  contentType: string;
  /** The charset parameter, lower-cased; 'us-ascii' where no Content-Type was sent (RFC 2045 §5.2); else null. */
  charset: string | null;
  transferEncoding: string;
  filename: string | null;
  /** Decoded size of a leaf in bytes; 0 for multipart and message/rfc822 containers. */
  size: number;
}

/** The expected result of parsing one corpus message. */
export interface Golden {
  from: GoldenAddress | null;
  to: GoldenAddress[];
  cc: GoldenAddress[];
  subject: string | null;
  /** ISO 8601 in UTC; null when the Date field is absent or unreadable. */
  date: string | null;
  /** Without angle brackets. */
  messageId: string | null;
  /** With LF line ends. */
  text: string | null;
  html: string | null;
  attachments: GoldenAttachment[];
  parts: GoldenPart[];
  /** Whether the parser reported problems: 0 or ">0" (their wording is not compared). */
  problems: 0 | '>0';
}

/** One message of the corpus. */
export interface GoldenCase {
  /** `<suite>/<NNN>`, e.g. `legacy/004`. */
  readonly id: string;
  readonly emlPath: string;
  readonly jsonPath: string;
  readonly actualPath: string;
}

/** The corpus folder. */
export const goldenDir = path.join(repoRoot, 'test', 'fixtures', 'mime');

/** The suites, in the order the tests run them. */
export const goldenSuites = ['rfc', 'legacy', 'clients', 'malformed'] as const;

/**
 * Lists the messages of the corpus (those with an .eml file), sorted by suite and number.
 *
 * @example
 * ```ts
 * listGolden().map((c) => c.id); // ['rfc/001', …, 'malformed/016']
 * ```
 */
export function listGolden(dir = goldenDir): GoldenCase[] {
  const out: GoldenCase[] = [];
  for (const suite of goldenSuites) {
    const d = path.join(dir, suite);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) {
      if (!f.endsWith('.eml')) continue;
      const base = path.join(d, f.slice(0, -4));
      out.push({ id: `${suite}/${f.slice(0, -4)}`, emlPath: `${base}.eml`, jsonPath: `${base}.json`, actualPath: `${base}.actual.json` });
    }
  }
  return out;
}

/**
 * CRLF → LF (lone CRs and LFs are kept).
 *
 * @example
 * ```ts
 * crlfToLf(Buffer.from('a\r\nb\r\n')).toString(); // 'a\nb\n'
 * ```
 */
export function crlfToLf(b: Buffer): Buffer {
  return Buffer.from(b.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
}

/**
 * The message bytes with the given line ends (every CRLF or lone LF becomes the chosen one; lone CRs are kept).
 *
 * @example
 * ```ts
 * withLineEnds(Buffer.from('a\r\nb\n'), 'crlf').toString() === 'a\r\nb\r\n';
 * ```
 */
export function withLineEnds(bytes: Buffer, ends: 'lf' | 'crlf'): Buffer {
  const lf = crlfToLf(bytes);
  return ends === 'lf' ? lf : Buffer.from(lf.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
}

/** Reads an .eml file of the corpus with the given line ends. */
export function readGoldenMessage(c: GoldenCase, ends: 'lf' | 'crlf'): Buffer {
  return withLineEnds(readFileSync(c.emlPath), ends);
}

/**
 * SHA-256 in lower-case hex.
 *
 * @example
 * ```ts
 * sha256(Buffer.from('')).startsWith('e3b0c442');
 * ```
 */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Text with CRLF (and lone CR before LF) turned into LF. */
export function lfText(s: string | undefined | null): string | null {
  return s === undefined || s === null ? null : s.replace(/\r\n/g, '\n');
}

/** The decoded body of a leaf, as the parser decoded it (transfer encoding undone). */
export function partBytes(m: ParsedMessage, p: PartSummary): Buffer {
  const raw = m.raw.subarray(p.offsets.body, p.offsets.end);
  const d = bodyDecoderFor(p.transferEncoding as Parameters<typeof bodyDecoderFor>[0]);
  return d ? Buffer.concat([d.write(raw), d.end()]) : raw;
}

/**
 * Reduces a parsed message to the golden shape. With `ends: 'crlf'`, line ends in text and in the decoded bytes
 * of entities that are not base64 are mapped to LF (see the module header).
 *
 * @example
 * ```ts
 * summarize(parseMessageBuffer('Subject: hi\r\n\r\nbody\r\n'), 'crlf').text === 'body\n';
 * ```
 */
export function summarize(m: ParsedMessage, ends: 'lf' | 'crlf'): Golden {
  const norm = (b: Buffer, te: string): Buffer => (ends === 'crlf' && te !== 'base64' ? crlfToLf(b) : b);
  const addr = (a: { name: string; address: string }): GoldenAddress => ({ name: a.name, address: a.address });
  const parts: GoldenPart[] = m.parts.map((p) => ({
    path: p.path,
    contentType: p.contentType,
    charset: p.charset === undefined ? null : p.charset.toLowerCase(),
    transferEncoding: p.transferEncoding.toLowerCase(),
    filename: p.filename ?? null,
    size: p.kind === 'leaf' ? (ends === 'crlf' && p.transferEncoding !== 'base64' ? norm(partBytes(m, p), p.transferEncoding).length : p.size) : 0,
  }));
  const attachments: GoldenAttachment[] = m.attachments.map((a) => {
    const te = m.parts[a.index]?.kind === 'message' ? 'message' : (m.parts[a.index]?.transferEncoding ?? '7bit');
    const content = norm(a.content, te);
    return { filename: a.filename ?? null, contentType: a.contentType, size: content.length, sha256: sha256(content) };
  });
  return {
    from: m.from ? addr(m.from) : null,
    to: m.to.map(addr),
    cc: m.cc.map(addr),
    subject: m.subject ?? null,
    date: m.date ? m.date.toISOString() : null,
    messageId: m.messageId ?? null,
    text: lfText(m.text),
    html: lfText(m.html),
    attachments,
    parts,
    problems: m.problems.length > 0 ? '>0' : 0,
  };
}

/**
 * Makes an expected file comparable: text and HTML with LF line ends, charsets in lower case.
 *
 * @example
 * ```ts
 * normalizeGolden({ ...g, text: 'a\r\n' }).text === 'a\n';
 * ```
 */
export function normalizeGolden(g: Golden): Golden {
  return {
    ...g,
    text: lfText(g.text),
    html: lfText(g.html),
    parts: g.parts.map((p) => ({ ...p, charset: p.charset === null ? null : p.charset.toLowerCase() })),
  };
}
