/**
 * The value types of the configuration: each one parses a TOML value (or a flag's text) and says, in a few words,
 * what it expects. `config.ts` walks the keys with these; a value that does not parse stops start-up with one line
 * naming the key, the value and the `expected` text.
 *
 * Guarantees: parsers are pure and never throw; a bad value yields `BAD`. Sizes are whole bytes, durations whole
 * milliseconds, listen addresses a host and a port (port 0 asks the kernel for a free port) or null for "off".
 */
import { isIP } from 'node:net';
import * as path from 'node:path';

/** What a parser returns for a value it cannot accept. */
export const BAD: unique symbol = Symbol('bad config value');

/** Where a value came from, for resolving relative paths. */
export interface ValueContext {
  /** Relative paths are resolved against this directory (the config file's, or the working directory for flags). */
  readonly baseDir: string;
}

/** A type of configuration value. */
export interface ValueType<T> {
  /** What a good value looks like, for the one-line error (`expected a size like 25MiB`). */
  readonly expected: string;
  parse(value: unknown, ctx: ValueContext): T | typeof BAD;
}

/** An address a service listens on. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** pino's levels, plus `silent`. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/**
 * A byte count: a whole number of bytes, or a string with a unit (`25MiB`, `10 MB`, `512KiB`, `1G`).
 *
 * @example
 * ```ts
 * size(1).parse('25MiB', ctx) === 26214400;
 * ```
 */
export function size(min = 0): ValueType<number> {
  return {
    expected: min > 0 ? `a size like 25MiB (at least ${min} bytes)` : 'a size like 25MiB',
    parse(v) {
      let n: number | typeof BAD = BAD;
      if (typeof v === 'number' && Number.isInteger(v)) n = v;
      else if (typeof v === 'string') {
        const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
        const unit = m && SIZE_UNITS[m[2]!.toLowerCase()];
        if (m && unit !== undefined && unit !== null) n = Math.round(Number(m[1]) * unit);
      }
      return n !== BAD && Number.isSafeInteger(n) && n >= min ? n : BAD;
    },
  };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration as a string of numbers with units: `300s`, `5m`, `1h30m`, `5d`, `250ms`.
 *
 * @example
 * ```ts
 * duration().parse('1h30m', ctx) === 5_400_000;
 * ```
 */
export function duration(min = 0): ValueType<number> {
  return {
    expected: 'a duration like 300s, 5m, 1h or 5d',
    parse(v) {
      if (typeof v !== 'string' || !/^(?:\d+(?:ms|s|m|h|d))+$/.test(v.trim())) return BAD;
      let ms = 0;
      for (const m of v.trim().matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(m[1]) * DURATION_UNITS[m[2]!]!;
      return Number.isSafeInteger(ms) && ms >= min ? ms : BAD;
    },
  };
}

/** A whole number in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): ValueType<number> {
  return {
    expected: max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`,
    parse: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : BAD),
  };
}

/** true or false. */
export const boolean: ValueType<boolean> = {
  expected: 'true or false',
  parse: (v) => (typeof v === 'boolean' ? v : BAD),
};

/** One of a few strings. */
export function oneOf<T extends string>(...values: readonly T[]): ValueType<T> {
  return {
    expected: values.map((x) => JSON.stringify(x)).join(' or '),
    parse: (v) => (typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : BAD),
  };
}

/** pino's log levels. */
export const logLevel = oneOf<LogLevel>('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent');

/** RFC 1123 host name: letters, digits and hyphens in labels of at most 63, at most 253 in all. */
function isHostName(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}

/** A fully qualified host name, kept in lower case. */
export const hostName: ValueType<string> = {
  expected: 'a host name like mail.example.org',
  parse: (v) => (typeof v === 'string' && isHostName(v) ? v.toLowerCase() : BAD),
};

/** A mail domain, kept in lower case (a trailing dot is dropped). */
export const domainName: ValueType<string> = {
  expected: 'a domain name like example.org',
  parse: (v) => (typeof v === 'string' && isHostName(v.replace(/\.$/, '')) ? v.replace(/\.$/, '').toLowerCase() : BAD),
};

/** A list of values of one type (a single value counts as a list of one). */
export function listOf<T>(item: ValueType<T>, expected: string): ValueType<T[]> {
  return {
    expected,
    parse(v, ctx) {
      const items = Array.isArray(v) ? v : [v];
      const out: T[] = [];
      for (const x of items) {
        const p = item.parse(x, ctx);
        if (p === BAD) return BAD;
        if (!out.includes(p)) out.push(p);
      }
      return out;
    },
  };
}

/**
 * `HOST:PORT`, `[IPv6]:PORT` or `off` (null). The host is an IP address or a host name such as `localhost`.
 *
 * @example
 * ```ts
 * listen.parse('127.0.0.1:2525', ctx); // { host: '127.0.0.1', port: 2525 }
 * listen.parse('[::1]:0', ctx);        // { host: '::1', port: 0 }
 * listen.parse('off', ctx);            // null
 * ```
 */
export const listen: ValueType<ListenAddress | null> = {
  expected: 'HOST:PORT (like 127.0.0.1:2525 or [::1]:2525) or off',
  parse(v) {
    if (typeof v !== 'string') return BAD;
    if (v === 'off') return null;
    const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/i.exec(v);
    if (!m) return BAD;
    const host = m[1] ?? m[2]!;
    const port = Number(m[3]);
    if (port > 65535) return BAD;
    if (m[1] !== undefined ? isIP(host) !== 6 : isIP(host) !== 4 && !isHostName(host)) return BAD;
    return { host, port };
  },
};

/** An IP address or a CIDR network (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`). */
export const network: ValueType<string> = {
  expected: 'IP networks like ["127.0.0.0/8", "::1/128"]',
  parse(v) {
    if (typeof v !== 'string') return BAD;
    const [addr, bits, ...rest] = v.split('/');
    const family = isIP(addr ?? '');
    if (family === 0 || rest.length > 0) return BAD;
    if (bits === undefined) return v;
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) return BAD;
    return v;
  },
};

/** A next hop as written in the configuration: host, port and whether to look up MX records. */
export interface HopAddress {
  readonly host: string;
  readonly port: number;
  readonly mx: boolean;
}

/**
 * A next hop in Postfix's notation: `host`, `host:port`, `[host]:port` or `[IP]:port` (default port 25). Brackets
 * mean "connect to this host itself" (no MX lookup); a bare host name is looked up for MX records first; an IP
 * address is always connected to directly.
 *
 * @example
 * ```ts
 * hopAddress.parse('[127.0.0.1]:2526', ctx); // { host: '127.0.0.1', port: 2526, mx: false }
 * hopAddress.parse('mail.example.org', ctx); // { host: 'mail.example.org', port: 25, mx: true }
 * ```
 */
export const hopAddress: ValueType<HopAddress> = {
  expected: 'a next hop like [mail.example.org]:587, mail.example.org or 192.0.2.1:25',
  parse(v) {
    if (typeof v !== 'string') return BAD;
    const m = /^(?:\[([^\]\s]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(v.trim());
    if (!m) return BAD;
    const port = m[3] === undefined ? 25 : Number(m[3]);
    if (port < 1 || port > 65535) return BAD;
    const host = (m[1] ?? m[2]!).toLowerCase();
    const ip = isIP(host) !== 0;
    if (!ip && (!isHostName(host) || (m[1] === undefined && host.includes(':')))) return BAD;
    return { host, port, mx: m[1] === undefined && !ip };
  },
};

/** A file or directory path, resolved against the directory of the file that names it. */
export const filePath: ValueType<string> = {
  expected: 'a file path',
  parse: (v, ctx) => (typeof v === 'string' && v.length > 0 && !v.includes('\0') ? path.resolve(ctx.baseDir, v) : BAD),
};

/** A user name or numeric id to run as. */
export const userName: ValueType<string> = {
  expected: 'a user name like postroom, or a numeric user id',
  parse: (v) =>
    typeof v === 'string' && /^[a-z_][a-z0-9_.-]*\$?$/i.test(v) ? v : typeof v === 'number' && Number.isInteger(v) && v >= 0 ? String(v) : BAD,
};

/**
 * Shows a value the way the configuration file would write it, for error messages.
 *
 * @example
 * ```ts
 * showValue('big') === '"big"'; showValue(12) === '12'; showValue(['a', 1]) === '["a", 1]';
 * ```
 */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) return '{…}';
  return String(v);
}
