/**
 * Message-ID, In-Reply-To and References values: the msg-ids they hold.
 *
 * Implements RFC 5322 §3.6.4 (msg-id = "<" id-left "@" id-right ">") and §4.5.4 (obsolete forms: CFWS inside the
 * brackets, phrases between ids in In-Reply-To and References).
 *
 * Guarantees: never throws; linear in the input; ids come back without angle brackets, comments or whitespace, in
 * the order written, duplicates kept. Tolerant of missing brackets (a bare word is taken when it contains "@"), a
 * missing ">" at the end, commas between ids, and phrases such as `Your message of ...` between them.
 * Limits: bare words without "@" are ignored, so `Message-ID: 1234` gives no id.
 */

/** Removes whitespace and RFC 5322 §3.2.2 comments outside quoted strings (RFC 5322 §4.5.4 obsolete CFWS). */
function clean(id: string): string {
  if (!/[\s("]/.test(id)) return id;
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < id.length; i++) {
    const c = id[i]!;
    if (c === '\\' && (quoted || depth > 0)) {
      if (quoted) out.push(c, id[i + 1] ?? '');
      i++;
    } else if (depth > 0) {
      if (c === '(') depth++;
      else if (c === ')') depth--;
    } else if (c === '"') {
      quoted = !quoted;
      out.push(c);
    } else if (quoted) out.push(c);
    else if (c === '(') depth = 1;
    else if (!/\s/.test(c)) out.push(c);
  }
  return out.join('');
}

/**
 * Returns the msg-ids of a Message-ID, In-Reply-To or References value, without angle brackets. Tolerant of
 * missing brackets, comments, CFWS inside brackets and text between ids. Never throws.
 *
 * @example
 * ```ts
 * parseMessageIds('<a@x.test> (comment) b@y.test, <c@z.test>'); // ['a@x.test', 'b@y.test', 'c@z.test']
 * ```
 */
export function parseMessageIds(value: string): string[] {
  const ids: string[] = [];
  let close = -2; // memo of the next ">" (-1: none left), so many "<" stay linear
  for (let i = 0; i < value.length; ) {
    const c = value[i]!;
    if (c === '<') {
      if (close !== -1 && close <= i) close = value.indexOf('>', i + 1);
      let end = close;
      const next = value.indexOf('<', i + 1);
      // An unclosed "<" ends where the next one starts.
      if (end === -1 || (next !== -1 && next < end)) end = next === -1 ? value.length : next;
      const id = clean(value.slice(i + 1, end));
      if (id !== '') ids.push(id);
      i = value[end] === '>' ? end + 1 : end;
    } else if (c === '(') {
      let depth = 0;
      for (; i < value.length; i++) {
        if (value[i] === '\\') i++;
        else if (value[i] === '(') depth++;
        else if (value[i] === ')' && --depth === 0) break;
      }
      i++;
    } else if (/[\s,>]/.test(c)) i++;
    else {
      let j = i + 1;
      while (j < value.length && !/[\s,<(]/.test(value[j]!)) j++;
      const word = value.slice(i, j);
      // QUIRK: a bare id without brackets (RFC 5322 §3.6.4 requires them) is taken when it contains "@".
      if (word.includes('@') && !word.endsWith(':')) ids.push(word.replace(/[>.;:]+$/, '').replace(/^</, ''));
      i = j;
    }
  }
  return ids;
}
