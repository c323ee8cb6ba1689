/**
 * Interop: Python's email package (policy.default) reads what downgradeTo7bit writes and decodes every part to
 * what the 8-bit original held. The peer is python3 (scripts/install-peers); missing, the test is skipped, or
 * fails under POSTROOM_REQUIRE_PEERS=1.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { downgradeTo7bit } from './downgrade.js';
import { encodeText } from './index.js';
import { hasCommand, needPeer } from '../testing/peers.js';

const PY = `
import sys, json, hashlib, email
from email import policy
msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
out = []
for part in msg.walk():
    if part.is_multipart(): continue
    if part.get_content_maintype() == "text": value = part.get_content()
    else: value = hashlib.sha256(part.get_payload(decode=True)).hexdigest()
    out.append({"type": part.get_content_type(), "charset": part.get_content_charset(), "cte": part.get("content-transfer-encoding"),
                "value": value, "defects": [type(d).__name__ for d in part.defects]})
print(json.dumps({"subject": str(msg["subject"]), "parts": out, "defects": [type(d).__name__ for d in msg.defects]}))
`;

interface PyPart {
  type: string;
  charset: string | null;
  cte: string | null;
  value: string;
  defects: string[];
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const plain = 'Grüße aus Köln — «ça va?» 日本語\r\n.leading dot\r\nFrom the start\r\n' + 'ü'.repeat(600) + '\r\n';
const html = '<p>Ünïcödé <b>HTML</b></p>\r\n';
const korean = '안녕하세요, 회의 자료를 첨부합니다.\r\n';
const inner = 'Weitergeleitet: Größe ≥ 3 m²\r\n';
const blob = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 151 + (i >> 3)) & 0xff));

const message = Buffer.concat([
  Buffer.from(
    'From: a@x.test\r\nTo: b@y.test\r\nSubject: Grüße zum Test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="=_o"\r\n\r\n' +
      '--=_o\r\nContent-Type: multipart/alternative; boundary="=_a"\r\n\r\n' +
      `--=_a\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${plain}\r\n` +
      `--=_a\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${html}\r\n--=_a--\r\n` +
      '--=_o\r\nContent-Type: text/plain; charset=euc-kr\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
  ),
  encodeText(korean, 'euc-kr'),
  Buffer.from(
    '\r\n--=_o\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      'From: c@z.test\r\nSubject: inner\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      `${inner}\r\n--=_o\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=blob.bin\r\n` +
      'Content-Transfer-Encoding: binary\r\n\r\n',
  ),
  blob,
  Buffer.from('\r\n--=_o--\r\n'),
]);

test('Python email reads the output of downgradeTo7bit and decodes every part to the 8-bit original', async (t) => {
  if (!needPeer(t, 'python3', hasCommand('python3'))) return;
  const chunks: Buffer[] = [];
  for await (const c of downgradeTo7bit([message])) chunks.push(c);
  const out = Buffer.concat(chunks);
  assert.ok(out.every((b) => b < 0x80), 'the output is 7-bit');
  const py = JSON.parse(execFileSync('python3', ['-c', PY], { input: out, encoding: 'utf8' })) as { subject: string; parts: PyPart[]; defects: string[] };
  assert.equal(py.subject, 'Grüße zum Test');
  assert.deepEqual(py.defects, []);
  assert.deepEqual(
    py.parts.map((p) => [p.type, p.charset, p.cte]),
    [
      ['text/plain', 'utf-8', 'quoted-printable'],
      ['text/html', 'utf-8', 'quoted-printable'],
      ['text/plain', 'euc-kr', 'quoted-printable'],
      ['text/plain', 'utf-8', 'quoted-printable'],
      ['application/octet-stream', null, 'base64'],
    ],
  );
  const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');
  // Python's get_content() turns line breaks into "\n"; the CRLF before a delimiter belongs to the delimiter.
  assert.equal(crlf(py.parts[0]!.value), plain);
  assert.equal(crlf(py.parts[1]!.value), html);
  assert.equal(crlf(py.parts[2]!.value), korean);
  assert.equal(crlf(py.parts[3]!.value), inner);
  assert.equal(py.parts[4]!.value, sha(blob));
  assert.deepEqual(py.parts.flatMap((p) => p.defects), []);
});
