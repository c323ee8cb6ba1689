/**
 * Interop: Python's poplib (a client nobody here wrote) fetches through STLS and USER/PASS from the fake backend,
 * and every message arrives byte for byte (after poplib's own line splitting and dot handling).
 * Peer: python3. Missing, the test skips (fails under POSTROOM_REQUIRE_PEERS=1).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { hasCommand, needPeer } from '../../testing/peers.js';
import { fakeMessage, sampleMessages, startPop3 } from '../../testing/pop3-fakes.js';
import { testTls } from '../../testing/tls.js';

function python(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', script, ...args], { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

const POPLIB = `
import base64, json, poplib, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
b64 = lambda lines: base64.b64encode(b"".join(l + b"\\r\\n" for l in lines)).decode()
p = poplib.POP3("127.0.0.1", port, timeout=10)
out = {"welcome": p.getwelcome().decode(), "capa": sorted(p.capa().keys())}
p.stls(context=ctx)
p.user("alice")
p.pass_("s3cret")
out["stat"] = list(p.stat())
out["list"] = [l.decode() for l in p.list()[1]]
out["uidl"] = [l.decode() for l in p.uidl()[1]]
out["uidl2"] = p.uidl(2).decode()
out["retr"] = []
for n in range(1, len(out["list"]) + 1):
    resp, lines, octets = p.retr(n)
    out["retr"].append({"resp": resp.decode(), "body": b64(lines)})
resp, lines, octets = p.top(2, 1)
out["top"] = b64(lines)
out["dele"] = p.dele(1).decode()
out["stat_after"] = list(p.stat())
out["quit"] = p.quit().decode()
print(json.dumps(out))
`;

test('Pop3Server serves Python poplib through STLS, USER/PASS, STAT, LIST, UIDL, RETR, TOP, DELE and QUIT', async (t) => {
  if (!needPeer(t, 'python3', hasCommand('python3'))) return;
  const korean = fakeMessage('uid-ko', 'Subject: =?UTF-8?B?7JWI64WV?=\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n안녕하세요\r\n.점으로 시작\r\n');
  const messages = [...sampleMessages, korean];
  const { port, backend } = await startPop3(t, { tls: await testTls(), authWithoutTls: 'never', backendOpts: { maildrops: { alice: messages } } });
  const out = JSON.parse(await python(POPLIB, [String(port)])) as {
    welcome: string;
    capa: string[];
    stat: [number, number];
    list: string[];
    uidl: string[];
    uidl2: string;
    retr: { resp: string; body: string }[];
    top: string;
    dele: string;
    stat_after: [number, number];
    quit: string;
  };
  assert.equal(out.welcome, '+OK pop.test POP3 server ready');
  assert.ok(out.capa.includes('STLS') && out.capa.includes('TOP') && out.capa.includes('UIDL'), out.capa.join(' '));
  const total = messages.reduce((s, m) => s + m.size, 0);
  assert.deepEqual(out.stat, [4, total]);
  assert.deepEqual(out.list, messages.map((m, i) => `${i + 1} ${m.size}`));
  assert.deepEqual(out.uidl, messages.map((m, i) => `${i + 1} ${m.uid}`));
  assert.equal(out.uidl2, '+OK 2 uid-2');
  out.retr.forEach((r, i) => {
    assert.equal(r.resp, `+OK ${messages[i]!.size} octets`);
    assert.ok(Buffer.from(r.body, 'base64').equals(messages[i]!.bytes!), `message ${i + 1} byte for byte`);
  });
  assert.equal(Buffer.from(out.top, 'base64').toString(), 'Subject: two\r\n\r\n.dot line\r\n');
  assert.equal(out.dele, '+OK Message 1 deleted');
  assert.deepEqual(out.stat_after, [3, total - messages[0]!.size]);
  assert.equal(out.quit, '+OK pop.test POP3 server signing off (1 messages deleted)');
  assert.deepEqual(backend.events, ['login alice', 'commit alice uid-1', 'release alice']);
  assert.equal(backend.conns[0]?.tls, true);
});
