/**
 * Random messages for the differential tests, built with fast-check: random Unicode subjects and display names,
 * random recipients, random text (quoted-printable, base64 or 8bit), optional HTML alternative and inline image,
 * random binary attachments with RFC 2231, RFC 2047-in-quotes or plain file names, forwarded messages, random
 * nesting of multipart/mixed levels, upper-case field names and values, and boundaries with every bchars class. The raw message is written here, by hand, from the model (not with Postroom's
 * composer), and the model also gives the expected view, so every parser is checked against the truth too.
 *
 * Limits of the model, chosen so that the truth is unambiguous: no control characters and no U+FEFF in generated
 * text (a leading BOM is dropped by every UTF-8 decoder); no "=?" in subjects and names; ASCII names that are sent
 * as bare phrases have single spaces; the text part is always the first body part.
 */
import fc from 'fast-check';
import { crlf, ewB, ewQ, qp, rfc2231 } from './golden-gen-lib.js';
import { sha256 } from './golden.js';
import { normText, sortAttachments, type View, type ViewAddress, type ViewAttachment } from './differential.js';

/** A generated message: its bytes and the view every parser should produce. */
export interface GeneratedMessage {
  readonly bytes: Buffer;
  readonly truth: View;
}

const SAMPLE = [...'abcdefghijklmnopqrstuvwxyz ABCXYZ 0123456789 .,;:!?-_()[]<>@"\\\'/+*&%$#=~|'];
const WORLD = [...'한글똠뷁안녕하세요日本語テストñéüßçøå€“”‘’—…✓☕🙂👍🎉ĀДжΩשלוםمرحبا'];

/** One character: mostly readable, sometimes any assigned-or-not code point outside controls and surrogates. */
const char = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...SAMPLE) },
  { weight: 3, arbitrary: fc.constantFrom(...WORLD) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 0xa0, max: 0x10ffff })
      .filter((c) => (c < 0xd800 || c > 0xdfff) && c !== 0xfeff)
      .map((c) => String.fromCodePoint(c)),
  },
);

const uni = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .array(char, { minLength: min, maxLength: max })
    .map((a) => a.join('').replace(/\s+/g, ' ').trim().replace(/=\?/g, '=_'))
    .filter((s) => s.length >= min);

/** Splits a string into pieces of at most `maxBytes` UTF-8 bytes, never inside a code point. */
function chunks(s: string, maxBytes: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of s) {
    if (Buffer.byteLength(cur + ch) > maxBytes && cur !== '') {
      out.push(cur);
      cur = '';
    }
    cur += ch;
  }
  if (cur !== '') out.push(cur);
  return out;
}

const printableAscii = (s: string): boolean => /^[\x20-\x7e]*$/.test(s);

/** An unstructured value (Subject) in the chosen form, folded. */
function unstructured(s: string, how: 'raw' | 'B' | 'Q' | 're'): string {
  if (how === 'raw' && printableAscii(s)) return s.replace(/(.{50,70}?) (?=\S)/g, '$1\r\n ');
  if (how === 're') return `Re: ${chunks(s, 45).map((c) => ewB(c, 'UTF-8')).join('\r\n ')}`;
  if (how === 'Q') return chunks(s, 20).map((c) => ewQ(c, 'UTF-8')).join('\r\n ');
  return chunks(s, 45).map((c) => ewB(c, 'UTF-8')).join('\r\n ');
}

/** A mailbox in one of the forms mailers use. */
function mailbox(m: ViewAddress, how: 'B' | 'Q' | 'quoted'): string {
  if (m.name === '') return `<${m.address}>`;
  if (/^[A-Za-z0-9]+( [A-Za-z0-9]+)*$/.test(m.name)) return `${m.name} <${m.address}>`;
  if (printableAscii(m.name) && how === 'quoted') return `"${m.name.replace(/["\\]/g, '\\$&')}" <${m.address}>`;
  const words = how === 'Q' ? chunks(m.name, 20).map((c) => ewQ(c, 'UTF-8')) : chunks(m.name, 45).map((c) => ewB(c, 'UTF-8'));
  return `${words.join(' ')} <${m.address}>`;
}

const b64 = (b: Uint8Array): string => (Buffer.from(b).toString('base64').match(/.{1,76}/g) ?? ['']).join('\r\n');

interface Attachment {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
  nameForm: 'rfc2231' | 'rfc2047' | 'plain';
}

interface Model {
  subject: string;
  subjectForm: 'raw' | 'B' | 'Q' | 're';
  from: ViewAddress;
  to: ViewAddress[];
  nameForm: 'B' | 'Q' | 'quoted';
  text: string;
  textEncoding: 'quoted-printable' | 'base64' | '8bit';
  html: boolean;
  inlineImage: Uint8Array | null;
  attachments: Attachment[];
  forward: boolean;
  /** For each attachment, how many multipart/mixed levels above the body it sits (0: beside the body). */
  levels: number[];
  seed: number;
  /** Spelling variants that change nothing (RFC 2045 §5.1, §6.1; RFC 2046 §5.1.1): upper-case names and values, and
   * boundaries drawn from every bchars class. */
  shout: boolean;
  bchars: boolean;
}

const address = fc.emailAddress();
const person = fc.record({ name: fc.oneof(fc.constant(''), uni(1, 24)), address });
const attachment = fc.record({
  filename: uni(1, 40).map((s) => s.replace(/[/\\]/g, '_')),
  contentType: fc.constantFrom('application/octet-stream', 'application/pdf', 'image/png', 'application/zip', 'audio/mpeg'),
  bytes: fc.uint8Array({ maxLength: 700 }),
  nameForm: fc.constantFrom('rfc2231', 'rfc2047', 'plain') as fc.Arbitrary<Attachment['nameForm']>,
});

/** The model of a random message. */
export const modelArb: fc.Arbitrary<Model> = fc
  .record({
    subject: uni(1, 90),
    subjectForm: fc.constantFrom('raw', 'B', 'Q', 're') as fc.Arbitrary<Model['subjectForm']>,
    from: person,
    to: fc.array(person, { minLength: 1, maxLength: 3 }),
    nameForm: fc.constantFrom('B', 'Q', 'quoted') as fc.Arbitrary<Model['nameForm']>,
    text: fc.array(uni(0, 70), { minLength: 1, maxLength: 6 }).map((lines) => `${lines.join('\n')}\n`),
    textEncoding: fc.constantFrom('quoted-printable', 'base64', '8bit') as fc.Arbitrary<Model['textEncoding']>,
    html: fc.boolean(),
    inlineImage: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { freq: 4 }),
    attachments: fc.array(attachment, { maxLength: 3 }),
    forward: fc.boolean(),
    levels: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
    seed: fc.integer({ min: 0, max: 0xffffff }),
    shout: fc.boolean(),
    bchars: fc.boolean(),
  })
  .map((m) => ({ ...m, subjectForm: m.subjectForm === 'raw' && !printableAscii(m.subject) ? 'B' : m.subjectForm }));

function fileHeader(a: Attachment, disposition: 'attachment' | 'inline', cid?: string): string {
  const plainOk = printableAscii(a.filename) && !/["\\]/.test(a.filename);
  const form = a.nameForm === 'plain' && !plainOk ? 'rfc2231' : a.nameForm;
  let ct = `Content-Type: ${a.contentType}`;
  let cd = `Content-Disposition: ${disposition}`;
  if (form === 'plain') {
    ct += `; name="${a.filename}"`;
    cd += `; filename="${a.filename}"`;
  } else if (form === 'rfc2047') {
    const words = chunks(a.filename, 45).map((c) => ewB(c, 'UTF-8')).join(' ');
    ct += `;\r\n name="${words}"`;
    cd += `;\r\n filename="${words}"`;
  } else {
    const ext = rfc2231(a.filename, 'UTF-8');
    const segs = ext.match(/.{1,60}(?:%[0-9A-F]{2})?/g)!.reduce<string[]>((acc, s) => {
      // never cut a %XX escape
      const prev = acc.length > 0 ? acc[acc.length - 1]! : null;
      const m = prev === null ? null : /%[0-9A-F]?$/.exec(prev);
      if (prev !== null && m) {
        acc[acc.length - 1] = prev.slice(0, m.index);
        acc.push(m[0] + s);
      } else acc.push(s);
      return acc;
    }, []);
    cd += segs.length === 1 ? `; filename*=${segs[0]}` : segs.map((s, i) => `;\r\n filename*${i}*=${s}`).join('');
  }
  return `${ct}\r\n${cd}\r\nContent-Transfer-Encoding: base64${cid ? `\r\nContent-ID: <${cid}>` : ''}`;
}

/** Writes the raw message for a model, and the view it must parse to. */
export function render(m: Model, depth = 0): GeneratedMessage {
  let n = 0;
  const boundary = (): string => (m.bchars ? `'()+_,-./:=? ${m.seed.toString(36)}.${depth}.${n++}` : `=_pr_${m.seed.toString(16)}_${depth}_${n++}`);
  const multipart = (sub: string, parts: string[], extra = ''): string => {
    const b = boundary();
    return `Content-Type: multipart/${sub}; boundary="${b}"${extra}\r\n\r\n${parts.map((p) => `--${b}\r\n${p}\r\n`).join('')}--${b}--\r\n`;
  };
  // Everything below is a binary string (one char per byte): ASCII, plus the UTF-8 bytes of 8bit text.
  const text = crlf(m.text);
  const textBody =
    m.textEncoding === 'base64'
      ? b64(Buffer.from(text, 'utf8'))
      : m.textEncoding === 'quoted-printable'
        ? crlf(qp(Buffer.from(m.text, 'utf8')))
        : Buffer.from(text, 'utf8').toString('latin1');
  const cte = m.shout ? `CONTENT-TRANSFER-ENCODING: ${m.textEncoding.toUpperCase()}` : `Content-Transfer-Encoding: ${m.textEncoding}`;
  let body = `${m.shout ? 'CONTENT-TYPE: TEXT/PLAIN; CHARSET=UTF-8' : 'Content-Type: text/plain; charset=UTF-8'}\r\n${cte}\r\n\r\n${textBody}`;
  const attachments: ViewAttachment[] = [];
  if (m.html) {
    const esc = m.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '<br>\r\n');
    let html = `Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(Buffer.from(`<div>${esc}</div>`, 'utf8'))}`;
    if (m.inlineImage) {
      const img: Attachment = { filename: 'image001.png', contentType: 'image/png', bytes: m.inlineImage, nameForm: 'plain' };
      html = multipart('related', [html, `${fileHeader(img, 'inline', 'image001@gen')}\r\n\r\n${b64(img.bytes)}`], '; type="text/html"');
      attachments.push({ filename: img.filename, sha256: sha256(img.bytes), size: img.bytes.length });
    }
    body = multipart('alternative', [body, html]);
  }
  const files: { level: number; part: string }[] = m.attachments.map((a, i) => {
    attachments.push({ filename: a.filename, sha256: sha256(a.bytes), size: a.bytes.length });
    return { level: m.levels[i] ?? 0, part: `${fileHeader(a, 'attachment')}\r\n\r\n${b64(a.bytes)}` };
  });
  if (m.forward && depth === 0) {
    const inner = render({ ...m, forward: false, attachments: m.attachments.slice(0, 1), seed: m.seed ^ 0x5a5a }, 1).bytes;
    files.push({
      level: m.levels[3] ?? 0,
      part: `Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="forwarded.eml"\r\n\r\n${inner.toString('latin1')}`,
    });
    attachments.push({ filename: 'forwarded.eml', sha256: sha256(inner), size: inner.length });
  }
  for (let level = 0; level <= 2; level++) {
    const here = files.filter((f) => f.level === level).map((f) => f.part);
    const wrap = here.length > 0 || (level === 1 && m.seed % 3 === 0);
    if (wrap) body = multipart('mixed', [body, ...here]);
  }
  const head =
    `From: ${mailbox(m.from, m.nameForm)}\r\n` +
    `To: ${m.to.map((t) => mailbox(t, m.nameForm)).join(',\r\n ')}\r\n` +
    `Subject: ${unstructured(m.subject, m.subjectForm)}\r\n` +
    `Date: Thu, 20 Mar 2025 10:00:00 +0000\r\nMessage-ID: <gen-${m.seed}-${depth}@example.test>\r\nMIME-Version: 1.0\r\n`;
  const fix = (a: ViewAddress): ViewAddress => ({ name: a.name, address: a.address });
  return {
    bytes: Buffer.from(head + body, 'latin1'),
    truth: {
      from: fix(m.from),
      to: m.to.map(fix),
      subject: m.subjectForm === 're' ? `Re: ${m.subject}` : m.subject,
      text: normText(m.text),
      attachments: sortAttachments(attachments),
    },
  };
}

/**
 * `count` messages from a fixed seed (the same messages on every run).
 *
 * @example
 * ```ts
 * generateMessages(200).length === 200;
 * ```
 */
export function generateMessages(count: number, seed = 20250320): GeneratedMessage[] {
  return fc.sample(modelArb, { seed, numRuns: count }).map((m) => render(m));
}
