import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { flattenAddresses, formatAddressList, formatMailbox, parseAddressList, type AddressItem, type Mailbox } from './address.js';

/** ISO-2022-JP in base64, built from EUC-JP (JIS X 0208 = EUC-JP with the high bits cleared). */
const iso2022jpB64 = (text: string): string =>
  Buffer.concat([Buffer.from('\x1b$B', 'latin1'), Buffer.from(iconv.encode(text, 'euc-jp').map((b) => b & 0x7f)), Buffer.from('\x1b(B', 'latin1')]).toString('base64');
const mb = (name: string, address: string): Mailbox => ({ name, address });

const cases: [string, AddressItem[]][] = [
  // RFC 5322 Appendix A.1.1 - A.1.3
  ['John Doe <jdoe@machine.example>', [mb('John Doe', 'jdoe@machine.example')]],
  ['"Joe Q. Public" <john.q.public@example.com>', [mb('Joe Q. Public', 'john.q.public@example.com')]],
  [
    'Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>',
    [mb('Mary Smith', 'mary@x.test'), mb('', 'jdoe@example.org'), mb('Who?', 'one@y.test')],
  ],
  [
    '<boss@nil.test>, "Giant; \\"Big\\" Box" <sysservices@example.net>',
    [mb('', 'boss@nil.test'), mb('Giant; "Big" Box', 'sysservices@example.net')],
  ],
  [
    'A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;',
    [{ name: 'A Group', group: [mb('Ed Jones', 'c@a.test'), mb('', 'joe@where.test'), mb('John', 'jdoe@one.test')] }],
  ],
  ['Undisclosed recipients:;', [{ name: 'Undisclosed recipients', group: [] }]],
  ['undisclosed-recipients:;', [{ name: 'undisclosed-recipients', group: [] }]],
  // RFC 5322 Appendix A.5: white space, comments
  ['Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>', [mb('Pete', 'pete@silly.test')]],
  [
    'A Group(Some people)\r\n     :Chris Jones <c@(Chris\'s host.)public.example>,\r\n         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)',
    [{ name: 'A Group', group: [mb('Chris Jones', 'c@public.example'), mb('', 'joe@example.org'), mb('John', 'jdoe@one.test')] }],
  ],
  ['(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;', [{ name: 'Hidden recipients', group: [] }]],
  // RFC 5322 Appendix A.6: obsolete syntax
  ['Joe Q. Public <john.q.public@example.com>', [mb('Joe Q. Public', 'john.q.public@example.com')]],
  [
    'Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example',
    [mb('Mary Smith', 'mary@example.net'), mb('', 'jdoe@test.example')],
  ],
  ['John Doe <jdoe@machine(comment).  example>', [mb('John Doe', 'jdoe@machine.example')]],
  ['Mary Smith\r\n  \r\n          <mary@example.net>', [mb('Mary Smith', 'mary@example.net')]],
  ['<@a.test,@b.test:user@x.test>', [mb('', 'user@x.test')]],
  // Encoded words in names (RFC 2047 §5(3)), also inside quotes (Outlook)
  ['=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>', [mb('Keith Moore', 'moore@cs.utk.edu')]],
  ['=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>', [mb('Keld Jørn Simonsen', 'keld@dkuug.dk')]],
  ['=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>', [mb('André Pirard', 'PIRARD@vm1.ulg.ac.be')]],
  ['"=?UTF-8?B?5pel5pys6Kqe?=" <ja@x.test>', [mb('日本語', 'ja@x.test')]],
  ['=?UTF-8?B?5pel?= =?UTF-8?B?5pys?= <ja@x.test>', [mb('日本', 'ja@x.test')]],
  // Comment as the name
  ['john@x.test (John Doe)', [mb('John Doe', 'john@x.test')]],
  ['john@x.test (=?UTF-8?Q?J=C3=B6rg?=)', [mb('Jörg', 'john@x.test')]],
  ['Nathaniel Borenstein <nsb@thumper.bellcore.com> (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)', [mb('Nathaniel Borenstein', 'nsb@thumper.bellcore.com')]],
  // Quoted strings, escapes, quoted local parts
  ['"Doe, John" <john@x.test>', [mb('Doe, John', 'john@x.test')]],
  ['"john doe"@x.test', [mb('', '"john doe"@x.test')]],
  ['"john"@x.test', [mb('', 'john@x.test')]],
  ['"a\\\\b" <ab@x.test>', [mb('a\\b', 'ab@x.test')]],
  // Commas in unquoted names: a comma always separates items (mailparser, Python)
  ['Doe, John <j@x.test>', [mb('Doe', ''), mb('John', 'j@x.test')]],
  // Missing brackets, missing ">", stray characters, trailing garbage
  ['John Doe john@x.test', [mb('John Doe', 'john@x.test')]],
  ['John <john@x.test', [mb('John', 'john@x.test')]],
  ['John <john@x.test, Mary <mary@x.test>', [mb('John', 'john@x.test'), mb('Mary', 'mary@x.test')]],
  ['John <john@x.test> trailing garbage', [mb('John', 'john@x.test')]],
  ['<john@x.test> John', [mb('John', 'john@x.test')]],
  ['Bad <name <real@x.test>', [mb('Bad', 'real@x.test')]],
  ['john@x.test>', [mb('', 'john@x.test')]],
  ['<mailto:john@x.test>', [mb('', 'john@x.test')]],
  ['john@x.test <john@x.test>', [mb('', 'john@x.test')]],
  ['a@x.test; b@x.test', [mb('', 'a@x.test'), mb('', 'b@x.test')]],
  [',, a@x.test ,,', [mb('', 'a@x.test')]],
  ['<>', []],
  ['', []],
  ['   ', []],
  ['(just a comment)', []],
  ["'John Smith' <john@x.test>", [mb("'John Smith'", 'john@x.test')]],
  ['<john@x.test> (John)', [mb('John', 'john@x.test')]],
  ['=?UTF-8?Q?J=C3=B6rg?=<j@x.test>', [mb('Jörg', 'j@x.test')]],
  ['"=?UTF-8?Q?J=C3=B6rg?= Smith" <j@x.test>', [mb('Jörg Smith', 'j@x.test')]],
  [`=?ISO-2022-JP?B?${iso2022jpB64('山田太郎')}?= <yamada@x.test>`, [mb('山田太郎', 'yamada@x.test')]],
  [`=?ks_c_5601-1987?B?${iconv.encode('홍길동', 'cp949').toString('base64')}?= <hong@x.test>`, [mb('홍길동', 'hong@x.test')]],
  ['"Smith, John" <john@x.test>, "Doe, Jane" <jane@x.test>,', [mb('Smith, John', 'john@x.test'), mb('Doe, Jane', 'jane@x.test')]],
  ['Jürgen Weiß <jw@x.test>', [mb('Jürgen Weiß', 'jw@x.test')]],
  ['John', [mb('John', '')]],
  ['"x@evil.test"', [mb('x@evil.test', '')]],
  ['"x@evil.test" <real@x.test>', [mb('x@evil.test', 'real@x.test')]],
  ['=?UTF-8?B?eEBldmlsLnRlc3Q=?=', [mb('x@evil.test', '')]],
  ['user@[192.0.2.1]', [mb('', 'user@[192.0.2.1]')]],
  // RFC 6532: UTF-8 names, local parts and domains
  ['Jörg Müller <jörg@bücher.example>', [mb('Jörg Müller', 'jörg@bücher.example')]],
  ['用户@例子.广告', [mb('', '用户@例子.广告')]],
  ['"Ελληνικά" <θ@παράδειγμα.δοκιμή>', [mb('Ελληνικά', 'θ@παράδειγμα.δοκιμή')]],
  // Groups: unterminated, nested (flattened), mixed with mailboxes
  ['Team: a@x.test, b@x.test', [{ name: 'Team', group: [mb('', 'a@x.test'), mb('', 'b@x.test')] }]],
  ['Outer: Inner: a@x.test; b@x.test;, c@x.test', [{ name: 'Outer', group: [mb('', 'a@x.test'), mb('', 'b@x.test')] }, mb('', 'c@x.test')]],
  ['a@x.test, T: b@x.test;, c@x.test', [mb('', 'a@x.test'), { name: 'T', group: [mb('', 'b@x.test')] }, mb('', 'c@x.test')]],
  ['"Joe: the man" <j@x.test>', [mb('Joe: the man', 'j@x.test')]],
];

for (const [input, want] of cases) {
  test(`parseAddressList(${JSON.stringify(input).slice(0, 100)})`, () => {
    assert.deepEqual(parseAddressList(input), want);
  });
}

test('parseAddressList example from the TSDoc', () => {
  assert.deepEqual(parseAddressList('"Doe, John" <john@x.test>, Team: a@x.test;'), [
    { name: 'Doe, John', address: 'john@x.test' },
    { name: 'Team', group: [{ name: '', address: 'a@x.test' }] },
  ]);
});

test('parseAddressList never throws and stays fast on hostile input (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('<', '>', '"', '(', ')', '\\', ',', ';', ':', '@', ' ', 'a', '.', '[', ']', '=?') }), (s) => {
      const items = parseAddressList(s);
      for (const m of flattenAddresses(items)) assert.equal(typeof m.address, 'string');
    }),
    { numRuns: 1000 },
  );
  const t = Date.now();
  parseAddressList('<'.repeat(100_000) + '@'.repeat(100_000));
  parseAddressList('a@b, '.repeat(50_000));
  parseAddressList('('.repeat(100_000));
  assert.ok(Date.now() - t < 3000);
});

test('flattenAddresses flattens groups in order (TSDoc example)', () => {
  assert.deepEqual(
    flattenAddresses(parseAddressList('a@x.test, T: b@x.test;')).map((m) => m.address),
    ['a@x.test', 'b@x.test'],
  );
});

const formatCases: [{ name?: string; address: string }, { utf8?: boolean } | undefined, string][] = [
  [{ address: 'john@x.test' }, undefined, 'john@x.test'],
  [{ name: '', address: 'john@x.test' }, undefined, 'john@x.test'],
  [{ name: 'John Doe', address: 'john@x.test' }, undefined, 'John Doe <john@x.test>'],
  [{ name: 'Doe, John', address: 'john@x.test' }, undefined, '"Doe, John" <john@x.test>'],
  [{ name: 'Joe Q. Public', address: 'j@x.test' }, undefined, '"Joe Q. Public" <j@x.test>'],
  [{ name: 'Giant; "Big" Box', address: 's@x.test' }, undefined, '"Giant; \\"Big\\" Box" <s@x.test>'],
  [{ name: 'a\\b', address: 's@x.test' }, undefined, '"a\\\\b" <s@x.test>'],
  [{ name: ' padded ', address: 's@x.test' }, undefined, '" padded " <s@x.test>'],
  [{ name: 'Jörg Müller', address: 'j@x.test' }, undefined, '=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <j@x.test>'],
  [{ name: 'Jörg Müller', address: 'j@x.test' }, { utf8: true }, 'Jörg Müller <j@x.test>'],
  [{ name: 'Müller, Jörg', address: 'j@x.test' }, { utf8: true }, '"Müller, Jörg" <j@x.test>'],
  [{ name: '=?x?q?y?=', address: 'j@x.test' }, undefined, '=?UTF-8?B?PT94P3E/eT89?= <j@x.test>'],
  [{ name: 'A', address: 'user@bücher.example' }, undefined, 'A <user@xn--bcher-kva.example>'],
  [{ name: 'A', address: 'jörg@bücher.example' }, { utf8: true }, 'A <jörg@bücher.example>'],
  [{ name: 'A', address: '"a,b"@x.test' }, undefined, 'A <"a,b"@x.test>'],
];
for (const [m, opts, want] of formatCases) {
  test(`formatMailbox(${JSON.stringify(m)}, ${JSON.stringify(opts)}) gives ${want}`, () => {
    assert.equal(formatMailbox(m, opts), want);
  });
}

test('formatMailbox example from the TSDoc', () => {
  assert.equal(formatMailbox({ name: 'Doe, John', address: 'john@x.test' }), '"Doe, John" <john@x.test>');
});

const formatThrows: [{ name?: string; address: string }, { utf8?: boolean } | undefined, RegExp][] = [
  [{ name: 'Eve\r\nBcc: victim@x.test', address: 'e@x.test' }, undefined, /Cannot encode mailbox name: value contains CR or LF/],
  [{ name: 'Eve', address: 'e@x.test\r\nBcc: victim@x.test' }, undefined, /value contains CR or LF/],
  [{ name: 'Eve', address: 'e@x.test\0' }, undefined, /value contains NUL/],
  [{ name: 'Eve\0', address: 'e@x.test' }, undefined, /value contains NUL/],
  [{ address: 'no-at-sign' }, undefined, /not of the form local@domain/],
  [{ address: '@x.test' }, undefined, /not of the form local@domain/],
  [{ address: 'a@' }, undefined, /not of the form local@domain/],
  [{ address: 'a b@x.test' }, undefined, /whitespace, angle brackets or control/],
  [{ address: 'a@x.test>, evil@y.test' }, undefined, /whitespace, angle brackets or control/],
  [{ address: 'a\x01@x.test' }, undefined, /control/],
  [{ address: 'jörg@x.test' }, undefined, /non-ASCII local part needs SMTPUTF8/],
];
for (const [m, opts, want] of formatThrows) {
  test(`formatMailbox(${JSON.stringify(m)}) throws ${want}`, () => {
    assert.throws(() => formatMailbox(m, opts), want);
  });
}

test('formatAddressList joins mailboxes, parses string items and keeps groups (TSDoc example)', () => {
  assert.equal(formatAddressList(['a@x.test', { name: 'Bé', address: 'b@x.test' }]), 'a@x.test, =?UTF-8?B?QsOp?= <b@x.test>');
  assert.equal(formatAddressList(['John <j@x.test>, k@x.test', 'Team: a@x.test, b@x.test;']), 'John <j@x.test>, k@x.test, Team: a@x.test, b@x.test;');
  assert.equal(formatAddressList(['undisclosed-recipients:;']), 'undisclosed-recipients:;');
  assert.equal(formatAddressList([]), '');
});

test('formatAddressList throws on CR/LF in a string item and on items without an address', () => {
  assert.throws(() => formatAddressList(['a@x.test\r\nBcc: v@x.test']), /value contains CR or LF/);
  assert.throws(() => formatAddressList(['John']), /not of the form local@domain/);
});

const nameArb = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/[\r\n\0]/g, ''));
const local = fc.stringMatching(/^[a-z0-9][a-z0-9.+_-]{0,15}$/).filter((s) => !s.includes('..') && !s.endsWith('.'));

test('formatMailbox then parseAddressList gives the mailbox back (property)', () => {
  fc.assert(
    fc.property(nameArb, local, fc.boolean(), (name, l, utf8) => {
      const address = `${l}@example.test`;
      const parsed = parseAddressList(formatMailbox({ name, address }, { utf8 }));
      // Display names are trimmed by the parser, and a name equal to the address is dropped.
      const want = name.trim() === address ? '' : name.trim();
      assert.deepEqual(parsed, [{ name: want, address }]);
    }),
    { numRuns: 500 },
  );
});
