/**
 * Adapter for Apache mime4j's test messages (`mime4j/testmsgs/NAME.msg`): compares postroom's reading of each
 * message with the results mime4j's own tests expect.
 *
 * mime4j gives, per message, `NAME.xml` (MimeStreamParserExampleMessagesTest: the entity tree with each header
 * field as written and each leaf's raw, still transfer-encoded body) and `NAME_decoded.xml` (MessageParserTest:
 * the same tree whose leaves name `NAME_decoded_<id>.txt|.bin`, the decoded body; ids are "1", then "_<n>" per
 * multipart child and "_1" for the message inside message/rfc822). Compared: the tree (which entity is a
 * multipart, a message/rfc822 container or a leaf; the number of children), each entity's header fields (raw,
 * in order), each leaf's raw body (our offsets.body..offsets.end), its decoded bytes, and text versus binary
 * (mime4j makes a TextBody for text/* types). Preambles and epilogues are not compared.
 * Messages are read as stored (CRLF line ends).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PartNode } from '../../mime/index.js';
import { checkChunkings, Mismatches, streamParts, type Difference, type Mismatch } from './compare.js';
import { MIME4J_DIFFERENCES } from './mime4j-differences.js';

/** One entity of mime4j's expected tree. */
export interface M4Entity {
  readonly fields: string[];
  readonly body: M4Body;
}
/** What an entity holds: parts, a nested message, a decoded body file, or (in NAME.xml) the raw body. */
export type M4Body =
  | { readonly t: 'multipart'; readonly parts: M4Entity[] }
  | { readonly t: 'message'; readonly entity: M4Entity }
  | { readonly t: 'text' | 'binary'; readonly file: string }
  | { readonly t: 'raw'; readonly text: string };

/** One corpus message. */
export interface Mime4jCase {
  /** The file's base name, e.g. `missing-inner-boundary`. */
  readonly id: string;
  readonly msg: string;
  readonly dir: string;
}

/** Deliberate differences between postroom and mime4j, with the reason for each (docs/mime-conformance.md). */
export const DIFFERENCES: readonly Difference[] = MIME4J_DIFFERENCES;

/**
 * Lists the mime4j messages under `<corpus>/mime4j/testmsgs`, in a stable order.
 *
 * @example
 * ```ts
 * listMime4jCases('/work/shared/corpus/mime')[0].id === 'bad-newlines-multiple-parts';
 * ```
 */
export function listMime4jCases(corpus: string): Mime4jCase[] {
  const dir = path.join(corpus, 'mime4j', 'testmsgs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.msg'))
    .sort()
    .map((f) => ({ id: f.slice(0, -4), msg: path.join(dir, f), dir }));
}

const TAG = /<(\/?)(message|body-part|header|field|multipart|preamble|epilogue|body)>|<(text-body|binary-body) name="([^"]*)"\/>/g;
const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/**
 * Parses one of mime4j's XML files (latin1, CRLF) into its entity tree.
 *
 * @example
 * ```ts
 * parseMime4jXml('<message>\r\n<header>\r\n</header>\r\n<body>\r\nhi</body>\r\n</message>\r\n').body; // { t: 'raw', text: 'hi' }
 * ```
 */
export function parseMime4jXml(xml: string): M4Entity {
  const toks: { close: boolean; name: string; file?: string; at: number; end: number }[] = [];
  for (const m of xml.matchAll(TAG)) {
    const at = m.index;
    if (m[3]) toks.push({ close: false, name: m[3], file: m[4]!, at, end: at + m[0].length });
    else toks.push({ close: m[1] === '/', name: m[2]!, at, end: at + m[0].length });
  }
  let k = 0;
  const expect = (name: string, close: boolean) => {
    const t = toks[k++];
    if (!t || t.name !== name || t.close !== close) throw new Error(`Cannot parse mime4j XML: expected ${close ? '/' : ''}${name} at token ${k - 1}`);
    return t;
  };
  // Text between an opening tag (and the CRLF after it) and its closing tag.
  const text = (name: string): string => {
    const open = expect(name, false);
    const close = expect(name, true);
    return unescape(xml.slice(open.end + 2, close.at));
  };
  const entity = (): M4Entity => {
    const open = toks[k++]!;
    const fields: string[] = [];
    expect('header', false);
    while (toks[k]?.name === 'field') fields.push(text('field'));
    expect('header', true);
    const next = toks[k]!;
    let body: M4Body;
    if (next.name === 'multipart') {
      k++;
      if (toks[k]?.name === 'preamble') text('preamble');
      const parts: M4Entity[] = [];
      while (toks[k]?.name === 'body-part' && !toks[k]!.close) parts.push(entity());
      if (toks[k]?.name === 'epilogue') text('epilogue');
      expect('multipart', true);
      body = { t: 'multipart', parts };
    } else if (next.name === 'message' && !next.close) body = { t: 'message', entity: entity() };
    else if (next.name === 'body') body = { t: 'raw', text: text('body') };
    else {
      k++;
      body = { t: next.name === 'text-body' ? 'text' : 'binary', file: next.file! };
    }
    expect(open.name, true);
    return { fields, body };
  };
  return entity();
}

/**
 * Parses the message (parts() fed in chunks of 13 bytes) and compares it with NAME.xml and NAME_decoded.xml.
 *
 * @example
 * ```ts
 * const found = await compareMime4j(listMime4jCases(corpus)[0]);
 * ```
 */
export async function compareMime4j(c: Mime4jCase): Promise<Mismatch[]> {
  const raw = readFileSync(c.msg);
  const streamed = await streamParts(raw, 13);
  const root = streamed.nodes[0]!;
  const mm = new Mismatches();
  await checkChunkings(mm, raw, streamed, [1, 64, raw.length || 1]);
  const rawTree = parseMime4jXml(readFileSync(path.join(c.dir, `${c.id}.xml`), 'latin1'));
  const decodedTree = parseMime4jXml(readFileSync(path.join(c.dir, `${c.id}_decoded.xml`), 'latin1'));
  const walk = (rawE: M4Entity, decE: M4Entity, node: PartNode, f: string): void => {
    mm.check(
      `${f}.fields`,
      decE.fields,
      node.header.fields.map((h) => h.raw.toString('latin1').replace(/\r?\n$/, '')),
    );
    const kind = decE.body.t === 'multipart' ? 'multipart' : decE.body.t === 'message' ? 'message' : 'leaf';
    if (!mm.check(`${f}.kind`, kind, node.kind)) return;
    if (decE.body.t === 'multipart' && rawE.body.t === 'multipart') {
      const dp = decE.body.parts;
      if (!mm.check(`${f}.parts`, dp.length, node.children.length)) return;
      dp.forEach((p, i) => walk((rawE.body as { parts: M4Entity[] }).parts[i]!, p, node.children[i]!, `${f}_${i + 1}`));
    } else if (decE.body.t === 'message' && rawE.body.t === 'message') {
      const inner = node.children[0];
      if (mm.check(`${f}.message`, 'nested message', inner ? 'nested message' : 'none') && inner) walk(rawE.body.entity, decE.body.entity, inner, `${f}_1`);
    } else if (decE.body.t === 'text' || decE.body.t === 'binary') {
      mm.check(`${f}.textBody`, decE.body.t === 'text', node.type.type === 'text');
      if (rawE.body.t === 'raw') mm.check(`${f}.raw`, Buffer.from(rawE.body.text, 'latin1'), raw.subarray(node.offsets.body, node.offsets.end));
      const file = path.join(c.dir, decE.body.file);
      mm.check(`${f}.decoded`, existsSync(file) ? readFileSync(file) : 'missing file', streamed.bodies.get(node.index) ?? null);
    }
  };
  walk(rawTree, decodedTree, root, '1');
  return mm.list;
}
