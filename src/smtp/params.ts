/**
 * MAIL and RCPT parameters (RFC 5321 §4.1.2 esmtp-param): SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531),
 * RET and ENVID (RFC 3461 §4.3–4.4), AUTH (RFC 4954 §5) on MAIL; NOTIFY and ORCPT (RFC 3461 §4.1–4.2) on RCPT.
 *
 * Each problem gets its precise reply: an unknown keyword 555 5.5.4, a malformed or repeated one 501 5.5.4, a SIZE
 * over the limit 552 5.3.4. Keywords are case-insensitive; values are kept as sent except where the RFC defines
 * them case-insensitively (BODY, RET, NOTIFY). xtext values (ENVID, ORCPT) are decoded.
 */
import type { BodyType, MailOptions, RcptOptions } from './server/index.js';
import { syntax, tooBig, unsupportedParameter } from './reply.js';
import { decodeXtext } from './xtext.js';

const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
// RFC 5321 esmtp-value = 1*(%d33-60 / %d62-126), extended with UTF-8 by RFC 6531 §3.3.
const VALUE = /^[\x21-\x3c\x3e-\x7e\u0080-\u{10ffff}]+$/u;

/**
 * Splits parameters into upper-cased keywords and their values (null for a keyword without "=").
 *
 * @example
 * ```ts
 * parseParams('size=100 SMTPUTF8'); // Map { 'SIZE' => '100', 'SMTPUTF8' => null }
 * ```
 */
export function parseParams(rest: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const token of rest.split(' ')) {
    if (token === '') continue;
    const eq = token.indexOf('=');
    const key = (eq < 0 ? token : token.slice(0, eq)).toUpperCase();
    const value = eq < 0 ? null : token.slice(eq + 1);
    if (!KEYWORD.test(key)) throw syntax('malformed parameter');
    if (value !== null && !VALUE.test(value)) throw syntax(`malformed value of ${key}`);
    if (out.has(key)) throw syntax(`duplicate parameter ${key}`);
    out.set(key, value);
  }
  return out;
}

function xtextValue(key: string, value: string | null, max: number): string {
  const decoded = value === null ? null : decodeXtext(value);
  if (decoded === null || decoded === '') throw syntax(`${key} requires an xtext value`);
  if (decoded.length > max) throw syntax(`${key} longer than ${max} characters`);
  return decoded;
}

const noValue = (key: string, value: string | null): void => {
  if (value !== null) throw syntax(`${key} takes no value`);
};

/**
 * MAIL parameters as MailOptions. `maxMessageBytes` is the limit advertised with SIZE.
 *
 * @example
 * ```ts
 * parseMailParams('SIZE=1000 BODY=8BITMIME RET=HDRS ENVID=q+2B1', { maxMessageBytes: 25 << 20 });
 * // { size: 1000, body: '8BITMIME', smtputf8: false, ret: 'HDRS', envid: 'q+1', requireTls: false }
 * ```
 */
export function parseMailParams(rest: string, limits: { maxMessageBytes: number }): MailOptions {
  let size: number | undefined;
  let body: BodyType | undefined;
  let smtputf8 = false;
  let ret: 'FULL' | 'HDRS' | undefined;
  let envid: string | undefined;
  for (const [key, value] of parseParams(rest)) {
    switch (key) {
      case 'SIZE': // RFC 1870 §6
        if (value === null || !/^\d{1,20}$/.test(value)) throw syntax('SIZE requires a number');
        size = Number(value);
        if (size > limits.maxMessageBytes) throw tooBig();
        break;
      case 'BODY': {
        // RFC 6152 §2; BINARYMIME (RFC 3030) is not offered.
        const v = value?.toUpperCase();
        if (v !== '7BIT' && v !== '8BITMIME') throw v === 'BINARYMIME' ? unsupportedParameter('BODY=BINARYMIME') : syntax('BODY must be 7BIT or 8BITMIME');
        body = v;
        break;
      }
      case 'SMTPUTF8': // RFC 6531 §3.4
        noValue(key, value);
        smtputf8 = true;
        break;
      case 'RET': {
        // RFC 3461 §4.3
        const v = value?.toUpperCase();
        if (v !== 'FULL' && v !== 'HDRS') throw syntax('RET must be FULL or HDRS');
        ret = v;
        break;
      }
      case 'ENVID': // RFC 3461 §4.4: at most 100 characters
        envid = xtextValue(key, value, 100);
        break;
      case 'AUTH': // RFC 4954 §5: accepted; the identity it asserts is not trusted
        if (value !== '<>') xtextValue(key, value, 1000);
        break;
      default:
        throw unsupportedParameter(key);
    }
  }
  return { size, body, smtputf8, ret, envid, requireTls: false };
}

const NOTIFY = new Set(['SUCCESS', 'FAILURE', 'DELAY']);

/**
 * RCPT parameters as RcptOptions.
 *
 * @example
 * ```ts
 * parseRcptParams('NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bx@y.example');
 * // { notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;b+x@y.example' }
 * ```
 */
export function parseRcptParams(rest: string): RcptOptions {
  let notify: ('NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY')[] | undefined;
  let orcpt: string | undefined;
  for (const [key, value] of parseParams(rest)) {
    switch (key) {
      case 'NOTIFY': {
        // RFC 3461 §4.1: NEVER, or a list of SUCCESS, FAILURE, DELAY
        const items = (value ?? '').toUpperCase().split(',');
        if (items.length === 1 && items[0] === 'NEVER') notify = ['NEVER'];
        else if (items.every((i) => NOTIFY.has(i)) && new Set(items).size === items.length) notify = items as typeof notify;
        else throw syntax('NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY');
        break;
      }
      case 'ORCPT': {
        // RFC 3461 §4.2: addr-type ";" xtext, at most 500 characters
        const semi = value?.indexOf(';') ?? -1;
        if (value === null || semi < 1 || !/^[A-Za-z0-9-]+$/.test(value.slice(0, semi))) throw syntax('ORCPT requires addr-type;address');
        orcpt = `${value.slice(0, semi)};${xtextValue(key, value.slice(semi + 1), 500)}`;
        break;
      }
      default:
        throw unsupportedParameter(key);
    }
  }
  return { notify, orcpt };
}
