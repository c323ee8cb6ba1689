/**
 * The engine that decides whether a disagreement between Postroom and a peer is explained by the allow rules
 * (differential-allow.ts). Only rules whose `when` holds for the message are tried, and each is checked the way its
 * `how` says:
 * - header fields (from, to, subject) by isolation: the peer parses the raw field alone and must give exactly the
 *   value it gave inside the message;
 * - text by rebuilding Postroom's text from its own text parts with the peer's documented behaviour (charset
 *   decoding by isolation, line-based bodies, unflowing, parts the peer adds or drops), smallest set of rules first;
 *   `subset` rules check that the peer's lines are a subsequence of Postroom's;
 * - attachments by pairing: exact pairs first, then pairs that a rule accounts for; nothing may be left over.
 */
import type { PartSummary } from '../mime/index.js';
import { partText } from '../mime/index.js';
import { allowCases, allowRules, type AllowRule } from './differential-allow.js';
import { contentLines, isolatedHeaderView, isolatedText, rawFields, textLeaves, unflow } from './differential-peers.js';
import {
  mailparserView,
  normText,
  postalView,
  type DiffContext,
  type Disagreement,
  type PeerName,
  type ViewAddress,
  type ViewAttachment,
} from './differential.js';
import { crlfToLf, partBytes, sha256 } from './golden.js';

/** The verdict on one disagreement. */
export interface Explanation {
  readonly explained: boolean;
  /** Ids of the rules (or `case:` entries) that account for it. */
  readonly rules: readonly string[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const NL = Buffer.from('\n');
const NO: Explanation = { explained: false, rules: [] };

const POSTAL_LINES = 'postal-line-based-bodies';
const FLOWED = 'rfc3676-flowed-kept-as-sent';
const NAMED_TEXT = 'rfc8621-named-inline-text-is-attachment';
const RFC822 = 'rfc8621-message-rfc822-is-attachment';
const DIGEST = 'digest-parts-default-to-message-rfc822';
const HTML_TEXT = 'postal-renders-html-into-text';
const QP_WS = 'qp-whitespace-after-soft-break';
const MEDIA = 'rfc8621-inline-media-is-body';
const NO_SUBTYPE = 'text-without-subtype-is-text-plain';

function applicable(ctx: DiffContext, d: Disagreement): AllowRule[] {
  return allowRules.filter((r) => r.peers.includes(d.peer) && r.fields.includes(d.field) && r.when(ctx, d.peer));
}

/** Every subset of `items`, smallest first. */
function* subsets<T>(items: readonly T[]): Generator<T[]> {
  const bits = (x: number): number => x.toString(2).replace(/0/g, '').length;
  const masks = [...Array(1 << items.length).keys()].sort((a, b) => bits(a) - bits(b) || a - b);
  for (const m of masks) yield items.filter((_, i) => (m >> i) & 1);
}

/** Is `small` a subsequence of `big`? */
function subsequence(small: readonly string[], big: readonly string[]): boolean {
  let j = 0;
  for (const s of small) {
    while (j < big.length && big[j] !== s) j++;
    if (j === big.length) return false;
    j++;
  }
  return true;
}

/** Removes each line of `drop` once from `lines` (multiset difference, order kept). */
function without(lines: readonly string[], drop: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const d of drop) left.set(d, (left.get(d) ?? 0) + 1);
  return lines.filter((l) => {
    const n = left.get(l) ?? 0;
    if (n === 0) return true;
    left.set(l, n - 1);
    return false;
  });
}

/** The leaves at or under a path (an enclosed message shares its container's path). */
const leavesUnder = (ctx: DiffContext, path: string): PartSummary[] =>
  ctx.parsed.parts.filter((p) => p.kind === 'leaf' && (p.path === path || p.path.startsWith(`${path}.`)));

/** Content lines of Postroom's decoding of the text leaves under a path. */
const textLinesUnder = (ctx: DiffContext, path: string): string[] =>
  leavesUnder(ctx, path)
    .filter((p) => p.contentType.startsWith('text/'))
    .flatMap((p) => contentLines(normText(partText(partBytes(ctx.parsed, p), p.charset).text)));

const stripTags = (html: string): string =>
  html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

async function explainHeader(ctx: DiffContext, d: Disagreement, rules: AllowRule[]): Promise<Explanation> {
  const iso = rules.filter((r) => r.how === 'isolation');
  if (iso.length === 0) return NO;
  const field = d.field as 'from' | 'to' | 'subject';
  const v = await isolatedHeaderView(d.peer, rawFields(ctx.parsed, field));
  const theirs = field === 'from' ? (v.from as ViewAddress | null) : v[field];
  return same(theirs, d.theirs) ? { explained: true, rules: iso.map((r) => r.id) } : NO;
}

async function explainText(ctx: DiffContext, d: Disagreement, rules: AllowRule[]): Promise<Explanation> {
  const theirs = d.theirs as string | null;
  const leaves = textLeaves(ctx.parsed);
  const multipart = ctx.parsed.parts[0]?.kind === 'multipart';
  const cache = new Map<string, string>();
  const peerText = async (bytes: Buffer, label: string | undefined): Promise<string> => {
    const key = `${label}\u0000${sha256(bytes)}`;
    if (!cache.has(key)) cache.set(key, await isolatedText(d.peer, bytes, label));
    return cache.get(key)!;
  };
  const transforms = rules.filter((r) => r.how === 'transform' || r.how === 'isolation');
  for (const chosen of subsets(transforms)) {
    const has = (id: string): boolean => chosen.some((r) => r.id === id);
    const peerDecoder = chosen.some((r) => r.how === 'isolation');
    const texts: string[] = [];
    for (const l of leaves) {
      let bytes = l.bytes;
      if (has(POSTAL_LINES) && l.part.transferEncoding !== 'base64') bytes = multipart ? Buffer.concat([crlfToLf(bytes), NL]) : crlfToLf(bytes);
      let t = peerDecoder ? await peerText(bytes, l.part.charset) : bytes === l.bytes ? l.text : partText(bytes, l.part.charset).text;
      if (has(FLOWED) && l.flowed) t = unflow(t, l.delsp);
      texts.push(t);
    }
    const ours = leaves.length === 0 ? ctx.views.postroom.text : normText(texts.join('\n'));
    let their = theirs;
    if (has(QP_WS) && their !== null) their = normText(their.replace(/=\n/g, ''));
    if (ours === their) return { explained: true, rules: chosen.map((r) => r.id) };
    if (!(has(POSTAL_LINES) || has(NAMED_TEXT) || has(RFC822) || has(DIGEST) || has(HTML_TEXT))) continue;
    // Line mode: the peer joins or adds parts, so compare the content lines.
    let theirLines = contentLines(their);
    const ourLines = contentLines(ours);
    if (has(NAMED_TEXT)) {
      for (const a of ctx.parsed.attachments) {
        if (/^text\/(plain|html)$/.test(a.contentType) && a.disposition !== 'attachment') theirLines = without(theirLines, textLinesUnder(ctx, ctx.parsed.parts[a.index]!.path));
      }
    }
    if (has(RFC822)) {
      for (const p of ctx.parsed.parts.filter((x) => x.kind === 'message' && x.disposition !== 'attachment' && x.header.has('content-type'))) {
        theirLines = without(theirLines, textLinesUnder(ctx, p.path)).filter((l) => !/^(From|To|Cc|Bcc|Subject|Date): /.test(l));
      }
    }
    if (has(DIGEST)) {
      for (const a of ctx.parsed.attachments.filter((x) => x.contentType === 'message/rfc822' && !ctx.parsed.parts[x.index]!.header.has('content-type'))) {
        theirLines = without(theirLines, contentLines(normText(a.content.toString('utf8'))));
      }
    }
    if (has(HTML_TEXT)) {
      const html = ctx.parsed.textBody
        .map((i) => ctx.parsed.parts[i]!)
        .filter((p) => p.contentType === 'text/html')
        .map((p) => stripTags(partText(partBytes(ctx.parsed, p), p.charset).text))
        .join(' ');
      const extra = without(theirLines, ourLines);
      const fromHtml = extra.filter((l) => html.includes(l.replace(/\s+/g, ' ').trim()));
      theirLines = without(theirLines, fromHtml);
    }
    if (same(ourLines, theirLines)) return { explained: true, rules: chosen.map((r) => r.id) };
  }
  for (const r of rules.filter((x) => x.how === 'subset')) {
    if (r.id === 'empty-text-part-is-text' || r.id === 'mailparser-empty-text-for-html-only') return { explained: true, rules: [r.id] };
    const ours = ctx.views.postroom.text;
    if (ours !== null && (theirs === null || subsequence(contentLines(theirs), contentLines(ours)))) return { explained: true, rules: [r.id] };
  }
  return NO;
}

/** The file name the peer gives for the part's own Content-Type/Content-Disposition fields, alone. */
async function isolatedFilename(peer: PeerName, fields: readonly Buffer[]): Promise<string | null> {
  const msg = Buffer.concat([
    Buffer.from('Content-Type: multipart/mixed; boundary=iso\r\n\r\n--iso\r\n'),
    ...fields.map((f) => (f.subarray(-1)[0] === 0x0a ? f : Buffer.concat([f, Buffer.from('\r\n')]))),
    Buffer.from('Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--iso--\r\n'),
  ]);
  const v = peer === 'postal-mime' ? await postalView(msg) : await mailparserView(msg);
  return v.attachments[0]?.filename ?? null;
}

async function explainAttachments(ctx: DiffContext, d: Disagreement, rules: AllowRule[]): Promise<Explanation> {
  const m = ctx.parsed;
  const used = new Set<string>();
  const has = (id: string): boolean => rules.some((r) => r.id === id);
  /** The hashes under which the peer may hold this entity's bytes. */
  const forms = (p: PartSummary, bytes: Buffer): Set<string> => {
    const out = new Set([sha256(bytes)]);
    if (has(POSTAL_LINES) && !(p.kind === 'leaf' && p.transferEncoding === 'base64')) {
      const base = crlfToLf(bytes);
      out.add(sha256(base)).add(sha256(Buffer.concat([base, NL]))).add(sha256(Buffer.from(`${base.toString('latin1').replace(/\n+$/, '')}\n`, 'latin1')));
    }
    return out;
  };
  let theirs = [...(d.theirs as ViewAttachment[])];
  const take = (pred: (t: ViewAttachment) => boolean): boolean => {
    const i = theirs.findIndex(pred);
    if (i === -1) return false;
    theirs.splice(i, 1);
    return true;
  };
  type Ours = { filename: string | null; index: number; bytes: Buffer };
  let ours: Ours[] = m.attachments.map((a) => ({ filename: a.filename ?? null, index: a.index, bytes: a.content }));
  ours = ours.filter((o) => !take((t) => t.filename === o.filename && t.sha256 === sha256(o.bytes)));
  const drop = (rule: string, pred: (o: Ours) => boolean): void => {
    ours = ours.filter((o) => {
      if (!pred(o)) return true;
      used.add(rule);
      return false;
    });
  };
  if (has(NAMED_TEXT)) {
    drop(NAMED_TEXT, (o) => {
      const a = m.attachments.find((x) => x.index === o.index)!;
      return /^text\/(plain|html)$/.test(a.contentType) && a.disposition !== 'attachment' && m.parts[o.index]!.kind === 'leaf';
    });
  }
  if (has(MEDIA)) {
    for (const i of new Set([...m.textBody, ...m.htmlBody])) {
      const p = m.parts[i]!;
      if (m.attachments.some((a) => a.index === i)) continue; // also an attachment: paired as one below
      const f = forms(p, partBytes(m, p));
      if (/^(image|audio|video)\//.test(p.contentType) && take((t) => f.has(t.sha256))) used.add(MEDIA);
    }
  }
  for (const [rule, pick] of [
    [RFC822, (p: PartSummary) => p.kind === 'message' && p.disposition !== 'attachment' && p.header.has('content-type')],
    [DIGEST, (p: PartSummary) => p.kind === 'message' && !p.header.has('content-type')],
  ] as const) {
    if (!has(rule) || d.peer !== 'mailparser') continue;
    for (const p of m.parts.filter(pick)) {
      drop(rule, (o) => o.index === p.index);
      for (const leaf of leavesUnder(ctx, p.path).filter((x) => x.index !== p.index)) take((t) => t.sha256 === sha256(partBytes(m, leaf)));
    }
  }
  if (has(NO_SUBTYPE)) {
    for (const p of m.parts.filter((x) => x.problems.some((q) => /no subtype|Invalid Content-Type/.test(q)))) {
      const b = partBytes(m, p);
      const f = new Set([sha256(b), sha256(crlfToLf(b)), sha256(Buffer.concat([crlfToLf(b), NL]))]);
      if (take((t) => f.has(t.sha256))) used.add(NO_SUBTYPE);
    }
  }
  if (has(POSTAL_LINES)) {
    ours = ours.filter((o) => {
      const f = forms(m.parts[o.index]!, o.bytes);
      const ok = take((t) => t.filename === o.filename && f.has(t.sha256));
      if (ok) used.add(POSTAL_LINES);
      return !ok;
    });
  }
  // File names decoded differently: the same bytes, and the peer gives that name for the part's fields alone.
  const nameRules = rules.filter((r) => r.how === 'isolation');
  if (nameRules.length > 0) {
    const left: Ours[] = [];
    for (const o of ours) {
      const p = m.parts[o.index]!;
      const fields = p.header.fields.filter((f) => f.key === 'content-type' || f.key === 'content-disposition').map((f) => f.raw);
      const name = await isolatedFilename(d.peer, fields);
      const f = forms(p, o.bytes);
      if (take((t) => f.has(t.sha256) && t.filename === name)) nameRules.forEach((r) => used.add(r.id));
      else left.push(o);
    }
    ours = left;
  }
  if (ours.length === 0 && theirs.length === 0) return { explained: true, rules: [...used] };
  for (const r of rules.filter((x) => x.how === 'subset' && x.fields.includes('attachments'))) {
    // The peer lost entities that Postroom found in a broken structure (each of them carries a problem).
    if (theirs.length === 0 && ours.every((o) => m.parts[o.index]!.problems.length > 0 || m.problems.length > 0)) return { explained: true, rules: [...used, r.id] };
  }
  return NO;
}

/**
 * Explains one disagreement with the allow rules, or says it is unexplained.
 *
 * @example
 * ```ts
 * const { ctx, disagreements } = await differ('x', bytes);
 * for (const d of disagreements) if (!(await explain(ctx, d)).explained) report(d);
 * ```
 */
export async function explain(ctx: DiffContext, d: Disagreement): Promise<Explanation> {
  const c = allowCases.find((x) => x.id === ctx.id && x.peers.includes(d.peer) && x.fields.includes(d.field));
  if (c) return { explained: true, rules: [`case:${c.id}`] };
  const rules = applicable(ctx, d);
  if (rules.length === 0) return NO;
  if (d.field === 'text') return explainText(ctx, d, rules);
  if (d.field === 'attachments') return explainAttachments(ctx, d, rules);
  return explainHeader(ctx, d, rules);
}
