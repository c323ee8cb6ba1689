import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { QueueItem } from '../../store/index.js';
import { connect } from '../../smtp/client/index.js';
import { SmtpError, startSmtp } from '../../testing/smtp-fakes.js';
import { RecordingLogger } from '../../testing/mta-fixtures.js';
import { startSmtpPeer } from '../../testing/smtp-peer.js';
import { systemSetTimer } from '../deps.js';
import { createRemoteDelivery, type RemoteDeliveryOptions } from './remote.js';
import type { Destination, Hop } from './next-hop.js';

const body = 'From: a@x.test\r\nTo: b@y.test\r\nSubject: relay\r\n\r\nHello.\r\n.leading dot\r\n';
const date = new Date('2026-03-04T05:06:07Z');

function item(rcpts: { address: string; notify?: ('SUCCESS' | 'FAILURE' | 'DELAY' | 'NEVER')[] }[], o: Partial<QueueItem['envelope']> = {}): QueueItem {
  return {
    id: 'Q1',
    envelope: {
      from: 'a@x.test',
      rcpts,
      smtputf8: false,
      body: '7BIT',
      receivedAt: date,
      client: { helo: 'client.x.test', ip: '192.0.2.7', tls: false, protocol: 'ESMTPA' },
      ...o,
    },
    body: { id: 'b', size: Buffer.byteLength(body), sha256: '' },
    rcpts: rcpts.map((r) => ({ ...r, state: 'pending' as const, attempts: 0, nextAttempt: date })),
    createdAt: date,
    held: false,
  };
}

const hop = (port: number, o: Partial<Hop> = {}): Hop => ({ address: '127.0.0.1', port, name: 'peer.test', tls: 'none', ...o });

function agent(t: TestContext, hops: (domain: string) => Destination, o: Partial<RemoteDeliveryOptions> = {}) {
  const log = new RecordingLogger();
  const remote = createRemoteDelivery({
    hostname: 'mx.x.test',
    nextHop: async (d) => hops(d),
    connect,
    now: () => date,
    log,
    setTimer: systemSetTimer,
    timeouts: { connect: 2000, greeting: 2000, command: 2000, mail: 2000, rcpt: 2000, dataInit: 2000, dataBlock: 2000, dataEnd: 2000 },
    ...o,
  });
  t.after(() => remote.close());
  return { remote, log };
}

const src = async () => Readable.from([Buffer.from(body)]);
const never = new AbortController().signal;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

test('remote delivery sends the recipients of one destination in one transaction, with its Received line, results per recipient', async (t) => {
  const peer = await startSmtp(t, { backendOpts: { refuseRcpt: (to) => (to.startsWith('nobody') ? new SmtpError(550, [1, 1], 'User unknown') : undefined) } });
  const { remote } = agent(t, () => ({ key: 'k', hops: [hop(peer.port)] }));
  const results = await remote.deliver(item([{ address: 'b@y.test', notify: ['SUCCESS'] }, { address: 'c@y.test' }, { address: 'nobody@y.test' }]), src, never);
  assert.equal(peer.backend.messages.length, 1);
  const m = peer.backend.messages[0]!;
  assert.deepEqual(m.rcpts.map((r) => r.to), ['b@y.test', 'c@y.test']);
  assert.equal(m.from, 'a@x.test');
  assert.equal(m.conn.helo, 'mx.x.test');
  assert.equal(
    m.body.toString(),
    'Received: from client.x.test (192.0.2.7 [192.0.2.7])\r\n\tby mx.x.test with ESMTPA id Q1; Wed, 04 Mar 2026 05:06:07 +0000\r\n' + body,
  );
  assert.deepEqual(m.rcpts[0]?.opts.notify, ['SUCCESS'], 'NOTIFY travels to a hop that offers DSN');
  const by = new Map(results.map((r) => [r.rcpt, r]));
  const b = by.get('b@y.test')!;
  assert.equal(b.outcome, 'delivered');
  assert.ok(b.outcome === 'delivered' && b.action === 'relayed' && b.dsnPassedOn === true && b.remoteMta === 'peer.test');
  assert.match(b.outcome === 'delivered' ? b.reply : '', /^250 /);
  const nobody = by.get('nobody@y.test')!;
  assert.ok(nobody.outcome === 'failed');
  assert.equal(nobody.outcome === 'failed' && nobody.code, 550);
  assert.equal(nobody.outcome === 'failed' && nobody.enhanced, '5.1.1');
  assert.equal(nobody.outcome === 'failed' && nobody.text, 'User unknown', 'the peer\'s own text: reports say who said it (remoteMta)');
  assert.equal(nobody.remoteMta, 'peer.test');
});

test('remote delivery gives a single recipient the for clause of its Received line', async (t) => {
  const peer = await startSmtp(t);
  const { remote } = agent(t, () => ({ key: 'k', hops: [hop(peer.port)] }));
  await remote.deliver(item([{ address: 'b@y.test' }]), src, never);
  assert.match(peer.backend.lastBody, /^Received: [^]*id Q1\r\n\tfor <b@y\.test>; Wed/);
});

test('remote delivery tries the next hop when one cannot be reached, and defers with the error when none can', async (t) => {
  const peer = await startSmtp(t);
  const down = await closedPort();
  const { remote, log } = agent(t, () => ({ key: 'k', hops: [hop(down, { name: 'down.test' }), hop(peer.port)] }));
  const [r] = await remote.deliver(item([{ address: 'b@y.test' }]), src, never);
  assert.equal(r?.outcome, 'delivered');
  assert.equal(peer.backend.messages.length, 1);
  assert.equal(log.messages('next hop failed').length, 1);

  const { remote: lonely } = agent(t, () => ({ key: 'k2', hops: [hop(down, { name: 'down.test' })] }));
  const [d] = await lonely.deliver(item([{ address: 'b@y.test' }]), src, never);
  assert.ok(d?.outcome === 'deferred');
  assert.equal(d.outcome === 'deferred' && d.enhanced, '4.4.1');
  assert.match(d.outcome === 'deferred' ? d.text : '', /^down\.test\[127\.0\.0\.1\]:\d+: /);
});

test('remote delivery defers a 4xx recipient and fails the whole transaction on a 5xx to MAIL', async (t) => {
  const peer = await startSmtp(t, {
    backendOpts: {
      refuseRcpt: (to) => (to.startsWith('busy') ? new SmtpError(452, [2, 2], 'Mailbox full') : undefined),
      refuseMail: (from) => (from.startsWith('spammer') ? new SmtpError(550, [7, 1], 'Go away') : undefined),
    },
  });
  const { remote } = agent(t, () => ({ key: 'k', hops: [hop(peer.port)] }));
  const results = await remote.deliver(item([{ address: 'busy@y.test' }, { address: 'b@y.test' }]), src, never);
  assert.deepEqual(results.map((r) => [r.rcpt, r.outcome]), [['busy@y.test', 'deferred'], ['b@y.test', 'delivered']]);
  const refused = await remote.deliver(item([{ address: 'b@y.test' }, { address: 'c@y.test' }], { from: 'spammer@x.test' }), src, never);
  assert.deepEqual(refused.map((r) => [r.rcpt, r.outcome, r.outcome !== 'delivered' && r.code]), [['b@y.test', 'failed', 550], ['c@y.test', 'failed', 550]]);
});

test('remote delivery fails the recipients of a destination that has no route, and keeps the others', async (t) => {
  const peer = await startSmtp(t);
  const { remote } = agent(t, (d) =>
    d === 'nomail.test' ? { key: 'x', failure: { permanent: true, code: 556, enhanced: '5.1.10', text: 'Domain nomail.test does not accept mail (null MX)' } } : { key: 'k', hops: [hop(peer.port)] },
  );
  const results = await remote.deliver(item([{ address: 'a@nomail.test' }, { address: 'b@y.test' }]), src, never);
  const by = new Map(results.map((r) => [r.rcpt, r]));
  assert.ok(by.get('a@nomail.test')?.outcome === 'failed');
  assert.equal(by.get('b@y.test')?.outcome, 'delivered');
});

test('remote delivery reuses an idle connection for the next message to the same hop', async (t) => {
  const peer = await startSmtp(t);
  const { remote } = agent(t, () => ({ key: 'k', hops: [hop(peer.port)] }));
  for (let i = 0; i < 3; i++) await remote.deliver(item([{ address: `r${i}@y.test` }]), src, never);
  assert.equal(peer.backend.messages.length, 3);
  assert.equal(peer.backend.sessions.length, 1, 'one connection for three messages');
  const { remote: noReuse } = agent(t, () => ({ key: 'k', hops: [hop(peer.port)] }), { connectionIdleMs: 0 });
  for (let i = 0; i < 2; i++) await noReuse.deliver(item([{ address: `s${i}@y.test` }]), src, never);
  assert.equal(peer.backend.sessions.length, 3);
});

test('remote delivery runs at most perDestination transactions at once to one destination', async (t) => {
  const peer = await startSmtp(t, { backendOpts: { commitDelayMs: 50 } });
  let most = 0;
  const seen = setInterval(() => (most = Math.max(most, peer.backend.open)), 5);
  t.after(() => clearInterval(seen));
  const { remote } = agent(t, () => ({ key: 'k', hops: [hop(peer.port)] }), { perDestination: 2 });
  const runs = Array.from({ length: 6 }, (_, i) => remote.deliver({ ...item([{ address: `r${i}@y.test` }]), id: `Q${i}` }, src, never));
  const results = (await Promise.all(runs)).flat();
  assert.ok(results.every((r) => r.outcome === 'delivered'));
  assert.ok(most <= 2, `at most 2 sessions at once, saw ${most}`);
});

test('remote delivery splits more recipients than maxRcpts into several transactions', async (t) => {
  const peer = await startSmtp(t);
  const { remote } = agent(t, () => ({ key: 'k', hops: [hop(peer.port)] }), { maxRcpts: 2 });
  const results = await remote.deliver(item(['a', 'b', 'c', 'd', 'e'].map((l) => ({ address: `${l}@y.test` }))), src, never);
  assert.equal(results.filter((r) => r.outcome === 'delivered').length, 5);
  assert.deepEqual(peer.backend.messages.map((m) => m.rcpts.length).sort(), [1, 2, 2]);
});

test('remote delivery defers when the lease signal aborts a transaction in progress', async (t) => {
  const peer = await startSmtp(t, { backendOpts: { commitDelayMs: 1000 } });
  const { remote } = agent(t, () => ({ key: 'k', hops: [hop(peer.port)] }));
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(), 100);
  const [r] = await remote.deliver(item([{ address: 'b@y.test' }]), src, ctl.signal);
  assert.ok(r?.outcome === 'deferred');
  assert.equal(r.outcome === 'deferred' && r.enhanced, '4.4.2');
});

test('remote delivery fails a message that needs SMTPUTF8 for a hop without it (5.6.7), and one over the hop\'s SIZE (5.3.4)', async (t) => {
  const peer = await startSmtpPeer(t, { ehlo: ['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES', 'SIZE 100'] });
  const { remote } = agent(t, () => ({ key: 'k', hops: [hop(peer.port)] }));
  const [utf8] = await remote.deliver(item([{ address: 'b@y.test' }], { smtputf8: true }), src, never);
  assert.ok(utf8?.outcome === 'failed');
  assert.deepEqual([utf8.code, utf8.enhanced], [553, '5.6.7']);
  const [big] = await remote.deliver(item([{ address: 'b@y.test' }]), src, never);
  assert.ok(big?.outcome === 'failed');
  assert.deepEqual([big.code, big.enhanced], [552, '5.3.4']);
  assert.ok(!peer.verbs().includes('MAIL'), 'refused before MAIL');
});

test('remote delivery tries the next hop after a 421 greeting, and reports the last reply when every hop refuses to talk', async (t) => {
  const busy = await startSmtpPeer(t, { greeting: '421 4.3.2 busy.test too busy' });
  const good = await startSmtpPeer(t);
  const { remote } = agent(t, () => ({ key: 'k', hops: [hop(busy.port, { name: 'busy.test' }), hop(good.port)] }));
  const [r] = await remote.deliver(item([{ address: 'b@y.test' }]), src, never);
  assert.equal(r?.outcome, 'delivered');
  assert.equal(good.messages.length, 1);
  const { remote: only } = agent(t, () => ({ key: 'k2', hops: [hop(busy.port, { name: 'busy.test' })] }));
  const [d] = await only.deliver(item([{ address: 'b@y.test' }]), src, never);
  assert.ok(d?.outcome === 'deferred');
  assert.deepEqual([d.code, d.enhanced], [421, '4.3.2']);
  assert.deepEqual([d.text, d.remoteMta], ['busy.test too busy', 'busy.test']);
});

test('remote delivery falls back to plain text when opportunistic STARTTLS fails, and never when TLS is required', async (t) => {
  // The peer offers STARTTLS and answers 220, but never starts TLS: the handshake fails.
  const peer = await startSmtpPeer(t, { ehlo: ['PIPELINING', 'STARTTLS', 'ENHANCEDSTATUSCODES'], on: { STARTTLS: { reply: '220 2.0.0 Ready', startTls: false, close: true } } });
  const { remote, log } = agent(t, () => ({ key: 'k', hops: [hop(peer.port, { tls: 'opportunistic' })] }), {
    timeouts: { connect: 1000, greeting: 1000, command: 1000, mail: 1000, rcpt: 1000, dataInit: 1000, dataBlock: 1000, dataEnd: 1000 },
  });
  const [r] = await remote.deliver(item([{ address: 'b@y.test' }]), src, never);
  assert.equal(r?.outcome, 'delivered', JSON.stringify(r));
  assert.equal(log.messages('TLS failed, trying without').length, 1);
  const { remote: strict } = agent(t, () => ({ key: 'k2', hops: [hop(peer.port, { tls: 'required' })] }), {
    timeouts: { connect: 1000, greeting: 1000, command: 1000, mail: 1000, rcpt: 1000, dataInit: 1000, dataBlock: 1000, dataEnd: 1000 },
  });
  const [s] = await strict.deliver(item([{ address: 'b@y.test' }]), src, never);
  assert.ok(s?.outcome === 'deferred');
  assert.equal(s.enhanced, '4.7.5');
});

test('remote delivery opens a fresh connection when the peer closed a cached one while it was idle', async (t) => {
  // The first connection takes one message, then closes when the next MAIL comes (an idle timeout on its side).
  const peer = await startSmtpPeer(t, { on: { MAIL: (cmd) => (cmd.session === 1 && peer.messages.length > 0 ? { close: true } : '250 2.1.0 Sender OK') } });
  const { remote } = agent(t, () => ({ key: 'k', hops: [hop(peer.port)] }));
  for (let i = 0; i < 2; i++) {
    const [r] = await remote.deliver(item([{ address: `r${i}@y.test` }]), src, never);
    assert.equal(r?.outcome, 'delivered', JSON.stringify(r));
  }
  assert.equal(peer.messages.length, 2);
  assert.equal(peer.connections, 2);
});

test('remote delivery converts 8-bit mail for a hop without 8BITMIME, and fails 5.6.3 what cannot be converted', async (t) => {
  const peer = await startSmtpPeer(t, { ehlo: ['PIPELINING', 'ENHANCEDSTATUSCODES'] });
  const { remote } = agent(t, () => ({ key: 'k', hops: [hop(peer.port)] }));
  const eight = 'From: a@x.test\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n';
  const [ok] = await remote.deliver(item([{ address: 'b@y.test' }], { body: '8BITMIME' }), async () => Readable.from([Buffer.from(eight)]), never);
  assert.equal(ok?.outcome, 'delivered');
  const sent = peer.messages[0]!.body!.toString('latin1');
  assert.match(sent, /Content-Transfer-Encoding: quoted-printable\r\n/);
  assert.match(sent, /Gr=C3=BC=C3=9Fe/);
  assert.ok(!/[^\x00-\x7f]/.test(sent));
  // Declared 7bit, with an 8-bit octet only after the converter's 64 KiB look-ahead: its header is already sent.
  const late = 'From: a@x.test\r\nContent-Type: text/plain\r\n\r\n' + `${'x'.repeat(70)}\r\n`.repeat(1000) + 'caf\xe9\r\n';
  const [bad] = await remote.deliver(item([{ address: 'b@y.test' }], { body: '8BITMIME' }), async () => Readable.from([Buffer.from(late, 'latin1')]), never);
  assert.ok(bad?.outcome === 'failed', JSON.stringify(bad));
  assert.deepEqual([bad.code, bad.enhanced], [554, '5.6.3']);
});

test('remote delivery defers when the peer drops the connection after the data or never answers the final dot', async (t) => {
  const dropper = await startSmtpPeer(t, { on: { END: { close: true } } });
  const hanger = await startSmtpPeer(t, { on: { END: { hang: true } } });
  const short = { connect: 500, greeting: 500, command: 500, mail: 500, rcpt: 500, dataInit: 500, dataBlock: 500, dataEnd: 300 };
  for (const [peer, why] of [
    [dropper, /connection|closed|lost/i],
    [hanger, /tim/i],
  ] as const) {
    const { remote } = agent(t, () => ({ key: 'k', hops: [hop(peer.port)] }), { timeouts: short });
    const [r] = await remote.deliver(item([{ address: 'b@y.test' }]), src, never);
    assert.ok(r?.outcome === 'deferred', JSON.stringify(r));
    assert.equal(r.enhanced, '4.4.1');
    assert.match(r.text, why);
    assert.equal(peer.messages.length, 1, 'the peer had the whole body: delivery is at least once, retried later');
  }
});
