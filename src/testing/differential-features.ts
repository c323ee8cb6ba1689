/**
 * Features of a parsed message that the differential allow rules test for (`when`): raw header bytes, charset
 * labels, decoded text, enclosed messages, boundaries. Read from Postroom's parse and the raw bytes.
 */
import type { DiffContext } from './differential.js';
import { textLeaves } from './differential-peers.js';

/** Every raw header byte string of the message and of its parts (field lines, folded). */
export function allRawHeaders(ctx: DiffContext): Buffer[] {
  return ctx.parsed.parts.flatMap((p) => p.header.fields.map((f) => f.raw));
}

/** Raw 8-bit bytes that are not UTF-8 in some header (RFC 6532 allows only UTF-8). */
export function rawLegacyHeader(ctx: DiffContext): boolean {
  return allRawHeaders(ctx).some((r) => r.some((b) => b >= 0x80) && !Buffer.from(r.toString('utf8'), 'utf8').equals(r));
}

/** Encoded words or part labels with a charset whose decoding differs in the peer. */
export function labels(ctx: DiffContext): string[] {
  const out: string[] = [];
  for (const p of ctx.parsed.parts) if (p.charset) out.push(p.charset);
  for (const r of allRawHeaders(ctx)) for (const m of r.toString('latin1').matchAll(/=\?([^?*\s]+)(?:\*[^?]*)?\?[bq]\?/gi)) out.push(m[1]!);
  for (const r of allRawHeaders(ctx)) for (const m of r.toString('latin1').matchAll(/\*=\s*"?([A-Za-z0-9_.:-]+)'/g)) out.push(m[1]!);
  return out;
}

/** All text Postroom decoded from the message: subject, names, file names, text leaves. */
export function decodedText(ctx: DiffContext): string {
  const m = ctx.parsed;
  const names = [m.from, ...m.to, ...m.cc].map((a) => a?.name ?? '');
  const files = m.parts.map((p) => p.filename ?? '');
  return [m.subject ?? '', ...names, ...files, ...textLeaves(m).map((l) => l.text)].join('\n');
}

/** A message/rfc822 part with its own Content-Type and no "attachment" disposition (mailparser shows it inline). */
export const hasRfc822Inline = (ctx: DiffContext): boolean =>
  ctx.parsed.parts.some(
    (p) => p.kind === 'message' && p.disposition !== 'attachment' && p.header.has('content-type') && ctx.parsed.attachments.some((a) => a.index === p.index),
  );

/** The boundary parameters of the message's multiparts. */
export const boundaries = (ctx: DiffContext): string[] => ctx.parsed.parts.flatMap((p) => (p.kind === 'multipart' && p.params['boundary'] ? [p.params['boundary']] : []));
/** A string escaped for use in a RegExp. */
export const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
