/**
 * Interop: reports built by buildDsn, read by Python's email package (policy.default), which parses
 * message/delivery-status into one header block per RFC 3464 §2.1 block. The peer is python3
 * (scripts/install-peers); missing, the tests skip, or fail under POSTROOM_REQUIRE_PEERS=1.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readAll } from '../../store/contract-kit.js';
import { hasCommand, needPeer } from '../../testing/peers.js';
import { buildDsn } from './build-dsn.js';
import { SUBJECT_DELAYED, SUBJECT_FAILED } from './dsn-text.js';
import { need, NOW, original, queued, tryLater, userUnknown } from '../../testing/dsn-kit.js';

const PY = `
import sys, json, email
from email import policy
msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
out = {"type": msg.get_content_type(), "report_type": msg.get_param("report-type"), "subject": str(msg["subject"]),
  "from": [a.addr_spec for a in msg["from"].addresses], "to": [a.addr_spec for a in msg["to"].addresses],
  "auto_submitted": str(msg["auto-submitted"]), "parts": [], "blocks": [], "text": None, "original": None,
  "defects": [type(d).__name__ for part in msg.walk() for d in part.defects]}
for part in msg.iter_parts():
    ctype = part.get_content_type()
    out["parts"].append(ctype)
    if ctype == "text/plain":
        out["text"] = part.get_content()
    elif ctype == "message/delivery-status":
        out["blocks"] = [{k.lower(): str(v) for k, v in block.items()} for block in part.get_payload()]
    elif ctype == "message/rfc822":
        inner = part.get_payload(0)
        out["original"] = {"subject": str(inner["subject"]), "message_id": str(inner["message-id"]), "body": inner.get_content()}
    elif ctype == "text/rfc822-headers":
        out["original"] = {"headers": part.get_content()}
print(json.dumps(out))
`;

interface PyView {
  type: string;
  report_type: string | null;
  subject: string;
  from: string[];
  to: string[];
  auto_submitted: string;
  parts: string[];
  blocks: Record<string, string>[];
  text: string | null;
  original: { subject?: string; message_id?: string; body?: string; headers?: string } | null;
  defects: string[];
}

function pythonRead(raw: Buffer): PyView {
  return JSON.parse(execFileSync('python3', ['-c', PY], { input: raw, encoding: 'utf8' })) as PyView;
}

const opts = { reportingMta: 'mx.x.test', now: NOW };

test('Python email reads a failure report from buildDsn: multipart/report, per-recipient blocks, the returned message', async (t) => {
  if (!needPeer(t, 'python3', hasCommand('python3'))) return;
  const q = await queued({ rcpts: [{ address: 'bob@y.test', orcpt: 'rfc822;team@y.test' }, 'carl@y.test'], env: { envid: 'QQ314159' } });
  const needs = [need(q.item, 'failed', userUnknown('bob@y.test', 'mx.y.test[192.0.2.1]')), need(q.item, 'failed', { ...userUnknown('carl@y.test'), code: 550, enhanced: '5.2.2', text: 'Mailbox full' })];
  const raw = await readAll((await buildDsn(needs, q.body, opts)).message);
  const py = pythonRead(raw);
  assert.equal(py.type, 'multipart/report');
  assert.equal(py.report_type, 'delivery-status');
  assert.equal(py.subject, SUBJECT_FAILED);
  assert.deepEqual([py.from, py.to, py.auto_submitted], [['MAILER-DAEMON@mx.x.test'], ['ann@x.test'], 'auto-replied']);
  assert.deepEqual(py.parts, ['text/plain', 'message/delivery-status', 'message/rfc822']);
  assert.deepEqual(py.defects, []);
  assert.equal(py.blocks.length, 3, 'a per-message block and one block per recipient');
  assert.deepEqual(py.blocks[0], {
    'reporting-mta': 'dns; mx.x.test',
    'original-envelope-id': 'QQ314159',
    'x-postroom-queue-id': q.item.id,
    'arrival-date': 'Sun, 01 Mar 2026 08:00:00 +0000',
  });
  assert.deepEqual(py.blocks[1], {
    'original-recipient': 'rfc822; team@y.test',
    'final-recipient': 'rfc822; bob@y.test',
    action: 'failed',
    status: '5.1.1',
    'remote-mta': 'dns; mx.y.test',
    'diagnostic-code': 'smtp; 550 5.1.1 User unknown',
    'last-attempt-date': 'Sun, 01 Mar 2026 12:30:00 +0000',
  });
  assert.deepEqual([py.blocks[2]?.['final-recipient'], py.blocks[2]?.['status'], py.blocks[2]?.['diagnostic-code']], ['rfc822; carl@y.test', '5.2.2', 'X-Postroom; Mailbox full']);
  assert.match(py.text ?? '', /<bob@y\.test> \(expanded from <team@y\.test>\): host mx\.y\.test\[192\.0\.2\.1\] said: 550 5\.1\.1 User unknown/);
  assert.deepEqual(py.original, { subject: 'Quarterly report', message_id: '<orig.1@x.test>', body: 'Hello Bob.\r\n' });
});

test('Python email reads a delay notice from buildDsn with the header of the original as text/rfc822-headers', async (t) => {
  if (!needPeer(t, 'python3', hasCommand('python3'))) return;
  const q = await queued();
  const raw = await readAll((await buildDsn([need(q.item, 'delayed', tryLater('bob@y.test'))], q.body, opts)).message);
  const py = pythonRead(raw);
  assert.equal(py.subject, SUBJECT_DELAYED);
  assert.deepEqual(py.parts, ['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
  assert.deepEqual(py.defects, []);
  assert.deepEqual([py.blocks[1]?.['action'], py.blocks[1]?.['status'], py.blocks[1]?.['will-retry-until']], ['delayed', '4.4.1', 'Fri, 06 Mar 2026 08:00:00 +0000']);
  assert.match(py.original?.headers ?? '', /^Subject: Quarterly report$/m);
  assert.doesNotMatch(py.original?.headers ?? '', /Hello Bob/);
});

test('Python email reads an 8BITMIME report that returns an 8-bit original whole', async (t) => {
  if (!needPeer(t, 'python3', hasCommand('python3'))) return;
  const message8 = original({ body: 'Grüße aus Köln\r\n' }).replace('\r\n\r\n', '\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n');
  const q = await queued({ message: message8, env: { body: '8BITMIME' } });
  const { envelope, message } = await buildDsn([need(q.item, 'failed', userUnknown('bob@y.test'))], q.body, opts);
  assert.equal(envelope.body, '8BITMIME');
  const py = pythonRead(await readAll(message));
  assert.deepEqual(py.parts, ['text/plain', 'message/delivery-status', 'message/rfc822']);
  assert.deepEqual(py.defects, []);
  assert.equal(py.original?.body, 'Grüße aus Köln\r\n');
});
