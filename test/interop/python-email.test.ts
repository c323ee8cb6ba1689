/**
 * Interop: messages built by our composer, read by Python's email package (policy.default, a strict and widely
 * used RFC 5322/2047/2231 implementation), must give back what was put in. The peer is python3 (scripts/install-peers).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { composeMessageBuffer, type ComposeInput } from '../../src/mime/index.js';
import { hasCommand, needPeer } from '../../src/testing/peers.js';

const PY = `
import sys, json, hashlib, email
from email import policy
msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
def addrs(name):
    h = msg[name]
    return [] if h is None else [{"name": a.display_name, "address": a.addr_spec} for a in h.addresses]
def body(kind):
    p = msg.get_body(preferencelist=(kind,))
    return None if p is None else p.get_content()
atts = []
for part in msg.iter_attachments():
    if part.get_content_maintype() == "message": data = part.get_content().as_bytes()
    else:
        data = part.get_content()
        if isinstance(data, str): data = data.encode("utf-8")
    atts.append({"filename": part.get_filename(), "type": part.get_content_type(), "sha256": hashlib.sha256(data).hexdigest()})
print(json.dumps({"subject": str(msg["subject"]), "from": addrs("from"), "to": addrs("to"), "cc": addrs("cc"),
  "text": body("plain"), "html": body("html"), "attachments": atts, "defects": [type(d).__name__ for d in msg.defects]}))
`;

interface PyView {
  subject: string;
  from: { name: string; address: string }[];
  to: { name: string; address: string }[];
  cc: { name: string; address: string }[];
  text: string | null;
  html: string | null;
  attachments: { filename: string | null; type: string; sha256: string }[];
  defects: string[];
}

function pythonRead(raw: Buffer): PyView {
  return JSON.parse(execFileSync('python3', ['-c', PY], { input: raw, encoding: 'utf8' })) as PyView;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const lf = (s: string | null) => (s ?? '').replace(/\r\n/g, '\n').replace(/\n$/, '');

const pdf = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37) & 0xff));
const input: ComposeInput = {
  from: { name: '김철수 (Kim)', address: 'kim@example.kr' },
  to: [{ name: 'Lee, Young-hee', address: 'lee@example.kr' }, 'park@example.kr'],
  cc: [{ name: '山田太郎', address: 'yamada@example.jp' }],
  subject: '회의 안내 — 2026년 11월 정기 회의 자료와 일정을 첨부합니다 (長い件名のテスト)',
  text: '안녕하세요,\n똠방각하 뷁 — 첨부를 확인해 주세요.\n\n.leading dot line\nFrom the start\n',
  html: '<p>안녕하세요, <b>똠방각하</b></p>',
  attachments: [
    { filename: '보고서 최종본 (2026).pdf', content: pdf },
    { filename: 'notes.txt', content: 'plain ascii notes\r\n' },
  ],
};

test('Python email reads a Korean message built by composeMessageBuffer as it was composed', async (t) => {
  if (!needPeer(t, 'python3', hasCommand('python3'))) return;
  const raw = await composeMessageBuffer(input);
  assert.ok(raw.every((b) => b < 0x80), 'the message is 7-bit');
  const py = pythonRead(raw);
  assert.equal(py.subject, input.subject);
  assert.deepEqual(py.from, [{ name: '김철수 (Kim)', address: 'kim@example.kr' }]);
  assert.deepEqual(py.to, [
    { name: 'Lee, Young-hee', address: 'lee@example.kr' },
    { name: '', address: 'park@example.kr' },
  ]);
  assert.deepEqual(py.cc, [{ name: '山田太郎', address: 'yamada@example.jp' }]);
  assert.equal(lf(py.text), lf(input.text!));
  assert.equal(lf(py.html), lf(input.html!));
  assert.deepEqual(
    py.attachments.map((a) => [a.filename, a.type, a.sha256]),
    [
      ['보고서 최종본 (2026).pdf', 'application/pdf', sha(pdf)],
      ['notes.txt', 'text/plain', sha('plain ascii notes\r\n')],
    ],
  );
  assert.deepEqual(py.defects, []);
});

test('Python email reads a forwarded message/rfc822 and a DSN built by the composer', async (t) => {
  if (!needPeer(t, 'python3', hasCommand('python3'))) return;
  const original = Buffer.from('From: a@x.test\r\nTo: b@y.test\r\nSubject: original\r\n\r\nbody\r\n');
  const fwd = pythonRead(await composeMessageBuffer({ from: 'me@x.test', to: ['you@y.test'], subject: 'Fwd: original', text: 'see attached', forward: { message: original } }));
  assert.equal(fwd.attachments[0]?.type, 'message/rfc822');
  assert.deepEqual(fwd.defects, []);
  const dsn = await composeMessageBuffer({
    from: 'mailer-daemon@x.test',
    to: ['a@x.test'],
    subject: 'Undelivered Mail Returned to Sender',
    report: {
      reportType: 'delivery-status',
      human: 'Your message could not be delivered.',
      fields: [[['Reporting-MTA', 'dns; x.test']], [['Final-Recipient', 'rfc822; b@y.test'], ['Action', 'failed'], ['Status', '5.1.1']]],
      original: { content: original, headersOnly: true },
    },
  });
  const status = execFileSync(
    'python3',
    ['-c', 'import sys,email\nfrom email import policy\nm=email.message_from_bytes(sys.stdin.buffer.read(),policy=policy.default)\nprint(m.get_content_type(), m.get_param("report-type"), [p.get_content_type() for p in m.iter_parts()])'],
    { input: dsn, encoding: 'utf8' },
  ).trim();
  assert.equal(status, "multipart/report delivery-status ['text/plain', 'message/delivery-status', 'text/rfc822-headers']");
});
