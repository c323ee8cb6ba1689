/**
 * A self-signed test certificate for localhost and 127.0.0.1, made once with selfsigned and cached in
 * os.tmpdir() (written to a temporary name and renamed, so concurrent test processes never read half a file).
 * Regenerated when missing or within a day of expiry.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generate } from 'selfsigned';

/** A PEM key and certificate. */
export interface TestTls {
  readonly key: string;
  readonly cert: string;
}

const dir = path.join(tmpdir(), 'postroom-test-tls-v1');
const cached = new Map<string, Promise<TestTls>>();

function readCached(file: string): TestTls | null {
  try {
    const t = JSON.parse(readFileSync(file, 'utf8')) as TestTls;
    const validTo = Date.parse(new X509Certificate(t.cert).validTo);
    return validTo - Date.now() > 86_400_000 ? t : null;
  } catch {
    return null;
  }
}

async function make(variant: string): Promise<TestTls> {
  const file = path.join(dir, `${variant}.json`);
  const hit = readCached(file);
  if (hit) return hit;
  const pems = await generate([{ name: 'commonName', value: variant === 'localhost' ? 'localhost' : `${variant}.localhost` }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const t: TestTls = { key: pems.private, cert: pems.cert };
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(t));
  renameSync(tmp, file);
  return t;
}

/**
 * The test certificate (generated on first use, then read from the cache). `variant` names another certificate
 * (for tests that swap certificates); the default is 'localhost'.
 *
 * @example
 * ```ts
 * const tls = await testTls();
 * new SmtpServer({ hostname: 'mx.test', service: 'smtp', backend, tls });
 * ```
 */
export function testTls(variant = 'localhost'): Promise<TestTls> {
  let p = cached.get(variant);
  if (!p) cached.set(variant, (p = make(variant)));
  return p;
}
