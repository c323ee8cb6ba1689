/**
 * Date-time values (Date, Resent-Date, Received's last part): tolerant parser and RFC 5322 formatter.
 *
 * Implements RFC 5322 §3.3 (date-time) and §4.3 (obsolete forms: 2- and 3-digit years, named and military zones,
 * CFWS anywhere). Also reads what real mailers send: no day name, no seconds, lowercase or full month names,
 * asctime order (`Mon Jan  2 15:04:05 2006`), `dd-Mon-yyyy`, ISO 8601, `GMT+0100`, AM/PM, common non-RFC zone
 * abbreviations (CET, JST...), comments and trailing junk.
 *
 * Guarantees: `parseDate` never throws; it returns null unless a day, month and year are found and every field is in
 * range (day within the month, hour ≤ 23, minute ≤ 59, second ≤ 60; a leap second 60 is read as 59). A missing time
 * is midnight; a missing or unknown zone is read as -0000, i.e. UTC (RFC 5322 §4.3). `formatDate` always writes the
 * §3.3 form with a day name, a 2-digit day and seconds. Limits: years before 1000 are rejected.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Zone offsets in minutes east of UTC. RFC 5322 §4.3 names first, then common abbreviations mailers write. */
const ZONES: Record<string, number> = {
  ut: 0, gmt: 0, utc: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
  // QUIRK: not RFC 5322 (§4.3 says other names mean -0000), but unambiguous and sent by real mailers.
  wet: 0, west: 60, bst: 60, cet: 60, cest: 120, met: 60, mest: 120, eet: 120, eest: 180, msk: 180, ist: 330,
  sgt: 480, hkt: 480, jst: 540, kst: 540, aest: 600, aedt: 660, nzst: 720, nzdt: 780, hst: -600, akst: -540, akdt: -480,
};

const FULL_MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** 1-12 for "jan", "Jan.", "sept", "january"; 0 for anything else. */
function monthOf(tok: string): number {
  const t = tok.endsWith('.') ? tok.slice(0, -1) : tok;
  const m = t.length === 3 ? MONTHS.indexOf(t) : t === 'sept' ? 8 : FULL_MONTHS.indexOf(t);
  return m + 1;
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number): number => (m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);

/** Removes RFC 5322 §3.2.2 comments (nested, with quoted pairs). */
function stripComments(s: string): string {
  if (!s.includes('(')) return s;
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && depth > 0) i++;
    else if (c === '(') {
      if (depth++ === 0) out.push(s.slice(from, i), ' ');
    } else if (c === ')' && depth > 0 && --depth === 0) from = i + 1;
  }
  if (depth === 0) out.push(s.slice(from));
  return out.join('');
}

/** Reads a numeric zone `+hhmm`, `-hh:mm`, `+hh`; minutes east of UTC, or null. */
function numericZone(tok: string): number | null {
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(tok) ?? /^([+-])(\d)$/.exec(tok);
  if (!m) return null;
  const h = Number(m[2]);
  const min = m[3] === undefined ? 0 : Number(m[3]);
  if (h > 23 || min > 59) return null;
  return (m[1] === '-' ? -1 : 1) * (h * 60 + min);
}

/** Reads any zone token: numeric, named, `GMT+0100`, or a military letter (RFC 5322 §4.3: treat as -0000). */
function zoneOf(tok: string): number | null {
  const n = numericZone(tok);
  if (n !== null) return n;
  const named = ZONES[tok];
  if (named !== undefined) return named;
  const prefixed = /^(?:gmt|utc|ut)([+-].*)$/.exec(tok);
  if (prefixed) return numericZone(prefixed[1]!);
  if (/^[a-ik-z]$/.test(tok)) return 0;
  return null;
}

/** Builds the Date from fields, checking every range; null when out of range. */
function build(y: number, mo: number, d: number, h: number, mi: number, s: number, zone: number): Date | null {
  if (y < 1000 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return null;
  if (h > 23 || mi > 59 || s > 60) return null;
  const t = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59)) - zone * 60_000;
  return Number.isFinite(t) ? new Date(t) : null;
}

/** RFC 5322 §4.3: 2-digit years 00-49 are 20xx, 50-99 are 19xx; 3-digit years add 1900. */
function fullYear(tok: string): number {
  const y = Number(tok);
  if (tok.length <= 2) return y < 50 ? 2000 + y : 1900 + y;
  if (tok.length === 3) return 1900 + y;
  return y;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Parses an RFC 5322 date-time, tolerating the obsolete forms of §4.3 and what real mailers send. Returns null when
 * no valid date can be recovered.
 *
 * @example
 * ```ts
 * parseDate('Fri, 21 Nov 1997 09:55:06 -0600')?.toISOString() === '1997-11-21T15:55:06.000Z';
 * ```
 */
export function parseDate(value: string): Date | null {
  const s = stripComments(value).toLowerCase().replace(/\s*:\s*/g, ':').trim();
  const iso = ISO.exec(s);
  if (iso) {
    const zone = iso[7] === undefined ? 0 : zoneOf(iso[7]) ?? 0;
    return build(+iso[1]!, +iso[2]!, +iso[3]!, +(iso[4] ?? 0), +(iso[5] ?? 0), +(iso[6] ?? 0), zone);
  }
  const toks = s.split(/[\s,]+|(?<=[a-z])[-/.](?=\d)|(?<=\d)[-/](?=[a-z])/).filter((t) => t !== '');
  let month = 0;
  let time: number[] | null = null;
  let zone: number | null = null;
  let pm: boolean | null = null;
  const before: string[] = [];
  const after: string[] = [];
  for (const tok of toks) {
    const t = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(tok);
    if (t && time === null) {
      time = [+t[1]!, +t[2]!, +(t[3] ?? 0)];
      continue;
    }
    if (/^\d{1,4}$/.test(tok)) {
      (month === 0 ? before : after).push(tok);
      continue;
    }
    if (month === 0) {
      const m = monthOf(tok);
      if (m !== 0) {
        month = m;
        continue;
      }
    }
    if ((tok === 'am' || tok === 'pm') && time !== null) {
      pm = tok === 'pm';
      continue;
    }
    if (zone === null && (time !== null || /^[+-]\d{4}$/.test(tok))) {
      const z = zoneOf(tok);
      if (z !== null) zone = z;
    }
    // anything else (day names, junk) is ignored
  }
  if (month === 0) return null;
  // RFC order is "day month year"; asctime and US order is "month day ... year".
  let day: string | undefined;
  let year: string | undefined;
  if (before.length > 0) {
    day = before[before.length - 1];
    year = after[0];
    if (day!.length > 2 && year !== undefined && year.length <= 2) [day, year] = [year, day];
  } else {
    day = after[0];
    year = after[1];
  }
  if (day === undefined || year === undefined || day.length > 2) return null;
  let [h, mi, sec] = time ?? [0, 0, 0];
  if (pm !== null && h! >= 1 && h! <= 12) h = (h! % 12) + (pm ? 12 : 0);
  return build(fullYear(year), month, Number(day), h!, mi!, sec!, zone ?? 0);
}

/**
 * Formats a Date as an RFC 5322 §3.3 date-time in the given offset (minutes east of UTC; default: the local zone at
 * that instant). Throws on an invalid Date or an offset that is not a whole number of minutes within ±23:59.
 *
 * @example
 * ```ts
 * formatDate(new Date('2026-11-26T10:50:41Z'), 60) === 'Thu, 26 Nov 2026 11:50:41 +0100';
 * ```
 */
export function formatDate(d: Date, offsetMinutes?: number): string {
  const t = d.getTime();
  if (!Number.isFinite(t)) throw new Error('Cannot format date: invalid Date');
  const offset = offsetMinutes ?? -d.getTimezoneOffset();
  if (!Number.isInteger(offset) || Math.abs(offset) > 23 * 60 + 59) {
    throw new Error(`Cannot format date: invalid offset ${offset}`);
  }
  const l = new Date(t + offset * 60_000);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const abs = Math.abs(offset);
  const zone = `${offset < 0 ? '-' : '+'}${p2(Math.floor(abs / 60))}${p2(abs % 60)}`;
  const year = String(l.getUTCFullYear()).padStart(4, '0');
  return (
    `${DAYS[l.getUTCDay()]!}, ${p2(l.getUTCDate())} ${MONTH_NAMES[l.getUTCMonth()]!} ${year} ` +
    `${p2(l.getUTCHours())}:${p2(l.getUTCMinutes())}:${p2(l.getUTCSeconds())} ${zone}`
  );
}
