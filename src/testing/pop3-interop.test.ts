import test from 'node:test';
import assert from 'node:assert/strict';
import { crlfToLf, firstDifference, mboxoQuotePosix, mboxrdQuote, messageKey, pop3MessageSet, splitMbox } from './pop3-interop.js';

test('pop3MessageSet has four CRLF messages named by their Message-ID, the big one about 10 MB', () => {
  const set = pop3MessageSet();
  assert.deepEqual(
    set.map((m) => m.key),
    ['plain', 'big', 'korean', 'dots'],
  );
  for (const m of set) {
    assert.equal(messageKey(m.bytes), m.key);
    assert.doesNotMatch(m.bytes.toString('latin1'), /[^\r]\n|\r[^\n]/, `${m.key}: CRLF only`);
    assert.ok(m.bytes.subarray(-2).equals(Buffer.from('\r\n')), `${m.key} ends with CRLF`);
  }
  assert.ok(set[1]!.bytes.length > 10_000_000, String(set[1]!.bytes.length));
  assert.ok(set[1]!.bytes.equals(pop3MessageSet()[1]!.bytes), 'deterministic');
  assert.ok(set[2]!.bytes.some((b) => b >= 0x80), 'the Korean message is 8-bit');
});

test('messageKey reads the Message-ID of the header only', () => {
  assert.equal(messageKey(Buffer.from('Message-ID: <pop3-interop-dots@example.test>\r\n\r\n')), 'dots');
  assert.equal(messageKey(Buffer.from('Subject: x\n\nMessage-ID: <pop3-interop-dots@example.test>\n')), null);
});

test('crlfToLf, mboxrdQuote and mboxoQuotePosix change exactly what they name', () => {
  assert.equal(crlfToLf(Buffer.from('a\r\nb\r\n\rc\n')).toString(), 'a\nb\n\rc\n');
  assert.equal(mboxrdQuote(Buffer.from('From a\n>From b\nFrom\n')).toString(), '>From a\n>>From b\nFrom\n');
  assert.equal(mboxoQuotePosix(Buffer.from('S: x\n\nFrom a\nFrom b\n\n>From c\n')).toString(), 'S: x\n\n>From a\nFrom b\n\n>From c\n');
  assert.equal(mboxoQuotePosix(Buffer.from('S: x\n\nbody\nFrom a@b Thu Nov 26 11:50:41 2026\n')).toString(), 'S: x\n\nbody\n>From a@b Thu Nov 26 11:50:41 2026\n');
});

test('splitMbox splits at From_ lines after an empty line only, and drops the empty line after each message', () => {
  const mbox = 'From a@b Thu Nov 26 11:50:41 2026\nSubject: x\n\nbody\n\nFrom the desk\n\nFrom c@d Thu Nov  5 01:02:03 2026\nS: y\n\n';
  assert.deepEqual(
    splitMbox(Buffer.from(mbox)).map((m) => [m.fromLine, m.message.toString()]),
    [
      ['From a@b Thu Nov 26 11:50:41 2026', 'Subject: x\n\nbody\n\nFrom the desk\n'],
      ['From c@d Thu Nov  5 01:02:03 2026', 'S: y\n'],
    ],
  );
  assert.deepEqual(splitMbox(Buffer.alloc(0)), []);
  assert.throws(() => splitMbox(Buffer.from('Subject: x\n\n')), /not a From_ line/);
  assert.throws(() => splitMbox(Buffer.from('From a@b Thu Nov 26 11:50:41 2026\nS: x\n')), /not followed by an empty line/);
});

test('firstDifference names the first differing byte, or null', () => {
  assert.equal(firstDifference(Buffer.from('abc'), Buffer.from('abc')), null);
  assert.equal(firstDifference(Buffer.from('abc'), Buffer.from('abd')), 'first difference at byte 2 of 3/3: got "abc", expected "abd"');
  assert.match(firstDifference(Buffer.from('ab'), Buffer.from('abc'))!, /^first difference at byte 2 of 2\/3/);
});
