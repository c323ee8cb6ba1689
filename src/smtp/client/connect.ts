/**
 * Opening an SMTP client connection: TCP (or TLS from the first byte, RFC 8314), the 220 greeting (RFC 5321
 * §4.3.1), EHLO with HELO fallback, STARTTLS per TlsMode (RFC 3207) followed by a new EHLO, and AUTH when
 * credentials are configured (RFC 4954).
 *
 * Guarantees:
 * - Every step is bounded by its ClientTimeouts entry and by `signal`.
 * - Verified modes ('required', 'implicit') check the certificate against `servername` (default: `host` when it
 *   is a name, else the address) with the system CAs plus `ca`. 'opportunistic' encrypts without verifying
 *   (RFC 7435) and continues in plain text when STARTTLS is not offered or is refused with a reply; a failed
 *   handshake is a `tls` error (the connection is gone; whether to retry in plain text is the caller's choice).
 * - Replies received before the TLS handshake are discarded, and extensions come from the EHLO after TLS
 *   (RFC 3207 §4.2).
 * - Credentials are sent only over TLS unless `authRequiresTls` is false.
 * - A failed connect leaves nothing open: refusals get a QUIT without waiting for its reply, then the socket is
 *   closed.
 * Errors: SmtpClientError; a 554 greeting is a permanent `reply` error at stage 'greeting' (RFC 5321 §3.1), a
 * 421 or 4xx greeting a temporary one.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, rootCertificates, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { authenticate } from './auth.js';
import { hello, refused } from './ehlo.js';
import { ClientSession } from './session.js';
import { DEFAULT_CLIENT_TIMEOUTS, SmtpClientError, type ClientOptions, type ClientTimeouts, type Connect, type SmtpConnection } from './types.js';
import { Wire, errorCode } from './wire.js';

/** The TLS options for verified and opportunistic connections. */
function tlsOptions(o: ClientOptions, verify: boolean): ConnectionOptions {
  const servername = o.servername ?? (isIP(o.host) ? undefined : o.host);
  const extra = o.ca === undefined ? [] : Array.isArray(o.ca) ? o.ca : [o.ca as string | Buffer];
  return {
    host: servername ?? o.host, // checkServerIdentity uses it: the name, or the address for an IP SAN
    // RFC 6066 §3: SNI carries host names only, never an address literal.
    ...(servername && !isIP(servername) ? { servername } : {}),
    ...(extra.length > 0 ? { ca: [...rootCertificates, ...extra] } : {}),
    rejectUnauthorized: verify,
  };
}

/** Opens the TCP (or implicit TLS) connection within the connect timeout. */
function dial(o: ClientOptions, t: ClientTimeouts): Promise<Socket> {
  const implicit = o.tls === 'implicit';
  const target = { host: o.host, port: o.port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) };
  const socket: Socket = implicit ? tlsConnect({ ...tlsOptions(o, true), ...target }) : netConnect(target);
  // Commands, the end-of-data dot and BDAT lines are small writes that follow larger ones: with Nagle's algorithm
  // each waits for the peer's delayed ACK (about 40 ms per transaction). The TLS layer of STARTTLS runs over this
  // same TCP socket and keeps the setting.
  socket.setNoDelay(true);
  return new Promise<Socket>((resolve, reject) => {
    let tcpUp = false;
    const done = (err?: SmtpClientError): void => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onTcp).off('secureConnect', onReady).off('error', onError).off('close', onClose);
      if (err) {
        socket.on('error', () => undefined).destroy();
        reject(err);
      } else resolve(socket);
    };
    const onTcp = (): void => {
      tcpUp = true;
      if (!implicit) done();
    };
    const onReady = (): void => done();
    const onError = (err: Error): void => {
      const tlsFailed = implicit && tcpUp;
      const what = tlsFailed ? 'TLS handshake failed' : `Cannot connect to ${o.host}:${o.port}`;
      done(new SmtpClientError(tlsFailed ? 'tls' : 'network', tlsFailed ? 'tls' : 'connect', `${what}: ${errorCode(err)}`, true, undefined, { cause: err }));
    };
    const onClose = (): void => done(new SmtpClientError('network', 'connect', 'Connection closed while connecting', true));
    const onAbort = (): void => done(new SmtpClientError('aborted', 'connect', 'Aborted', true, undefined, { cause: o.signal?.reason }));
    const timer = setTimeout(() => done(new SmtpClientError('timeout', 'connect', `Timed out connecting to ${o.host}:${o.port}`, true)), t.connect);
    socket.on('connect', onTcp).on('secureConnect', onReady).on('error', onError).on('close', onClose);
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The TLS facts of a socket. */
function tlsInfo(s: Socket): SmtpConnection['tls'] {
  const secure = s as TLSSocket;
  if (secure.encrypted !== true) return { on: false, verified: false };
  const protocol = secure.getProtocol() ?? undefined;
  const cipher = secure.getCipher()?.name;
  return { on: true, verified: secure.authorized, ...(protocol ? { protocol } : {}), ...(cipher ? { cipher } : {}) };
}

/** Sends QUIT without waiting for the reply, then closes (a refusal during connect). */
function quitQuietly(wire: Wire): void {
  if (!wire.usable) return wire.destroy();
  wire.socket.write('QUIT\r\n', () => wire.destroy());
  setTimeout(() => wire.destroy(), 1000).unref();
}

/** A host name for EHLO: no control characters or spaces (it goes on a command line). */
function checkHelo(name: string): void {
  if (name === '' || /[\x00-\x20\x7f]/.test(name)) {
    throw new SmtpClientError('envelope', 'ehlo', 'Cannot send EHLO: the name is empty or has spaces or control characters', false);
  }
}

/**
 * Connects to a next hop and returns a greeted connection, secured and authenticated per `o`.
 *
 * @example
 * ```ts
 * const conn = await connect({ host: '127.0.0.1', port, helo: 'client.test', tls: 'required', ca: cert });
 * const res = await conn.send({ from: 'a@x.test', rcpts: [{ address: 'b@y.test' }], body: '7BIT', smtputf8: false }, () => Readable.from(['Hi\r\n']));
 * await conn.quit();
 * ```
 */
export const connect: Connect = async (o) => {
  const t: ClientTimeouts = { ...DEFAULT_CLIENT_TIMEOUTS, ...o.timeouts };
  const mode = o.tls ?? 'opportunistic';
  checkHelo(o.helo);
  const socket = await dial(o, t);
  const wire = new Wire(socket, o.signal);
  try {
    const greeting = await wire.read('greeting', t.greeting);
    if (greeting.code !== 220) throw refused('greeting', greeting, 'Greeting refused');
    const name = greeting.lines[0]?.split(' ')[0] ?? '';
    const ignore = o.ignoreExtensions ?? [];
    let ext = await hello(wire, o.helo, t.command, ignore);

    if (mode === 'opportunistic' || mode === 'required') {
      const required = mode === 'required';
      if (ext.has('STARTTLS')) {
        const r = await wire.command('STARTTLS', 'tls', t.command);
        if (r.code === 220) {
          await wire.startTls(tlsOptions(o, required), t.connect);
          ext = await hello(wire, o.helo, t.command, ignore); // RFC 3207 §4.2: forget what was learned before TLS
        } else if (required) {
          throw new SmtpClientError('tls', 'tls', `STARTTLS refused: ${r.code} ${r.text}`, true, r);
        }
      } else if (required) {
        throw new SmtpClientError('tls', 'tls', 'TLS is required and the peer does not offer STARTTLS', true);
      }
    }
    const tls = tlsInfo(wire.socket);
    if (o.auth) {
      await authenticate(wire, ext, o.auth, { tls: tls.on, requireTls: o.authRequiresTls ?? true, timeouts: t });
    }
    const peer = { name, address: wire.socket.remoteAddress ?? o.host, port: wire.socket.remotePort ?? o.port };
    return new ClientSession(wire, { extensions: ext, peer, tls, timeouts: t });
  } catch (err) {
    quitQuietly(wire);
    throw err;
  }
};
