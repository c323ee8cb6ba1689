import test from 'node:test';
import assert from 'node:assert/strict';
import { nextHop, type DnsResolver, type NextHopPolicy } from './next-hop.js';

/** A DNS made of tables; a name missing from every table does not exist (ENOTFOUND). */
function fakeDns(t: { mx?: Record<string, { exchange: string; priority: number }[] | string>; a?: Record<string, string[]>; aaaa?: Record<string, string[]> }): DnsResolver & { asked: string[] } {
  const asked: string[] = [];
  const known = (name: string) => name in (t.mx ?? {}) || name in (t.a ?? {}) || name in (t.aaaa ?? {});
  const fail = (code: string) => Object.assign(new Error(`queryX ${code}`), { code });
  const answer = <T>(table: Record<string, T | string> | undefined, name: string): T => {
    const v = table?.[name];
    if (typeof v === 'string') throw fail(v);
    if (v === undefined) throw fail(known(name) ? 'ENODATA' : 'ENOTFOUND');
    return v;
  };
  return {
    asked,
    async resolveMx(name) {
      asked.push(`MX ${name}`);
      return answer(t.mx, name);
    },
    async resolve4(name) {
      asked.push(`A ${name}`);
      return answer(t.a, name);
    },
    async resolve6(name) {
      asked.push(`AAAA ${name}`);
      return answer(t.aaaa, name);
    },
  };
}

const policy = (dns: DnsResolver, o: Partial<NextHopPolicy> = {}): NextHopPolicy => ({
  routes: new Map(),
  mxPort: 25,
  mxTls: 'opportunistic',
  hostname: 'mx.example.org',
  dns,
  random: () => 0,
  ...o,
});

test('nextHop: the example in its documentation', async () => {
  const dns = fakeDns({});
  const d = await nextHop('example.net', policy(dns, { routes: new Map([['example.net', { host: '127.0.0.1', port: 2526, mx: false, tls: 'none' }]]) }));
  assert.deepEqual(d, { key: 'route:example.net', hops: [{ address: '127.0.0.1', port: 2526, name: '127.0.0.1', tls: 'none' }] });
  assert.deepEqual(dns.asked, [], 'an IP address needs no lookup');
});

test('nextHop sorts MX records by preference, shuffles equal ones with the injected random, and uses A then AAAA', async () => {
  const dns = fakeDns({
    mx: { 'y.test': [{ exchange: 'b.y.test', priority: 20 }, { exchange: 'a1.y.test', priority: 10 }, { exchange: 'a2.y.test', priority: 10 }] },
    a: { 'a1.y.test': ['192.0.2.1'], 'a2.y.test': ['192.0.2.2'], 'b.y.test': ['192.0.2.3'] },
    aaaa: { 'a1.y.test': ['2001:db8::1'] },
  });
  const first = await nextHop('Y.test', policy(dns, { random: () => 0 }));
  assert.ok('hops' in first);
  assert.equal(first.key, 'mx:y.test');
  assert.deepEqual(first.hops.map((h) => [h.name, h.address, h.port, h.tls]), [
    ['a2.y.test', '192.0.2.2', 25, 'opportunistic'],
    ['a1.y.test', '192.0.2.1', 25, 'opportunistic'],
    ['a1.y.test', '2001:db8::1', 25, 'opportunistic'],
    ['b.y.test', '192.0.2.3', 25, 'opportunistic'],
  ]);
  const other = await nextHop('y.test', policy(dns, { random: () => 0.99 }));
  assert.ok('hops' in other);
  assert.deepEqual(other.hops.map((h) => h.name), ['a1.y.test', 'a1.y.test', 'a2.y.test', 'b.y.test']);
});

test('nextHop falls back to the domain itself without MX records (RFC 5321 §5.1) and fails a domain that does not exist', async () => {
  const dns = fakeDns({ a: { 'plain.test': ['192.0.2.9'] } });
  const d = await nextHop('plain.test', policy(dns));
  assert.ok('hops' in d);
  assert.deepEqual(d.hops.map((h) => [h.name, h.address]), [['plain.test', '192.0.2.9']]);
  const gone = await nextHop('nowhere.test', policy(dns));
  assert.ok('failure' in gone);
  assert.deepEqual(gone.failure, { permanent: true, code: 550, enhanced: '5.4.4', text: 'Host or domain name not found: nowhere.test' });
});

test('nextHop fails a null MX permanently with 556 5.1.10 (RFC 7505)', async () => {
  for (const exchange of ['', '.']) {
    const d = await nextHop('nomail.test', policy(fakeDns({ mx: { 'nomail.test': [{ exchange, priority: 0 }] } })));
    assert.ok('failure' in d);
    assert.deepEqual([d.failure.permanent, d.failure.code, d.failure.enhanced], [true, 556, '5.1.10']);
  }
});

test('nextHop keeps only MX hosts preferred over this server, and refuses mail that loops back to itself', async () => {
  const dns = fakeDns({
    mx: {
      'backup.test': [{ exchange: 'primary.test', priority: 10 }, { exchange: 'MX.example.org.', priority: 20 }, { exchange: 'tertiary.test', priority: 30 }],
      'self.test': [{ exchange: 'mx.example.org', priority: 10 }],
    },
    a: { 'primary.test': ['192.0.2.10'], 'tertiary.test': ['192.0.2.30'], 'mx.example.org': ['192.0.2.99'] },
  });
  const d = await nextHop('backup.test', policy(dns));
  assert.ok('hops' in d);
  assert.deepEqual(d.hops.map((h) => h.name), ['primary.test']);
  const loop = await nextHop('self.test', policy(dns));
  assert.ok('failure' in loop);
  assert.deepEqual([loop.failure.code, loop.failure.enhanced, loop.failure.text], [554, '5.4.6', 'Mail for self.test loops back to myself']);
});

test('nextHop defers on a DNS server failure and on MX hosts without addresses', async () => {
  const dns = fakeDns({ mx: { 'broken.test': 'ESERVFAIL', 'empty.test': [{ exchange: 'ghost.empty.test', priority: 0 }] } });
  for (const domain of ['broken.test', 'empty.test']) {
    const d = await nextHop(domain, policy(dns));
    assert.ok('failure' in d, domain);
    assert.deepEqual([d.failure.permanent, d.failure.code, d.failure.enhanced], [false, 451, '4.4.3']);
  }
});

test('nextHop: static routes first, then the smarthost for every other domain; a bare route host is an MX lookup', async () => {
  const dns = fakeDns({ mx: { 'relay.test': [{ exchange: 'in.relay.test', priority: 5 }] }, a: { 'in.relay.test': ['192.0.2.50'], 'smart.test': ['192.0.2.60'] } });
  const p = policy(dns, {
    routes: new Map([['routed.test', { host: 'relay.test', port: 2525, mx: true, tls: 'required' as const, auth: { user: 'u', pass: 'p' } }]]),
    smarthost: { host: 'smart.test', port: 587, mx: false, tls: 'required', auth: { user: 'me', pass: 'pw' } },
  });
  const routed = await nextHop('routed.test', p);
  assert.ok('hops' in routed);
  assert.deepEqual(routed.hops, [{ address: '192.0.2.50', port: 2525, name: 'in.relay.test', tls: 'required', auth: { user: 'u', pass: 'p' } }]);
  const other = await nextHop('anything.test', p);
  assert.ok('hops' in other);
  assert.equal(other.key, 'smarthost');
  assert.deepEqual(other.hops, [{ address: '192.0.2.60', port: 587, name: 'smart.test', tls: 'required', auth: { user: 'me', pass: 'pw' } }]);
  assert.ok(!dns.asked.includes('MX anything.test'), 'the smarthost replaces MX lookups');
});

test('nextHop sends a domain literal straight to its address and refuses a bad one', async () => {
  const dns = fakeDns({});
  const v4 = await nextHop('[192.0.2.7]', policy(dns));
  assert.deepEqual(v4, { key: 'literal:192.0.2.7', hops: [{ address: '192.0.2.7', port: 25, name: '192.0.2.7', tls: 'opportunistic' }] });
  const v6 = await nextHop('[IPv6:2001:db8::7]', policy(dns));
  assert.ok('hops' in v6);
  assert.equal(v6.hops[0]?.address, '2001:db8::7');
  const badLiteral = await nextHop('[not-an-ip]', policy(dns));
  assert.ok('failure' in badLiteral && badLiteral.failure.permanent);
  assert.deepEqual(dns.asked, []);
});
