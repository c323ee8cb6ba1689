import test from 'node:test';
import assert from 'node:assert/strict';
import { PathError, hasNonAscii, splitPath } from './path.js';
import { SmtpError } from './reply.js';

const ok: [string, 'FROM' | 'TO', { utf8?: boolean; allowNull?: boolean; allowPostmaster?: boolean }, string, string][] = [
  ['FROM:<a@b.example>', 'FROM', {}, 'a@b.example', ''],
  ['from:<a@b.example> SIZE=10 BODY=8BITMIME', 'FROM', {}, 'a@b.example', 'SIZE=10 BODY=8BITMIME'],
  ['FROM: <a@b.example>', 'FROM', {}, 'a@b.example', ''],
  ['FROM:a@b.example SIZE=1', 'FROM', {}, 'a@b.example', 'SIZE=1'],
  ['FROM:<>', 'FROM', { allowNull: true }, '', ''],
  ['FROM:<@r1.example,@r2.example:a@b.example>', 'FROM', {}, 'a@b.example', ''],
  ['TO:<"john doe"@b.example>', 'TO', {}, '"john doe"@b.example', ''],
  ['TO:<"a>b"@b.example>', 'TO', {}, '"a>b"@b.example', ''],
  ['TO:<"a\\"b"@b.example>', 'TO', {}, '"a\\"b"@b.example', ''],
  ['TO:<a.b+tag@[192.0.2.1]>', 'TO', {}, 'a.b+tag@[192.0.2.1]', ''],
  ['TO:<a@[IPv6:2001:db8::1]>', 'TO', {}, 'a@[IPv6:2001:db8::1]', ''],
  ['TO:<Postmaster>', 'TO', { allowPostmaster: true }, 'Postmaster', ''],
  ['TO:<jörg@bücher.example>', 'TO', { utf8: true }, 'jörg@bücher.example', ''],
];
for (const [arg, kw, opts, mailbox, rest] of ok) {
  test(`splitPath(${JSON.stringify(arg)}) gives ${JSON.stringify(mailbox)}`, () => {
    assert.deepEqual(splitPath(arg, kw, { utf8: false, ...opts }), { mailbox, rest });
  });
}

const bad: [string, 'FROM' | 'TO', { allowNull?: boolean }, RegExp][] = [
  ['FROM:<>', 'FROM', {}, /empty address/],
  ['TO:<>', 'TO', {}, /empty address/],
  ['FROM:<a@b.example', 'FROM', {}, /missing ">"/],
  ['FROM:<a@b.example>SIZE=1', 'FROM', {}, /without a space/],
  ['FROM:<ab.example>', 'FROM', {}, /missing domain/],
  ['FROM:<a@>', 'FROM', {}, /missing domain/],
  ['FROM:<a@b..example>', 'FROM', {}, /invalid domain/],
  ['FROM:<a@-b.example>', 'FROM', {}, /invalid domain/],
  ['FROM:<a@b_c.example>', 'FROM', {}, /invalid domain/],
  ['FROM:<a..b@c.example>', 'FROM', {}, /invalid local part/],
  ['FROM:<a b@c.example>', 'FROM', {}, /invalid local part/],
  ['FROM:<"a@c.example>', 'FROM', {}, /missing ">"|quoted/],
  ['FROM:<a@[300.1.1.1]>', 'FROM', {}, /address literal/],
  ['FROM:<a@[192.0.2.1>', 'FROM', {}, /address literal/],
  [`FROM:<${'x'.repeat(65)}@b.example>`, 'FROM', {}, /64 octets/],
  [`FROM:<a@${'b'.repeat(62)}.${'c'.repeat(62)}.${'d'.repeat(62)}.${'e'.repeat(62)}.example>`, 'FROM', {}, /256 octets/],
  ['TO:<@r1.example:>', 'TO', {}, /missing domain/],
  ['TO:<@r1..example:a@b.example>', 'TO', {}, /invalid domain/],
  ['MAIL:<a@b.example>', 'FROM', {}, /expected FROM/],
  ['FROM:', 'FROM', {}, /missing address/],
];
for (const [arg, kw, opts, why] of bad) {
  test(`splitPath(${JSON.stringify(arg.slice(0, 60))}) refuses: ${why.source}`, () => {
    assert.throws(() => splitPath(arg, kw, { utf8: false, ...opts }), (e) => e instanceof PathError && why.test(e.message));
  });
}

test('splitPath refuses non-ASCII without SMTPUTF8 with 553 5.6.7', () => {
  assert.throws(
    () => splitPath('TO:<jörg@b.example>', 'TO', { utf8: false }),
    (e) => e instanceof SmtpError && e.code === 553 && e.enhanced === '5.6.7',
  );
  assert.throws(() => splitPath('TO:<a@bücher.example>', 'TO', { utf8: false }), (e) => e instanceof SmtpError && e.code === 553);
});

test('hasNonAscii finds a character outside ASCII', () => {
  assert.equal(hasNonAscii('böb@y.example'), true);
  assert.equal(hasNonAscii('bob@y.example'), false);
});
