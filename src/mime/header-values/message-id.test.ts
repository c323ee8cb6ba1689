import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseMessageIds } from './message-id.js';

const cases: [string, string[]][] = [
  // RFC 5322 Appendix A
  ['<1234@local.machine.example>', ['1234@local.machine.example']],
  ['<5678.21-Nov-1997@example.com>', ['5678.21-Nov-1997@example.com']],
  ['<1234@local.machine.example> <3456@example.net>', ['1234@local.machine.example', '3456@example.net']],
  ['              <testabcd.1234@silly.test>', ['testabcd.1234@silly.test']],
  ['<1234   @   local(blah)  .machine .example>', ['1234@local.machine.example']],
  // What real mailers send
  ['<a@x.test>\t<b@x.test>\r\n <c@x.test>', ['a@x.test', 'b@x.test', 'c@x.test']],
  ['<a@x.test>,<b@x.test>', ['a@x.test', 'b@x.test']],
  ['<a@x.test> (added by list)', ['a@x.test']],
  ['a@x.test', ['a@x.test']],
  ['<a@x.test> b@y.test <c@z.test>', ['a@x.test', 'b@y.test', 'c@z.test']],
  ['Your message of "Mon, 1 Jan 2001" <a@x.test>', ['a@x.test']],
  ['<a@x.test', ['a@x.test']],
  ['<a@x.test <b@x.test>', ['a@x.test', 'b@x.test']],
  ['<"quoted local"@x.test>', ['"quoted local"@x.test']],
  ['<a@x.test><a@x.test>', ['a@x.test', 'a@x.test']],
  ['<no-at-sign>', ['no-at-sign']],
  ['1234', []],
  ['<>', []],
  ['', []],
  ['(only a comment)', []],
  ['<a@[127.0.0.1]>', ['a@[127.0.0.1]']],
];

for (const [input, want] of cases) {
  test(`parseMessageIds(${JSON.stringify(input)})`, () => {
    assert.deepEqual(parseMessageIds(input), want);
  });
}

test('parseMessageIds example from the TSDoc', () => {
  assert.deepEqual(parseMessageIds('<a@x.test> (comment) b@y.test, <c@z.test>'), ['a@x.test', 'b@y.test', 'c@z.test']);
});

test('parseMessageIds never throws and stays linear on hostile input', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('<', '>', '(', ')', '\\', '"', '@', ' ', ',', 'a') }), (s) => {
      for (const id of parseMessageIds(s)) assert.ok(id.length > 0);
    }),
    { numRuns: 1000 },
  );
  const t = Date.now();
  parseMessageIds('<'.repeat(100_000));
  parseMessageIds('('.repeat(100_000));
  parseMessageIds('<a@b> '.repeat(50_000));
  assert.ok(Date.now() - t < 3000);
});
