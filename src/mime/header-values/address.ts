/**
 * Address lists (From, To, Cc, Reply-To, Sender, Resent-*): parser and builder.
 *
 * Implements RFC 5322 §3.4 (mailbox, group, angle-addr, addr-spec), §3.2 (quoted strings, comments, CFWS), §4.4
 * (obsolete syntax: routes, CFWS around dots, empty list items), RFC 6532 §3.2 (UTF-8 in local parts, domains and
 * names), RFC 2047 §5(3) (encoded words in phrases) and RFC 5890 (IDNA A-labels when building without SMTPUTF8).
 *
 * Guarantees: `parseAddressList` never throws and is linear in the input. An address is only ever taken from
 * unquoted text (`"a@b" <c@d>` is c@d; `"x@evil.test"` alone is a name), and never from decoded encoded words. The
 * builders throw on CR, LF or NUL (header injection) and on addresses that are not `local@domain`.
 * Choices: a comma always separates list items, as in mailparser and Python's email package, so the unquoted
 * `Doe, John <j@x.test>` gives a name-only item "Doe" and then John <j@x.test>. A semicolon outside a group also
 * separates items (old mailers use it). A name equal to the address is dropped (mailparser).
 * Limits: nested groups (not allowed by RFC 5322) are flattened into the outer group; only the first angle-addr of
 * an item is used.
 */
import { domainToASCII } from 'node:url';
import { decodeWords } from './encoded-word.js';
import { assertNoLineBreak, encodeRuns } from './encode-words.js';

/**
 * One mailbox; `name` is decoded ('' when none), `address` is `local@domain` as written ('' when missing).
 *
 * @example
 * ```ts
 * const m: Mailbox = { name: 'Jörg', address: 'j@x.test' }; // from '=?UTF-8?Q?J=C3=B6rg?= <j@x.test>'
 * ```
 */
export interface Mailbox {
  name: string;
  address: string;
}
/**
 * A named group of mailboxes (RFC 5322 §3.4 group).
 *
 * @example
 * ```ts
 * const g: Group = { name: 'undisclosed-recipients', group: [] }; // from 'undisclosed-recipients:;'
 * ```
 */
export interface Group {
  name: string;
  group: Mailbox[];
}
/**
 * One item of an address list: a group has a `group` member, a mailbox does not.
 *
 * @example
 * ```ts
 * const isGroup = (it: AddressItem): it is Group => 'group' in it;
 * ```
 */
export type AddressItem = Mailbox | Group;

type Tok =
  | { t: 'atom' | 'quoted' | 'comment' | 'literal'; v: string; sp: boolean }
  | { t: 'special'; v: string; sp: boolean }
  | { t: 'angle'; inner: Tok[]; sp: boolean };

const SPECIALS = '<>@,:;';

/** Splits a value into RFC 5322 lexical tokens; `sp` says whether whitespace came before the token. */
function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  let sp = false;
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      sp = true;
      i++;
      continue;
    }
    if (c === '"' || c === '(' || c === '[') {
      // RFC 5322 §3.2.4 quoted-string, §3.2.2 comment (nested), §3.4.1 domain-literal; unterminated ones run to the end.
      const close = c === '"' ? '"' : c === '(' ? ')' : ']';
      const parts: string[] = [];
      let depth = 1;
      let j = i + 1;
      let from = j;
      for (; j < s.length; j++) {
        const d = s[j]!;
        if (d === '\\' && c !== '[' && j + 1 < s.length) {
          parts.push(s.slice(from, j));
          from = ++j;
        } else if (d === '(' && c === '(') depth++;
        else if (d === close && --depth === 0) break;
      }
      parts.push(s.slice(from, j));
      const v = parts.join('');
      toks.push({ t: c === '"' ? 'quoted' : c === '(' ? 'comment' : 'literal', v: c === '[' ? `[${v}]` : v, sp });
      i = j + 1;
    } else if (SPECIALS.includes(c)) {
      toks.push({ t: 'special', v: c, sp });
      i++;
    } else {
      let j = i + 1;
      while (j < s.length && !' \t\r\n"([<>@,:;'.includes(s[j]!)) j++;
      toks.push({ t: 'atom', v: s.slice(i, j), sp });
      i = j;
    }
    sp = false;
  }
  return toks;
}

/** Collects `<...>` starting at `toks[i]`; returns the angle token and the index after it. */
function readAngle(toks: readonly Tok[], i: number): [Tok, number] {
  let inner: Tok[] = [];
  const sp = toks[i]!.sp;
  let route = false; // inside an obsolete route "<@a,@b:" (RFC 5322 §4.4), until its ":"
  let j = i + 1;
  for (; j < toks.length; j++) {
    const t = toks[j]!;
    if (t.t !== 'special') inner.push(t);
    else if (t.v === '>') return [{ t: 'angle', inner, sp }, j + 1];
    else if (t.v === '<') {
      inner = []; // QUIRK: like Apple Mail, an unexpected "<" restarts the address
      route = false;
    } else if (t.v === ',' && !route) break; // an unclosed "<" ends at a comma
    else {
      if (t.v === '@' && inner.length === 0) route = true;
      else if (t.v === ':') route = false;
      inner.push(t);
    }
  }
  return [{ t: 'angle', inner, sp }, j];
}

const isAt = (t: Tok | undefined): boolean => t !== undefined && t.t === 'special' && t.v === '@';
const textOf = (t: Tok): string => (t.t === 'angle' ? '' : t.v);

/** RFC 5322 §3.2.3 dot-atom, with RFC 6532 UTF-8. */
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]+)*$/;

/** Joins address tokens; obsolete CFWS around "." and "@" is dropped (RFC 5322 §4.4), other spaces kept. */
function joinAddress(toks: readonly Tok[]): string {
  const out: string[] = [];
  let prev = '';
  for (const t of toks) {
    if (t.t === 'comment' || t.t === 'angle') continue;
    const v = t.t === 'quoted' ? (DOT_ATOM.test(t.v) ? t.v : `"${t.v.replace(/[\\"]/g, '\\$&')}"`) : t.v;
    if (t.sp && out.length > 0 && !prev.endsWith('.') && !prev.endsWith('@') && !v.startsWith('.') && v !== '@') out.push(' ');
    out.push(v);
    prev = v;
  }
  return out.join('');
}

/** The address inside `<...>`: route dropped (RFC 5322 §4.4 obs-route), `mailto:` dropped. */
function angleAddress(inner: readonly Tok[]): string {
  let start = 0;
  if (isAt(inner[0])) {
    const colon = inner.findIndex((t) => t.t === 'special' && t.v === ':');
    if (colon !== -1) start = colon + 1;
  }
  return joinAddress(inner.slice(start)).replace(/^mailto:/i, '');
}

/** Display text of phrase tokens, words separated as written, encoded words decoded (RFC 2047 §5(3)). */
function phrase(toks: readonly Tok[]): string {
  const out: string[] = [];
  for (const t of toks) {
    if (t.t === 'comment' || t.t === 'angle') continue;
    if (t.sp && out.length > 0) out.push(' ');
    out.push(t.v);
  }
  // QUIRK: encoded words inside quoted strings are decoded too (RFC 2047 §5 forbids them; Outlook sends them).
  return decodeWords(out.join('')).text.trim();
}

function comments(toks: readonly Tok[]): string {
  const cs = toks.filter((t) => t.t === 'comment').map((t) => decodeWords(textOf(t)).text.trim());
  return cs.filter((c) => c !== '').join(' ');
}

/** Builds one mailbox from the tokens of one list item; null when the item holds nothing. */
function toMailbox(seg: readonly Tok[]): Mailbox | null {
  if (seg.length === 0) return null;
  let name: string;
  let address: string;
  const a = seg.findIndex((t) => t.t === 'angle');
  if (a !== -1) {
    address = angleAddress((seg[a] as { inner: Tok[] }).inner);
    name = phrase(seg.slice(0, a)) || phrase(seg.slice(a + 1));
  } else {
    const at = seg.findIndex(isAt);
    if (at === -1) {
      name = phrase(seg);
      address = '';
    } else {
      // addr-spec without brackets: the tokens glued to the "@" (obsolete CFWS around dots allowed).
      const glued = (i: number, j: number): boolean =>
        !seg[j]!.sp || isAt(seg[i]) || isAt(seg[j]) || textOf(seg[i]!).endsWith('.') || textOf(seg[j]!).startsWith('.');
      let from = at;
      while (from > 0 && (seg[from - 1]!.t === 'atom' || seg[from - 1]!.t === 'quoted') && glued(from - 1, from)) from--;
      let to = at + 1;
      while (to < seg.length && (seg[to]!.t === 'atom' || seg[to]!.t === 'literal') && glued(to - 1, to)) to++;
      address = joinAddress(seg.slice(from, to));
      name = phrase([...seg.slice(0, from), ...seg.slice(to)]);
    }
  }
  // A comment stands in for a missing name (`john@x.test (John Doe)`), but a comment alone is no mailbox.
  if (address === '') return name === '' ? null : { name, address };
  if (name === '') name = comments(seg);
  if (name === address) name = '';
  return { name, address };
}

/**
 * Parses an address-list or mailbox-list (RFC 5322 §3.4). Tolerant: display names with encoded words, quoted
 * strings with escapes, comments (a comment-only name `john@x.test (John Doe)` gives the name), groups (nested ones
 * flattened), obsolete routes (dropped), missing angle brackets or missing `>`, UTF-8 addresses, trailing garbage.
 * An item without an address gives a mailbox whose `address` is ''. Never throws.
 *
 * @example
 * ```ts
 * parseAddressList('"Doe, John" <john@x.test>, Team: a@x.test;');
 * // [{ name: 'Doe, John', address: 'john@x.test' }, { name: 'Team', group: [{ name: '', address: 'a@x.test' }] }]
 * ```
 */
export function parseAddressList(value: string): AddressItem[] {
  const toks = tokenize(value);
  const items: AddressItem[] = [];
  let seg: Tok[] = [];
  let segHasAddress = false; // an "@" or "<" in the item: a later ":" is text, not a group
  let group: Group | null = null;
  let depth = 0;
  const flush = (): void => {
    const m = toMailbox(seg);
    seg = [];
    segHasAddress = false;
    if (m) (group ? group.group : items).push(m);
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.t === 'special') {
      if (t.v === '<') {
        const [angle, next] = readAngle(toks, i);
        seg.push(angle);
        segHasAddress = true;
        i = next - 1;
        continue;
      }
      if (t.v === '>') continue; // a stray ">" means nothing
      if (t.v === ',') {
        flush();
        continue;
      }
      if (t.v === ';') {
        flush();
        if (group && --depth === 0) {
          items.push(group);
          group = null;
        }
        continue;
      }
      if (t.v === '@') segHasAddress = true;
      if (t.v === ':' && !segHasAddress) {
        // RFC 5322 §3.4 group: display-name ":" [group-list] ";"
        if (group) depth++;
        else {
          group = { name: phrase(seg) || comments(seg), group: [] };
          depth = 1;
        }
        seg = [];
        continue;
      }
    }
    seg.push(t);
  }
  flush();
  if (group) items.push(group);
  return items;
}

/**
 * Flattens groups into their mailboxes, in order.
 *
 * @example
 * ```ts
 * flattenAddresses(parseAddressList('a@x.test, T: b@x.test;')).map((m) => m.address); // ['a@x.test', 'b@x.test']
 * ```
 */
export function flattenAddresses(items: readonly AddressItem[]): Mailbox[] {
  const out: Mailbox[] = [];
  for (const it of items) {
    if ('group' in it) out.push(...it.group);
    else out.push(it);
  }
  return out;
}

const ATEXT_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+( [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;
const ATEXT_PHRASE_UTF8 = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]+( [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]+)*$/;

/** A display name as atoms, a quoted-string (RFC 5322 §3.2.4) or encoded words (RFC 2047 §5(3)). */
function formatPhrase(name: string, utf8: boolean): string {
  assertNoLineBreak('Cannot encode mailbox name', name);
  if (!name.includes('=?')) {
    if ((utf8 ? ATEXT_PHRASE_UTF8 : ATEXT_PHRASE).test(name)) return name;
    if (/^[\x20-\x7e\t]*$/.test(name) || (utf8 && !/[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(name))) {
      return `"${name.replace(/[\\"]/g, '\\$&')}"`;
    }
  }
  // Whitespace other than single spaces between words is kept only inside encoded words (a phrase collapses it).
  const all = /^[ \t]|[ \t]$|\t|  /.test(name);
  return encodeRuns(name, { context: 'phrase', whole: all });
}

/** Checks an address for the builder and returns it (domain as IDNA A-labels unless utf8). */
function checkAddress(address: string, utf8: boolean): string {
  const what = `Cannot encode address ${JSON.stringify(address)}`;
  assertNoLineBreak(what, address);
  if (/[\s<>\x00-\x1f\x7f]/.test(address)) throw new Error(`${what}: contains whitespace, angle brackets or control characters`);
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) throw new Error(`${what}: not of the form local@domain`);
  const local = address.slice(0, at);
  let domain = address.slice(at + 1);
  if (!utf8 && NON_ASCII.test(local)) throw new Error(`${what}: a non-ASCII local part needs SMTPUTF8 (utf8 option)`);
  if (!utf8 && NON_ASCII.test(domain)) {
    // RFC 5890: without SMTPUTF8 the domain is sent as A-labels.
    domain = domainToASCII(domain);
    if (domain === '') throw new Error(`${what}: invalid internationalized domain`);
  }
  return `${local}@${domain}`;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Formats one mailbox: `Name <local@domain>`, or the bare address when there is no name. The name is sent as atoms,
 * a quoted string when it has RFC 5322 §3.2.3 specials, or RFC 2047 encoded words when it is non-ASCII (unless
 * `utf8`, RFC 6532). Throws on CR, LF or NUL, and on an address without "@" or with whitespace, `<`, `>` or controls.
 *
 * @example
 * ```ts
 * formatMailbox({ name: 'Doe, John', address: 'john@x.test' }) === '"Doe, John" <john@x.test>';
 * ```
 */
export function formatMailbox(m: { name?: string; address: string }, opts?: { utf8?: boolean }): string {
  const utf8 = opts?.utf8 === true;
  const address = checkAddress(m.address, utf8);
  const name = m.name ?? '';
  return name === '' ? address : `${formatPhrase(name, utf8)} <${address}>`;
}

/**
 * Formats an address list for To, Cc and the like, items joined with ", " (fold it with `formatHeader` and
 * `structured: true`). String items are parsed first, so `'John <j@x.test>'` and groups work; each mailbox then goes
 * through `formatMailbox` and throws like it.
 *
 * @example
 * ```ts
 * formatAddressList(['a@x.test', { name: 'Bé', address: 'b@x.test' }]) === 'a@x.test, =?UTF-8?B?QsOp?= <b@x.test>';
 * ```
 */
export function formatAddressList(
  list: readonly ({ name?: string; address: string } | string)[],
  opts?: { utf8?: boolean },
): string {
  const out: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string') {
      out.push(formatMailbox(item, opts));
      continue;
    }
    assertNoLineBreak('Cannot encode address list', item);
    for (const parsed of parseAddressList(item)) {
      if ('group' in parsed) {
        const members = parsed.group.map((m) => formatMailbox(m, opts)).join(', ');
        out.push(`${formatPhrase(parsed.name, opts?.utf8 === true)}:${members === '' ? '' : ' ' + members};`);
      } else out.push(formatMailbox(parsed, opts));
    }
  }
  return out.join(', ');
}
