import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateSelfSigned, loadTls } from './tls.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'postroom-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('loadTls generates a self-signed certificate in <dataDir>/tls on first start and reuses it after', async (t) => {
  const dataDir = tempDir(t);
  const settings = { dataDir, hostname: 'mail.example.test', tls: { cert: null, key: null } };
  const first = await loadTls(settings);
  assert.equal(first.source, 'generated');
  assert.equal(first.certFile, path.join(dataDir, 'tls', 'cert.pem'));
  assert.equal(statSync(first.keyFile).mode & 0o777, 0o600);
  const x = new X509Certificate(first.cert);
  assert.ok(x.checkHost('mail.example.test'));
  assert.ok(x.checkHost('localhost'));
  assert.ok(x.checkIP('127.0.0.1'));
  assert.ok(first.validTo.getTime() > Date.now() + 365 * 86_400_000);

  const second = await loadTls(settings);
  assert.equal(second.source, 'stored');
  assert.equal(second.cert, first.cert);
  assert.equal(second.key, first.key);
});

test('loadTls replaces a stored certificate that is about to expire, or a damaged one', async (t) => {
  const dataDir = tempDir(t);
  const settings = { dataDir, hostname: 'localhost', tls: { cert: null, key: null } };
  const first = await loadTls(settings);
  const later = new Date(first.validTo.getTime() - 10 * 86_400_000);
  const renewed = await loadTls(settings, later);
  assert.equal(renewed.source, 'generated');
  assert.notEqual(renewed.cert, first.cert);
  writeFileSync(renewed.keyFile, 'garbage');
  const again = await loadTls(settings);
  assert.equal(again.source, 'generated');
});

test('loadTls uses the configured files, and names the key when they are missing or do not match', async (t) => {
  const dir = tempDir(t);
  const a = await generateSelfSigned('a.test', new Date());
  const b = await generateSelfSigned('b.test', new Date());
  writeFileSync(path.join(dir, 'a.crt'), a.cert);
  writeFileSync(path.join(dir, 'a.key'), a.key);
  writeFileSync(path.join(dir, 'b.key'), b.key);
  const ok = await loadTls({ dataDir: dir, hostname: 'x', tls: { cert: path.join(dir, 'a.crt'), key: path.join(dir, 'a.key') } });
  assert.equal(ok.source, 'configured');
  assert.equal(ok.cert, readFileSync(path.join(dir, 'a.crt'), 'utf8'));

  await assert.rejects(loadTls({ dataDir: dir, hostname: 'x', tls: { cert: path.join(dir, 'none.crt'), key: path.join(dir, 'a.key') } }), {
    name: 'ConfigError',
    message: `config: tls.cert = "${path.join(dir, 'none.crt')}": expected a readable PEM certificate (no such file)`,
  });
  await assert.rejects(
    loadTls({ dataDir: dir, hostname: 'x', tls: { cert: path.join(dir, 'a.crt'), key: path.join(dir, 'b.key') } }),
    (err: Error) => err.name === 'ConfigError' && err.message.startsWith(`config: tls.key = "${path.join(dir, 'b.key')}": expected the PEM private key of tls.cert (`) && !err.message.includes('\n'),
  );
});
