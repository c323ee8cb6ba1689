import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDate, parseDate } from './date.js';

const cases: [string, string | null][] = [
  // RFC 5322 Appendix A
  ['Fri, 21 Nov 1997 09:55:06 -0600', '1997-11-21T15:55:06.000Z'],
  ['Tue, 1 Jul 2003 10:52:37 +0200', '2003-07-01T08:52:37.000Z'],
  ['Thu, 13 Feb 1969 23:32:54 -0330', '1969-02-14T03:02:54.000Z'],
  ['Mon, 24 Nov 1997 14:22:01 -0800', '1997-11-24T22:22:01.000Z'],
  ['Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)', '1969-02-14T03:02:00.000Z'],
  ['21 Nov 97 09:55:06 GMT', '1997-11-21T09:55:06.000Z'],
  ['Fri, 21 Nov 1997 09(comment):   55  :  06 -0600', '1997-11-21T15:55:06.000Z'],
  // RFC 5322 §4.3: years, named and military zones
  ['1 Jan 49 00:00:00 +0000', '2049-01-01T00:00:00.000Z'],
  ['1 Jan 50 00:00:00 +0000', '1950-01-01T00:00:00.000Z'],
  ['1 Jan 00 00:00:00 +0000', '2000-01-01T00:00:00.000Z'],
  ['1 Jan 103 00:00:00 +0000', '2003-01-01T00:00:00.000Z'],
  ['1 Jan 2003 12:00:00 UT', '2003-01-01T12:00:00.000Z'],
  ['1 Jan 2003 12:00:00 EST', '2003-01-01T17:00:00.000Z'],
  ['1 Jul 2003 12:00:00 EDT', '2003-07-01T16:00:00.000Z'],
  ['1 Jan 2003 12:00:00 CST', '2003-01-01T18:00:00.000Z'],
  ['1 Jul 2003 12:00:00 CDT', '2003-07-01T17:00:00.000Z'],
  ['1 Jan 2003 12:00:00 MST', '2003-01-01T19:00:00.000Z'],
  ['1 Jul 2003 12:00:00 MDT', '2003-07-01T18:00:00.000Z'],
  ['1 Jan 2003 12:00:00 PST', '2003-01-01T20:00:00.000Z'],
  ['1 Jul 2003 12:00:00 PDT', '2003-07-01T19:00:00.000Z'],
  ['1 Jan 2003 12:00:00 Z', '2003-01-01T12:00:00.000Z'],
  ['1 Jan 2003 12:00:00 A', '2003-01-01T12:00:00.000Z'],
  ['1 Jan 2003 12:00:00 y', '2003-01-01T12:00:00.000Z'],
  // What real mailers send
  ['Wed, 02 Oct 2002 08:00:00 EST', '2002-10-02T13:00:00.000Z'],
  ['2 Oct 2002 08:00 +0100', '2002-10-02T07:00:00.000Z'],
  ['wed, 2 oct 2002 08:00:00 +0100', '2002-10-02T07:00:00.000Z'],
  ['WED, 02 OCT 2002 08:00:00 +0100', '2002-10-02T07:00:00.000Z'],
  ['Wednesday, 2 October 2002 08:00:00 +0100', '2002-10-02T07:00:00.000Z'],
  ['Wed, 2 Sept 2002 08:00:00 +0000', '2002-09-02T08:00:00.000Z'],
  ['Wed,  2 Oct 2002   08:00:00   +0100  ', '2002-10-02T07:00:00.000Z'],
  ['Wed, 2 Oct 2002 08:00:00 +0100 (CET)', '2002-10-02T07:00:00.000Z'],
  ['Wed, 2 Oct 2002 08:00:00 +0100 garbage 12345', '2002-10-02T07:00:00.000Z'],
  ['Wed, 2 Oct 2002 08:00:00 CET', '2002-10-02T07:00:00.000Z'],
  ['Wed, 2 Oct 2002 08:00:00 CEST', '2002-10-02T06:00:00.000Z'],
  ['Wed, 2 Oct 2002 08:00:00 JST', '2002-10-01T23:00:00.000Z'],
  ['Wed, 2 Oct 2002 08:00:00 GMT+0100', '2002-10-02T07:00:00.000Z'],
  ['Wed, 2 Oct 2002 08:00:00 +01:00', '2002-10-02T07:00:00.000Z'],
  ['Wed, 2 Oct 2002 08:00:00 XYZ', '2002-10-02T08:00:00.000Z'],
  ['Wed, 2 Oct 2002 08:00:00', '2002-10-02T08:00:00.000Z'],
  ['Wed, 2 Oct 2002 08:00:00.123 +0000', '2002-10-02T08:00:00.000Z'],
  ['Wed, 2 Oct 2002 08:00:00 PM +0000', '2002-10-02T20:00:00.000Z'],
  ['Wed, 2 Oct 2002 12:00:00 AM +0000', '2002-10-02T00:00:00.000Z'],
  ['2 Oct 2002', '2002-10-02T00:00:00.000Z'],
  ['Wed, 02-Oct-2002 08:00:00 +0000', '2002-10-02T08:00:00.000Z'],
  ['Wed Oct  2 08:00:00 2002', '2002-10-02T08:00:00.000Z'],
  ['Wed Oct 2 08:00:00 +0200 2002', '2002-10-02T06:00:00.000Z'],
  ['Oct 2, 2002 08:00:00 +0000', '2002-10-02T08:00:00.000Z'],
  ['2002-10-02T08:00:00Z', '2002-10-02T08:00:00.000Z'],
  ['2002-10-02 08:00:00 +0100', '2002-10-02T07:00:00.000Z'],
  ['2002-10-02T08:00:00.5+01:00', '2002-10-02T07:00:00.000Z'],
  ['Sat, 31 Dec 2016 23:59:60 +0000', '2016-12-31T23:59:59.000Z'],
  ['Thu, 29 Feb 2024 10:00:00 +0000', '2024-02-29T10:00:00.000Z'],
  // No recoverable date, or a field out of range
  ['', null],
  ['not a date', null],
  ['Wed, 2 2002 08:00:00 +0000', null],
  ['Wed, Oct 08:00:00 +0000', null],
  ['Wed, 2 Oct 08:00:00 +0000', null],
  ['Wed, 32 Oct 2002 08:00:00 +0000', null],
  ['Thu, 29 Feb 2023 10:00:00 +0000', null],
  ['Wed, 31 Apr 2002 08:00:00 +0000', null],
  ['Wed, 0 Oct 2002 08:00:00 +0000', null],
  ['Wed, 2 Oct 2002 24:00:00 +0000', null],
  ['Wed, 2 Oct 2002 08:60:00 +0000', null],
  ['Wed, 2 Oct 2002 08:00:61 +0000', null],
  ['2002-13-02T08:00:00Z', null],
  ['Wed, 2 Oct 0999 08:00:00 +0000', null],
];

for (const [input, want] of cases) {
  test(`parseDate(${JSON.stringify(input)}) gives ${want}`, () => {
    const d = parseDate(input);
    assert.equal(d === null ? null : d.toISOString(), want);
  });
}

test('parseDate example from the TSDoc', () => {
  assert.equal(parseDate('Fri, 21 Nov 1997 09:55:06 -0600')?.toISOString(), '1997-11-21T15:55:06.000Z');
});

const formatCases: [string, number, string][] = [
  ['2026-11-26T10:50:41Z', 60, 'Thu, 26 Nov 2026 11:50:41 +0100'],
  ['2026-11-26T10:50:41Z', 0, 'Thu, 26 Nov 2026 10:50:41 +0000'],
  ['1997-11-21T15:55:06Z', -360, 'Fri, 21 Nov 1997 09:55:06 -0600'],
  ['1969-02-14T03:02:54Z', -210, 'Thu, 13 Feb 1969 23:32:54 -0330'],
  ['2024-02-29T23:30:00Z', 330, 'Fri, 01 Mar 2024 05:00:00 +0530'],
  ['2000-01-01T00:00:00Z', -1, 'Fri, 31 Dec 1999 23:59:00 -0001'],
];
for (const [iso, offset, want] of formatCases) {
  test(`formatDate(${iso}, ${offset}) gives ${want}`, () => {
    assert.equal(formatDate(new Date(iso), offset), want);
  });
}

test('formatDate example from the TSDoc', () => {
  assert.equal(formatDate(new Date('2026-11-26T10:50:41Z'), 60), 'Thu, 26 Nov 2026 11:50:41 +0100');
});

test('formatDate uses the local zone by default', () => {
  const d = new Date('2026-11-26T10:50:41Z');
  assert.equal(formatDate(d), formatDate(d, -d.getTimezoneOffset()));
});

test('formatDate throws on an invalid Date or offset', () => {
  assert.throws(() => formatDate(new Date(NaN)), /Cannot format date: invalid Date/);
  assert.throws(() => formatDate(new Date(0), 1440), /invalid offset/);
  assert.throws(() => formatDate(new Date(0), 1.5), /invalid offset/);
});

test('formatDate then parseDate gives the same instant to the second (property)', () => {
  fc.assert(
    fc.property(
      fc.date({ min: new Date('1900-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }),
      fc.integer({ min: -1439, max: 1439 }),
      (d, offset) => {
        const back = parseDate(formatDate(d, offset));
        assert.equal(back?.getTime(), Math.floor(d.getTime() / 1000) * 1000);
      },
    ),
    { numRuns: 1000 },
  );
});

test('parseDate never throws on arbitrary text (property)', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (s) => {
      const d = parseDate(s);
      assert.ok(d === null || Number.isFinite(d.getTime()));
    }),
    { numRuns: 1000 },
  );
});
