/**
 * POP3 replies as errors (RFC 1939 §3: "-ERR text"; response codes RFC 2449 §8 and RFC 3206).
 *
 * A Pop3Error's message is what the client reads after "-ERR " (with its code in brackets first when it has
 * one); the engine sends nothing else of an error (STYLE.md §4).
 */
import { ProtocolError } from '../proto/index.js';

/** RFC 2449 §8 / RFC 3206 extended response codes. */
export type Pop3Code = 'IN-USE' | 'LOGIN-DELAY' | 'SYS/TEMP' | 'SYS/PERM' | 'AUTH' | 'UTF8';

/** A negative POP3 reply. */
export class Pop3Error extends ProtocolError {
  override name = 'Pop3Error';
  constructor(
    message: string,
    readonly code?: Pop3Code,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  /** IN-USE, LOGIN-DELAY and SYS/TEMP say "try again later" (RFC 3206 §4–5). */
  get temporary(): boolean {
    return this.code === 'IN-USE' || this.code === 'SYS/TEMP' || this.code === 'LOGIN-DELAY';
  }
}

// Constructors the backend throws (the server's own replies are added beside them).

/** Wrong user name or password; the text never says which (no user enumeration). */
export const authFailed = (): Pop3Error => new Pop3Error('Authentication failed', 'AUTH');

/** Another session holds the maildrop (RFC 2449 §8.1.1). */
export const maildropInUse = (): Pop3Error => new Pop3Error('Maildrop already locked by another session', 'IN-USE');

/** A temporary failure of the store. */
export const temporaryFailure = (what = 'Temporary failure, try again later'): Pop3Error => new Pop3Error(what, 'SYS/TEMP');
