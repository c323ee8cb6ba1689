/**
 * The POP3 session states (RFC 1939 §3) and the reply to a command sent in the wrong one: what the client
 * should have done instead.
 */
import { badSequence, type Pop3Error } from '../reply.js';

/**
 * AUTHORIZATION until a login succeeds, then TRANSACTION; UPDATE only while QUIT commits the deletions
 * (RFC 1939 §6). A dropped connection never reaches UPDATE.
 */
export type Pop3State = 'authorization' | 'transaction' | 'update';

/**
 * The -ERR reply for `verb` refused in `state`.
 *
 * @example
 * ```ts
 * outOfState('RETR', 'authorization').message === 'Not logged in: send USER and PASS, APOP or AUTH first';
 * ```
 */
export function outOfState(verb: string, state: Pop3State): Pop3Error {
  if (state === 'authorization') return badSequence('Not logged in: send USER and PASS, APOP or AUTH first');
  if (state === 'update') return badSequence('Session is ending');
  switch (verb) {
    case 'STLS': // RFC 2595 §4: only in the AUTHORIZATION state
    case 'UTF8': // RFC 6856 §2: only in the AUTHORIZATION state
      return badSequence(`${verb} is only allowed before login`);
    default:
      return badSequence('Already logged in');
  }
}
