import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { main, type CliIo } from './main.js';
import { repoRoot } from '../testing/peers.js';

function io(stdin: Buffer = Buffer.alloc(0)): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (o.stdout += t),
    err: (t: string) => void (o.stderr += t),
    stdin: Readable.from([stdin]),
  };
  return o;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const message = [
  'From: =?UTF-8?B?' + b64('홍길동') + '?= <hong@example.kr>',
  'To: a@example.test',
  'Subject: =?UTF-8?Q?r=C3=A9sum=C3=A9?=',
  'Content-Type: multipart/mixed; boundary=b',
  '',
  '--b',
  'Content-Type: text/plain',
  '',
  'hello',
  '--b',
  'Content-Type: application/octet-stream; name="../../etc/passwd"',
  'Content-Transfer-Encoding: base64',
  '',
  b64('root:x:0:0'),
  '--b',
  'Content-Type: image/png',
  'Content-Disposition: attachment; filename*=utf-8\'\'%EC%82%AC%EC%A7%84.png',
  'Content-Transfer-Encoding: base64',
  '',
  b64('PNGDATA'),
  '--b',
  'Content-Type: image/png',
  'Content-Disposition: attachment; filename="\u0007.hidden\u0000name.png"',
  '',
  'raw',
  '--b--',
  '',
].join('\r\n');

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'postroom-cli-'));
}

test('postroom mime inspect prints decoded headers and the part tree', async () => {
  const dir = tmp();
  const file = path.join(dir, 'm.eml');
  writeFileSync(file, message);
  const o = io();
  assert.equal(await main(['mime', 'inspect', file], o), 0);
  assert.match(o.stdout, /^From: 홍길동 <hong@example.kr>$/m);
  assert.match(o.stdout, /^Subject: résumé$/m);
  assert.match(o.stdout, /^\(message\) {2}multipart\/mixed/m);
  assert.match(o.stdout, /^ {2}3 {2}image\/png {2}base64 {2}7 bytes {2}attachment {2}"사진.png"$/m);
});

test('postroom mime inspect --json reads standard input and prints parts for scripts', async () => {
  const o = io(Buffer.from(message));
  assert.equal(await main(['mime', 'inspect', '--json', '-'], o), 0);
  const j = JSON.parse(o.stdout) as { subject: string; parts: { path: string; contentType: string; size: number }[] };
  assert.equal(j.subject, 'résumé');
  assert.deepEqual(
    j.parts.map((p) => [p.path, p.contentType]),
    [
      ['', 'multipart/mixed'],
      ['1', 'text/plain'],
      ['2', 'application/octet-stream'],
      ['3', 'image/png'],
      ['4', 'image/png'],
    ],
  );
});

test('postroom mime inspect answers a missing file with one line and exit code 2', async () => {
  const o = io();
  assert.equal(await main(['mime', 'inspect', '/nonexistent/x.eml'], o), 2);
  assert.equal(o.stderr, 'postroom: /nonexistent/x.eml: no such file\n');
});

test('postroom mime inspect reports problems of binary garbage and exits 0', async () => {
  const o = io(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0x2d, 0x2d, 0x0d, 0x80]));
  assert.equal(await main(['mime', 'inspect', '-'], o), 0);
  assert.match(o.stdout, /problem\(s\) found/);
});

test('postroom mime extract writes attachments with safe names and never overwrites', async () => {
  const dir = tmp();
  const file = path.join(dir, 'm.eml');
  writeFileSync(file, message);
  const out = path.join(dir, 'out');
  const o1 = io();
  assert.equal(await main(['mime', 'extract', file, '--dir', out], o1), 0);
  assert.deepEqual(readdirSync(out).sort(), ['hiddenname.png', 'passwd', '사진.png']);
  assert.equal(readFileSync(path.join(out, 'passwd'), 'utf8'), 'root:x:0:0');
  assert.match(o1.stdout, /3 attachment\(s\) written/);
  const o2 = io();
  assert.equal(await main(['mime', 'extract', file, '--dir', out], o2), 0);
  assert.deepEqual(readdirSync(out).sort(), ['hiddenname (1).png', 'hiddenname.png', 'passwd', 'passwd (1)', '사진 (1).png', '사진.png']);
});

test('the postroom executable runs and prints its help', () => {
  const text = execFileSync(process.execPath, [path.join(repoRoot, 'bin', 'postroom.js'), '--help'], { encoding: 'utf8' });
  assert.match(text, /Usage: postroom/);
  assert.match(text, /mime/);
});
