/**
 * Adapter for Stalwart mail-parser's test messages (`stalwart/{rfc,thirdparty,malformed}/NNN.eml` with `NNN.json`
 * for LF line ends and `NNN.crlf.json` for CRLF): compares postroom's reading of each message with Stalwart's.
 *
 * Compared: the part tree (kind, content type, parameters, nesting; Stalwart numbers the parts of each message in
 * its own flat list, and a message/rfc822 part holds a nested message with its own list, while postroom numbers
 * every entity of the whole message in one sequence: the adapter maps one to the other by walking both trees),
 * offsets (offset_header/offset_body/offset_end = PartNode.offsets header/body/end), each header field's name and
 * offsets, decoded Subject/From/To/Cc, Content-Disposition type and file name, decoded bodies (Text and Html as
 * charset-decoded text, Binary and InlineBinary as bytes), and the RFC 8621 text_body/html_body/attachments lists.
 * Stalwart's header value shapes (DateTime, Received, …) are not compared: they are a representation.
 *
 * Line ends: Stalwart's JSON describes the message with every line end LF (`.json`) and with every line end CRLF
 * (`.crlf.json`); a few stored files mix both, so the adapter converts the stored bytes to each form first.
 */
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  bodyStructure,
  decodeWords,
  parseAddressList,
  parseMessageBuffer,
  partInfo,
  partText,
  type AddressItem,
  type ParsedMessage,
  type PartNode,
} from '../../mime/index.js';
import { withLineEnds } from '../golden.js';
import { checkChunkings, Mismatches, streamParts, type Difference, type LineEnds, type Mismatch } from './compare.js';
import { STALWART_DIFFERENCES } from './stalwart-differences.js';

/** Stalwart's serialized message (its `Message` struct as JSON). */
export interface SwMessage {
  readonly html_body: number[];
  readonly text_body: number[];
  readonly attachments: number[];
  readonly parts: SwPart[];
}
interface SwPart {
  readonly headers: SwHeader[];
  readonly is_encoding_problem: boolean;
  readonly body: SwBody;
  readonly offset_header: number;
  readonly offset_body: number;
  readonly offset_end: number;
}
type SwBody =
  | { Text: string }
  | { Html: string }
  | { Binary: number[] }
  | { InlineBinary: number[] }
  | { Multipart: number[] }
  | { Message: SwMessage };
interface SwHeader {
  readonly name: string | { other: string };
  readonly value: SwValue;
  readonly offset_field: number;
  readonly offset_start: number;
  readonly offset_end: number;
}
type SwAddr = { name: string | null; address: string | null };
type SwValue =
  | 'Empty'
  | { Text: string }
  | { TextList: string[] }
  | { Address: { List: SwAddr[] } | { Group: { name: string | null; addresses: SwAddr[] }[] } }
  | { ContentType: { c_type: string; c_subtype: string | null; attributes: { name: string; value: string }[] | null } }
  | Record<string, unknown>;

/** One corpus message and the expected results it has. */
export interface StalwartCase {
  /** `rfc/001`: the suite folder and the file's base name. */
  readonly id: string;
  readonly eml: string;
  readonly expected: { readonly ends: LineEnds; readonly json: string }[];
}

/** Deliberate differences between postroom and Stalwart, with the reason for each (docs/mime-conformance.md). */
export const DIFFERENCES: readonly Difference[] = STALWART_DIFFERENCES;

/**
 * Lists the Stalwart messages under `<corpus>/stalwart`, in a stable order.
 *
 * @example
 * ```ts
 * listStalwartCases('/work/shared/corpus/mime')[0].id === 'malformed/000';
 * ```
 */
export function listStalwartCases(corpus: string): StalwartCase[] {
  const root = path.join(corpus, 'stalwart');
  if (!existsSync(root)) return [];
  const out: StalwartCase[] = [];
  for (const suite of readdirSync(root).sort()) {
    const dir = path.join(root, suite);
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith('.eml')) continue;
      const base = path.join(dir, f.slice(0, -4));
      const expected: StalwartCase['expected'][number][] = [];
      if (existsSync(`${base}.json`)) expected.push({ ends: 'lf', json: `${base}.json` });
      if (existsSync(`${base}.crlf.json`)) expected.push({ ends: 'crlf', json: `${base}.crlf.json` });
      out.push({ id: `${suite}/${f.slice(0, -4)}`, eml: `${base}.eml`, expected });
    }
  }
  return out;
}

/**
 * Parses the message with `ends` line ends both ways (parseMessageBuffer, and parts() fed in chunks of 13 bytes;
 * chunks of 1 and 64 bytes and one whole chunk must give the same entities and bodies) and compares the result
 * with Stalwart's expected JSON.
 *
 * @example
 * ```ts
 * const found = await compareStalwart(readFileSync(c.eml), 'lf', JSON.parse(readFileSync(c.expected[0].json, 'utf8')));
 * ```
 */
export async function compareStalwart(stored: Buffer, ends: LineEnds, expected: SwMessage): Promise<Mismatch[]> {
  const raw = withLineEnds(stored, ends);
  const msg = parseMessageBuffer(raw);
  const streamed = await streamParts(raw, 13);
  const mm = new Mismatches();
  // Both APIs must see the same entities (an internal consistency check, never a listed difference).
  mm.check(
    'api.parts',
    msg.parts.map((p) => `${p.path}:${p.kind}:${p.contentType}:${p.offsets.header}-${p.offsets.body}-${p.offsets.end}`),
    streamed.nodes.map((n) => `${n.path}:${n.kind}:${n.type.mime}:${n.offsets.header}-${n.offsets.body}-${n.offsets.end}`),
  );
  await checkChunkings(mm, raw, streamed, [1, 64, raw.length || 1]);
  const root = streamed.nodes[0];
  if (!root) return [...mm.list, { field: 'parts', theirs: String(expected.parts.length), ours: '0' }];
  compareMessage(mm, expected, root, '', { msg, bodies: streamed.bodies });
  // The convenient API's own fields (message.ts): the first Subject, the first From mailbox, every To mailbox.
  const top = expected.parts[0]?.headers ?? [];
  const first = (name: string): SwValue | undefined => top.find((h) => headerName(h.name) === name)?.value;
  const subject = first('subject');
  mm.check('message.subject', subject === undefined ? null : textOf(subject), msg.subject ?? null);
  const mailboxes = (name: string): Shown[] =>
    top.filter((h) => headerName(h.name) === name).flatMap((h) => {
      const a = addressesOf(h.value);
      return Array.isArray(a) ? a.flatMap((x) => ('group' in x ? x.members : [x])) : [];
    });
  mm.check('message.from', mailboxes('from')[0] ?? null, msg.from ? { name: msg.from.name, address: msg.from.address } : null);
  mm.check('message.to', mailboxes('to'), msg.to.map((m) => ({ name: m.name, address: m.address })));
  return mm.list;
}

interface Ctx {
  readonly msg: ParsedMessage;
  readonly bodies: Map<number, Buffer>;
}

function compareMessage(mm: Mismatches, sw: SwMessage, root: PartNode, prefix: string, ctx: Ctx): void {
  const map = new Map<number, number>();
  const walk = (i: number, node: PartNode): void => {
    const p = sw.parts[i];
    const f = `${prefix}parts[${i}]`;
    if (!p) {
      mm.check(`${f}`, 'missing', node.type.mime);
      return;
    }
    map.set(i, node.index);
    comparePart(mm, p, node, f, ctx);
    const kind = 'Multipart' in p.body ? 'multipart' : 'Message' in p.body ? 'message' : 'leaf';
    if (!mm.check(`${f}.kind`, kind, node.kind)) return;
    if ('Multipart' in p.body) {
      const kids = p.body.Multipart;
      const typeOf = (j: number): string => ctOf(sw.parts[j]?.headers ?? [], false)?.mime ?? 'default';
      if (!mm.check(`${f}.children`, kids.map(typeOf), node.children.map((c) => (c.type.defaulted ? 'default' : c.type.mime)))) {
        if (kids.length !== node.children.length) return;
      }
      kids.forEach((j, k) => walk(j, node.children[k]!));
    } else if ('Message' in p.body) {
      const inner = node.children[0];
      if (mm.check(`${f}.message`, 'nested message', inner ? 'nested message' : 'none') && inner) {
        compareMessage(mm, p.body.Message, inner, `${f}.message.`, ctx);
      }
    }
  };
  walk(0, root);
  const ours =
    prefix === '' ? { textBody: ctx.msg.textBody, htmlBody: ctx.msg.htmlBody, attachments: ctx.msg.attachments.map((a) => a.index) } : bodyStructure(root);
  const mapped = (list: number[]): (number | string)[] => list.map((i) => map.get(i) ?? `unmatched ${i}`);
  mm.check(`${prefix}text_body`, mapped(sw.text_body), ours.textBody);
  mm.check(`${prefix}html_body`, mapped(sw.html_body), ours.htmlBody);
  mm.check(`${prefix}attachments`, mapped(sw.attachments), ours.attachments);
}

const headerName = (n: SwHeader['name']): string => (typeof n === 'string' ? n : n.other).toLowerCase().replace(/-/g, '_');

/** The content type a Stalwart part was given: its (first) Content-Type header, else null. */
function ctOf(headers: readonly SwHeader[], disposition: boolean): { mime: string; params: Record<string, string> } | null {
  const h = headers.find((x) => headerName(x.name) === (disposition ? 'content_disposition' : 'content_type'));
  if (!h || typeof h.value !== 'object' || !('ContentType' in h.value)) return null;
  const ct = (h.value as { ContentType: { c_type: string; c_subtype: string | null; attributes: { name: string; value: string }[] | null } }).ContentType;
  const params: Record<string, string> = {};
  for (const a of ct.attributes ?? []) params[a.name.toLowerCase()] ??= a.value;
  const mime = ct.c_subtype === null || disposition ? ct.c_type.toLowerCase() : `${ct.c_type}/${ct.c_subtype}`.toLowerCase();
  return { mime, params };
}

function comparePart(mm: Mismatches, p: SwPart, node: PartNode, f: string, ctx: Ctx): void {
  mm.check(`${f}.offset_header`, p.offset_header, node.offsets.header);
  mm.check(`${f}.offset_body`, p.offset_body, node.offsets.body);
  mm.check(`${f}.offset_end`, p.offset_end, node.offsets.end);
  const fields = node.header.fields;
  mm.check(
    `${f}.headers`,
    p.headers.map((h) => `${headerName(h.name)}@${h.offset_field}+${h.offset_start - h.offset_field}+${h.offset_end - h.offset_start}`),
    fields.map((h) => `${h.key.replace(/-/g, '_')}@${h.offset}+${h.valueOffset - h.offset}+${h.raw.length - (h.valueOffset - h.offset)}`),
  );
  // Decoded values of the fields a reader sees, matched by name and order among fields of that name.
  const seen = new Map<string, number>();
  for (const h of p.headers) {
    const name = headerName(h.name);
    const k = seen.get(name) ?? 0;
    seen.set(name, k + 1);
    const ours = fields.filter((x) => x.key.replace(/-/g, '_') === name)[k];
    if (name === 'subject') mm.check(`${f}.headers.subject[${k}]`, textOf(h.value), ours ? decodeWords(ours.value).text : null);
    if (name === 'from' || name === 'to' || name === 'cc') {
      mm.check(`${f}.headers.${name}[${k}]`, addressesOf(h.value), ours ? ourAddresses(parseAddressList(ours.value)) : null);
    }
  }
  const ct = ctOf(p.headers, false);
  const info = partInfo(node);
  if (ct) {
    mm.check(`${f}.content_type`, ct.mime, node.type.mime);
    mm.check(`${f}.content_type.params`, sorted(ct.params), sorted(node.type.params));
  } else {
    const digest = node.parent?.kind === 'multipart' && node.parent.type.subtype === 'digest';
    mm.check(`${f}.content_type`, digest ? 'message/rfc822' : 'text/plain', node.type.mime);
  }
  const cd = ctOf(p.headers, true);
  mm.check(`${f}.disposition`, cd?.mime ?? null, info.disposition ?? null);
  mm.check(`${f}.filename`, cd?.params['filename'] ?? ct?.params['name'] ?? null, info.filename ?? null);
  const body = ctx.bodies.get(node.index);
  if ('Text' in p.body || 'Html' in p.body) {
    const want = 'Text' in p.body ? p.body.Text : p.body.Html;
    mm.check(`${f}.body`, want, body === undefined ? null : partText(body, info.charset).text);
  } else if ('Binary' in p.body || 'InlineBinary' in p.body) {
    const want = Buffer.from('Binary' in p.body ? p.body.Binary : p.body.InlineBinary);
    mm.check(`${f}.body`, want, body ?? null);
  }
}

function textOf(v: SwValue): string | null {
  if (v === 'Empty') return '';
  if (typeof v === 'object' && 'Text' in v && typeof v['Text'] === 'string') return v['Text'];
  return null;
}

type Shown = { name: string; address: string } | { group: string; members: { name: string; address: string }[] };

function addressesOf(v: SwValue): Shown[] | string | null {
  if (v === 'Empty') return [];
  if (typeof v !== 'object') return null;
  if ('Text' in v) return `text: ${String(v['Text'])}`;
  if (!('Address' in v)) return null;
  const a = v['Address'] as { List: SwAddr[] } | { Group: { name: string | null; addresses: SwAddr[] }[] };
  const one = (m: SwAddr) => ({ name: m.name ?? '', address: m.address ?? '' });
  if ('List' in a) return a.List.map(one);
  return a.Group.map((g) => (g.name === null ? g.addresses.map(one) : [{ group: g.name, members: g.addresses.map(one) }])).flat();
}

function ourAddresses(items: readonly AddressItem[]): Shown[] {
  return items.map((it) =>
    'group' in it ? { group: it.name, members: it.group.map((m) => ({ name: m.name, address: m.address })) } : { name: it.name, address: it.address },
  );
}

function sorted(o: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Reads one expected JSON file. */
export function readExpected(file: string): SwMessage {
  return JSON.parse(readFileSync(file, 'utf8')) as SwMessage;
}
