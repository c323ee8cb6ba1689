/**
 * The TLS certificate and key of the servers (STARTTLS, RFC 3207; implicit TLS, RFC 8314): the configured
 * `tls.cert`/`tls.key` files, else a self-signed certificate generated on first start and kept in
 * `<dataDir>/tls/` (so clients that pin it keep working across restarts). The daemon calls loadTls again on
 * SIGHUP and hands the result to every server's setTls.
 *
 * Guarantees: what loadTls returns is a key and certificate that Node's TLS accepts together (checked with
 * createSecureContext); the generated key file is written with mode 0600 through a temporary name and a rename,
 * so a crash never leaves half a key. A generated certificate that expires within 30 days is replaced.
 * Limits: the generated certificate is self-signed (RSA 2048, SHA-256, valid 2 years) for the host name,
 * `localhost`, 127.0.0.1 and ::1; clients must be told to accept it.
 */
import { promises as fsp } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { generate } from 'selfsigned';
import { ConfigError, readErrorWhy } from './config.js';
import { showValue } from './config-schema.js';

/** A key and certificate ready for the servers. */
export interface TlsMaterial {
  /** PEM private key. */
  readonly key: string;
  /** PEM certificate (chain). */
  readonly cert: string;
  /** Where it came from: the configured files, the data directory, or generated just now. */
  readonly source: 'configured' | 'stored' | 'generated';
  readonly certFile: string;
  readonly keyFile: string;
  readonly subject: string;
  readonly validTo: Date;
}

/** What loadTls needs of the configuration. */
export interface TlsSettings {
  readonly dataDir: string;
  readonly hostname: string;
  readonly tls: { readonly cert: string | null; readonly key: string | null };
}

const RENEW_BEFORE_MS = 30 * 86_400_000;

function check(key: string, cert: string): { subject: string; validTo: Date } {
  tls.createSecureContext({ key, cert }); // throws when they do not match or do not parse
  const x = new X509Certificate(cert);
  return { subject: x.subject.replace(/\n/g, ', '), validTo: new Date(x.validTo) };
}

async function loadConfigured(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const read = async (name: string, file: string, what: string): Promise<string> => {
    try {
      return await fsp.readFile(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`config: ${name} = ${showValue(file)}: expected a readable ${what} (${readErrorWhy(err)})`);
    }
  };
  const cert = await read('tls.cert', certFile, 'PEM certificate');
  const key = await read('tls.key', keyFile, 'PEM private key');
  let info: { subject: string; validTo: Date };
  try {
    info = check(key, cert);
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    throw new ConfigError(`config: tls.key = ${showValue(keyFile)}: expected the PEM private key of tls.cert (${why})`);
  }
  return { key, cert, source: 'configured', certFile, keyFile, ...info };
}

async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await fsp.open(tmp, 'w', mode);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
}

/**
 * Generates a self-signed certificate for `hostname` (also valid for localhost, 127.0.0.1 and ::1).
 *
 * @example
 * ```ts
 * const { key, cert } = await generateSelfSigned('mail.example.org', new Date());
 * ```
 */
export async function generateSelfSigned(hostname: string, now: Date): Promise<{ key: string; cert: string }> {
  const names = [...new Set([hostname, 'localhost'])];
  const pems = await generate([{ name: 'commonName', value: hostname }, { name: 'organizationName', value: 'Postroom (self-signed)' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 3_600_000),
    notAfterDate: new Date(now.getTime() + 730 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...names.map((value) => ({ type: 2 as const, value })), { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

async function loadOrGenerate(s: TlsSettings, now: Date): Promise<TlsMaterial> {
  const dir = path.join(s.dataDir, 'tls');
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  try {
    const [cert, key] = await Promise.all([fsp.readFile(certFile, 'utf8'), fsp.readFile(keyFile, 'utf8')]);
    const info = check(key, cert);
    if (info.validTo.getTime() - now.getTime() > RENEW_BEFORE_MS) return { key, cert, source: 'stored', certFile, keyFile, ...info };
  } catch {
    // missing, unreadable, mismatched or expiring: generate a new pair below
  }
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const { key, cert } = await generateSelfSigned(s.hostname, now);
  await writeAtomic(keyFile, key, 0o600);
  await writeAtomic(certFile, cert, 0o644);
  return { key, cert, source: 'generated', certFile, keyFile, ...check(key, cert) };
}

/**
 * Loads the configured certificate and key, or the self-signed pair kept in `<dataDir>/tls/` (generating it
 * on first use). Throws ConfigError (one line) when configured files are missing or do not match.
 *
 * @example
 * ```ts
 * const material = await loadTls(config);
 * server.setTls({ key: material.key, cert: material.cert });
 * ```
 */
export async function loadTls(s: TlsSettings, now: Date = new Date()): Promise<TlsMaterial> {
  if (s.tls.cert !== null && s.tls.key !== null) return loadConfigured(s.tls.cert, s.tls.key);
  return loadOrGenerate(s, now);
}
