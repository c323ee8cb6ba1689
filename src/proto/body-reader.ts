/**
 * The errors a LineReader read throws, and the BodyReader it hands out for a body (DATA, BDAT): reads run one at a
 * time, in order, whatever the caller does.
 */

/** A line exceeded the reader's limit; the whole line has been read and discarded. */
export class LineTooLongError extends Error {
  override name = 'LineTooLongError';
  constructor(readonly maxBytes: number) {
    super(`Line longer than ${maxBytes} bytes`);
  }
}

/** Nothing (or too little, during a body) arrived in time. */
export class ReadTimeoutError extends Error {
  override name = 'ReadTimeoutError';
  constructor(readonly kind: 'idle' | 'rate') {
    super(kind === 'idle' ? 'Read timed out' : 'Data arrived below the minimum rate');
  }
}

/** The peer closed the connection in the middle of a body or an exchange. */
export class ConnectionLostError extends Error {
  override name = 'ConnectionLostError';
  constructor() {
    super('Connection closed by the peer');
  }
}

/** A body read in chunks: DATA's dot-stuffed body or a BDAT chunk. */
export interface BodyReader extends AsyncIterable<Buffer> {
  /** The next chunk, or null after the end. Throws ConnectionLostError if the peer goes away first. */
  read(): Promise<Buffer | null>;
  /** Reads and discards the rest of the body, up to its end. */
  finish(): Promise<void>;
  /** Octets handed out so far. */
  readonly bytes: number;
  /** A bare CR or LF was seen (dot bodies only; always false for counted chunks). */
  readonly bareNewline: boolean;
}

/** Wraps a chunk source as a BodyReader whose reads run one at a time. */
export function bodyReader(next: () => Promise<Buffer | null>, bare: () => boolean): BodyReader {
  let chain: Promise<unknown> = Promise.resolve();
  let bytes = 0;
  let finished = false;
  const read = (): Promise<Buffer | null> => {
    const p = chain.then(async () => {
      if (finished) return null;
      const chunk = await next();
      if (chunk === null) finished = true;
      else bytes += chunk.length;
      return chunk;
    });
    chain = p.catch(() => undefined);
    return p;
  };
  return {
    read,
    async finish() {
      while ((await read()) !== null);
    },
    get bytes() {
      return bytes;
    },
    get bareNewline() {
      return bare();
    },
    async *[Symbol.asyncIterator]() {
      for (let c; (c = await read()) !== null; ) yield c;
    },
  };
}
