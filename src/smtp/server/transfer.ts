/**
 * One message body on its way to the backend (DATA or BDAT): the BodyFeed the backend reads, the backend's
 * promise, and the engine's own verdict. The reply is decided in one place, `finish()`, in this order:
 * over the size limit (552 5.3.4), refused by the engine (550 5.6.0 bare line ends), refused by the backend
 * (its error), else 250 with the backend's text. A refused body's stream fails, so the backend keeps nothing.
 */
import { BodyFeed } from '../../proto/index.js';
import { tooBig, type SmtpError } from '../reply.js';
import type { MailOptions, SmtpSession } from './backend.js';

type Outcome = { ok: true; text: string | void } | { ok: false; err: unknown };

/** A body being handed to `session.data()`. */
export class Transfer {
  private readonly feed: BodyFeed;
  private readonly outcome: Promise<Outcome>;
  private refusal: SmtpError | null = null;

  /** Starts `session.data()` for the transaction begun with MAIL `opts` (its SIZE and BODY go to the backend). */
  constructor(session: SmtpSession, opts: MailOptions, maxBytes: number) {
    this.feed = new BodyFeed({ maxBytes, tooBig });
    const info = { size: opts.size ?? null, bodyType: opts.body ?? '7BIT' } as const;
    this.outcome = Promise.resolve()
      .then(() => session.data(this.feed.readable, info))
      .then(
        (text): Outcome => ({ ok: true, text }),
        (err: unknown): Outcome => ({ ok: false, err }),
      )
      .finally(() => this.feed.detach());
  }

  /** Passes a chunk on (with backpressure); discarded once the body is refused. */
  write(chunk: Buffer): Promise<void> {
    return this.feed.write(chunk);
  }

  /** Refuses the body with `err` (reported by `finish()`); the backend's stream fails now. */
  refuse(err: SmtpError): void {
    if (this.refusal) return;
    this.refusal = err;
    this.feed.fail(err);
  }

  /** The body is over the size limit. */
  get overflowed(): boolean {
    return this.feed.overflowed;
  }

  /** Abandons the body (connection lost, RSET, shutdown) and waits for the backend to let go. */
  async abort(err: Error): Promise<void> {
    this.feed.fail(err);
    await this.outcome;
  }

  /** Ends the body and returns the text of the 250 reply, or throws the reply error (see the module header). */
  async finish(): Promise<string> {
    if (!this.refusal && !this.feed.overflowed) this.feed.end();
    const result = await this.outcome;
    if (this.feed.overflowed) throw tooBig();
    if (this.refusal) throw this.refusal;
    if (!result.ok) throw result.err;
    return typeof result.text === 'string' && result.text !== '' ? result.text : 'Message accepted';
  }
}
