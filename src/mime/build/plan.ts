/**
 * Turns a `ComposeInput` into the tree of entities to write (RFC 2046 §5.1): mixed( related( alternative(text,
 * html), inline parts ), attachments…, forwarded message ), with only the levels needed, or a multipart/report
 * (RFC 6522). Everything that can be decided without reading a stream is decided here, synchronously.
 *
 * Guarantees: every caller string is checked and every header field formatted here, so a bad input throws before
 * the first byte is written; bodies held in memory get their final bytes and transfer encoding here (text in
 * CRLF form, RFC 2046 §4.1.1); streams and files are left for compose.ts to open and sample.
 * Limits: a report cannot be combined with text, html, attachments or a forwarded message.
 */
import { encodeText } from '../charset/index.js';
import { formatHeader } from '../header-values/index.js';
import { assertSource, crlf, guessCharset, memoryBytes, textFileEncoding } from './body.js';
import { messageBytes, multipart, textPlan, type BodyPlan, type EntityPlan, type LeafPlan, type MessagePlan } from './entities.js';
import { checkText, contentIdField, contentTypeField, dispositionField, formatting, messageFields, type ComposeContext } from './fields.js';
import type { AttachmentInput, ComposeInput } from './input.js';
import { mediaTypeFor, parseMediaType } from './media-types.js';
import { createBoundary } from './message-id.js';
import { reportPlan } from './report.js';

function attachmentPlan(ctx: ComposeContext, a: AttachmentInput, i: number): { leaf: LeafPlan; related: boolean } {
  const what = `attachments[${i}]`;
  if (typeof a !== 'object' || a === null) throw new Error(`Cannot compose message: ${what} is not an object`);
  assertSource(`${what}.content`, a.content);
  const filename = a.filename === undefined ? undefined : checkText(`${what}.filename`, a.filename);
  const disposition = a.disposition ?? 'attachment';
  if (disposition !== 'attachment' && disposition !== 'inline') throw new Error(`Cannot compose message: ${what}.disposition must be "attachment" or "inline"`);
  const type = formatting(`${what}.contentType`, () =>
    parseMediaType(a.contentType === undefined ? mediaTypeFor(filename) : checkText(`${what}.contentType`, a.contentType)),
  );
  // RFC 2045 §6.4: composite types may not be encoded, so they cannot carry arbitrary bytes.
  if (type.type === 'multipart' || type.mime === 'message/partial' || type.mime === 'message/external-body') {
    throw new Error(`Cannot compose message: ${what}.contentType ${type.mime} cannot be attached`);
  }
  const extra: string[] = [];
  extra.push(formatting(`${what}.filename`, () => dispositionField(ctx, disposition, filename)));
  if (a.contentId !== undefined) extra.push(contentIdField(`${what}.contentId`, checkText(`${what}.contentId`, a.contentId)));
  if (a.description !== undefined) {
    const d = checkText(`${what}.description`, a.description);
    extra.push(formatting(`${what}.description`, () => formatHeader('Content-Description', d, { utf8: ctx.utf8 })));
  }
  const params = { ...type.params };
  const mem = memoryBytes(a.content);
  let body: BodyPlan;
  if (type.mime === 'message/rfc822') {
    body = mem === null ? { how: 'stream', source: a.content, as: 'message', what } : messageBytes(ctx, mem, what);
  } else if (type.type === 'text' && typeof a.content === 'string') {
    // A string is text: its line breaks become CRLF (RFC 2046 §4.1.1) and it is encoded in its charset.
    const text = crlf(a.content);
    const ascii = /^[\x00-\x7f]*$/.test(text);
    params['charset'] ??= ascii ? 'us-ascii' : 'utf-8';
    const bytes = formatting(`${what}.content`, () => encodeText(text, params['charset']!));
    body = { how: 'ready', bytes, cte: textFileEncoding(bytes, true, ctx.transport) };
  } else if (type.type === 'text') {
    if (mem === null) body = { how: 'stream', source: a.content, as: 'text-file', what };
    else {
      const guess = params['charset'] === undefined ? guessCharset(mem, true) : null;
      if (guess !== null) params['charset'] = guess;
      body = { how: 'ready', bytes: mem, cte: textFileEncoding(mem, true, ctx.transport) };
    }
  } else {
    // Non-text types are always base64 (RFC 2045 §6.8), whatever their first bytes look like.
    body = mem === null ? { how: 'stream', source: a.content, as: 'binary', what } : { how: 'ready', bytes: mem, cte: 'base64' };
  }
  const ct = formatting(`${what}.filename`, () => contentTypeField(ctx, type.mime, params, filename));
  const retype =
    body.how === 'stream' && body.as === 'text-file' && params['charset'] === undefined
      ? (charset: string): string => contentTypeField(ctx, type.mime, { ...params, charset }, filename)
      : undefined;
  const leaf: LeafPlan = { kind: 'leaf', fields: [ct, ...extra], body, ...(retype ? { retype } : {}) };
  return { leaf, related: disposition === 'inline' && a.contentId !== undefined };
}

function forwardPlan(ctx: ComposeContext, fwd: NonNullable<ComposeInput['forward']>): LeafPlan {
  if (typeof fwd !== 'object' || fwd === null) throw new Error('Cannot compose message: forward is not an object');
  assertSource('forward.message', fwd.message);
  const filename = fwd.filename === undefined ? undefined : checkText('forward.filename', fwd.filename);
  const mem = memoryBytes(fwd.message);
  const body: BodyPlan = mem === null ? { how: 'stream', source: fwd.message, as: 'message', what: 'forward.message' } : messageBytes(ctx, mem, 'forward.message');
  return {
    kind: 'leaf',
    fields: formatting('forward.filename', () => [contentTypeField(ctx, 'message/rfc822', {}, filename), dispositionField(ctx, 'attachment', filename)]),
    body,
  };
}

function contextOf(input: ComposeInput): ComposeContext {
  const mode = input.mode ?? '7bit';
  if (mode !== '7bit' && mode !== '8bitmime' && mode !== 'smtputf8') throw new Error(`Cannot compose message: unknown mode ${JSON.stringify(mode)}`);
  if (input.charset !== undefined && input.charset !== 'utf-8') throw new Error('Cannot compose message: charset must be "utf-8"');
  const boundaryPrefix = input.boundaryPrefix === undefined ? undefined : checkText('boundaryPrefix', input.boundaryPrefix);
  const ctx: ComposeContext = { utf8: mode === 'smtputf8', transport: mode === '7bit' ? '7bit' : '8bit', boundaryPrefix };
  formatting('boundaryPrefix', () => createBoundary(boundaryPrefix));
  return ctx;
}

/**
 * Checks the whole input and plans the message. Throws on any bad input; never reads a stream or a file.
 *
 * @example
 * ```ts
 * const plan = planMessage({ from: 'a@x.test', to: ['b@y.test'], text: 'Hi', html: '<p>Hi</p>' });
 * plan.root.kind === 'multipart'; // multipart/alternative
 * ```
 */
export function planMessage(input: ComposeInput): MessagePlan {
  if (typeof input !== 'object' || input === null) throw new Error('Cannot compose message: input is not an object');
  const ctx = contextOf(input);
  const header = messageFields(input, ctx);
  if (input.report !== undefined) {
    if (input.text !== undefined || input.html !== undefined || (input.attachments?.length ?? 0) > 0 || input.forward !== undefined) {
      throw new Error('Cannot compose message: a report cannot be combined with text, html, attachments or forward');
    }
    return { header, root: reportPlan(ctx, input.report), ctx };
  }
  // A message ends with a line break (RFC 5322 §2.1). When a text body is the whole message, it gets its final
  // CRLF before encoding, so every transfer encoding gives the same text back.
  const single = (input.attachments?.length ?? 0) === 0 && input.forward === undefined && (input.text === undefined || input.html === undefined);
  const withBreak = (t: string): string => (single && typeof t === 'string' && t !== '' && !/[\r\n]$/.test(t) ? t + '\r\n' : t);
  const text = input.text === undefined ? null : textPlan(ctx, 'plain', withBreak(input.text), 'text');
  const html = input.html === undefined ? null : textPlan(ctx, 'html', withBreak(input.html), 'html');
  let root: EntityPlan | null = text !== null && html !== null ? multipart(ctx, 'alternative', [text, html]) : (text ?? html);
  if (input.attachments !== undefined && !Array.isArray(input.attachments)) throw new Error('Cannot compose message: attachments is not an array');
  const planned = (input.attachments ?? []).map((a, i) => attachmentPlan(ctx, a, i));
  // RFC 2387: inline parts the HTML refers to by cid: travel with it in multipart/related; the root comes first.
  const related = html === null ? [] : planned.filter((p) => p.related).map((p) => p.leaf);
  const mixed = planned.filter((p) => html === null || !p.related).map((p) => p.leaf);
  if (related.length > 0) {
    const rootType = root!.kind === 'leaf' ? 'text/html' : 'multipart/alternative';
    root = multipart(ctx, 'related', [root!, ...related], { type: rootType }); // RFC 2387 §3.1: type is required
  }
  if (input.forward !== undefined) mixed.push(forwardPlan(ctx, input.forward));
  if (mixed.length > 0) root = multipart(ctx, 'mixed', root === null ? mixed : [root, ...mixed]);
  return { header, root: root ?? textPlan(ctx, 'plain', '', 'text'), ctx };
}
