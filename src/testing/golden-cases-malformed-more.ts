/**
 * Golden corpus, suite `malformed`: broken structure, encodings, charsets and headers as they arrive in real
 * mailboxes. The expected values are what a careful reader gets back (RFC 2045 §6.7/§6.8 decoding rules, RFC 2046
 * recovery, RFC 2049 robustness); `problems` is ">0" whenever the parser has to work around a broken rule.
 *
 * (Second half of the suite; the first half is in golden-cases-malformed.ts.)
 */
import { A, b64, C, fakeFile, golden, mail, mb, P, sizeOf, utf8, type GenCase } from './golden-gen-lib.js';
import { bad, base, HEAD } from './golden-cases-malformed.js';
import { entity, multipart } from './golden-gen-mime.js';

export function malformedCasesMore(): GenCase[] {
  const out: GenCase[] = [];

  // 011 ─ no blank line between the header and the body.
  {
    const text = 'This is the body which starts right after the header.\nSecond line.\n';
    const eml = mail`${HEAD('No blank line', 'noblank', 'Content-Type: text/plain; charset=us-ascii')}
${text}`;
    out.push(
      bad('011', 'no blank line after the message header: the body starts at the first line that is no field', eml, golden({
        ...base('No blank line', 'noblank'),
        text,
        parts: [P('', 'text/plain', 'us-ascii', '7bit', null, sizeOf(text))],
        problems: '>0',
      })),
    );
  }

  // 012 ─ no blank line after a part's header.
  {
    const eml = mail`${HEAD('No blank line in a part', 'noblankpart', 'Content-Type: multipart/mixed; boundary="nb"')}

--nb
Content-Type: text/plain; charset=us-ascii
Hello part one.
--nb
Content-Type: text/plain; charset=us-ascii

Part two.
--nb--
`;
    out.push(
      bad('012', "no blank line after a part's header", eml, golden({
        ...base('No blank line in a part', 'noblankpart'),
        text: 'Hello part one.\nPart two.',
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'us-ascii', '7bit', null, 15), P('2', 'text/plain', 'us-ascii', '7bit', null, 9)],
        problems: '>0',
      })),
    );
  }

  // 013 ─ truncated in transit: cut in the middle of a base64 line (at a quantum boundary), no close delimiter.
  {
    const pdf = fakeFile('pdf', 3000, 13);
    const lines = b64(pdf).split('\n');
    const kept = `${lines.slice(0, 20).join('\n')}\n${lines[20]!.slice(0, 40)}`;
    const got = pdf.subarray(0, 20 * 57 + 30);
    const text = 'Report attached.\n';
    const eml = mail`${HEAD('Truncated', 'trunc', 'Content-Type: multipart/mixed; boundary="t"')}

--t
Content-Type: text/plain; charset=us-ascii

${text}
--t
Content-Type: application/pdf; name="big-report.pdf"
Content-Disposition: attachment; filename="big-report.pdf"
Content-Transfer-Encoding: base64

${kept}`;
    out.push(
      bad('013', 'message truncated inside a base64 attachment, no close delimiter', eml, golden({
        ...base('Truncated', 'trunc'),
        text,
        attachments: [A('big-report.pdf', 'application/pdf', got)],
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'us-ascii', '7bit', null, sizeOf(text)), P('2', 'application/pdf', null, 'base64', 'big-report.pdf', got.length)],
        problems: '>0',
      })),
    );
  }

  // 014 ─ NUL bytes in a text body (forbidden in 7bit/8bit data, RFC 2045 §2.7-2.8, but nothing to repair).
  {
    const text = 'abc\u0000def\nsecond\u0000line\n';
    const eml = mail`${HEAD('NUL bytes', 'nul', 'Content-Type: text/plain; charset=us-ascii')}

${text}`;
    out.push(
      bad('014', 'NUL bytes inside a text body: kept as U+0000', eml, golden({
        ...base('NUL bytes', 'nul'),
        text,
        parts: [P('', 'text/plain', 'us-ascii', '7bit', null, sizeOf(text))],
      })),
    );
  }

  // 015 ─ lines far over RFC 5322's 998: a 2000-character subject, a 20000-character text line, one-line base64.
  {
    const subject = `Long ${'subject '.repeat(250)}end`;
    const line = `${'Lorem ipsum dolor sit amet, ünïcödé 한국어. '.repeat(480)}END`;
    const text = `${line}\nshort line\n`;
    const bin = fakeFile('bin', 6000, 15);
    const eml = mail`${HEAD(subject, 'long', 'Content-Type: multipart/mixed; boundary="L"')}

${multipart('L', [
  entity('Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit', text),
  entity('Content-Type: application/octet-stream; name="one-line.bin"\nContent-Transfer-Encoding: base64', bin.toString('base64')),
])}`;
    out.push(
      bad('015', 'very long lines: 2000-character subject, 20000-character text line, base64 in one 8000-character line', eml, golden({
        ...base(subject, 'long'),
        text,
        attachments: [A('one-line.bin', 'application/octet-stream', bin)],
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'utf-8', '8bit', null, sizeOf(text)), P('2', 'application/octet-stream', null, 'base64', 'one-line.bin', bin.length)],
      })),
    );
  }

  // 016 ─ duplicate From, To, Subject, Date, Message-ID and Content-Type: the first of each is read; To fields add up.
  {
    const body = '<b>which type?</b>\n';
    const eml = mail`From: First Sender <first@example.com>
From: Second Sender <second@example.com>
To: one@example.com
To: two@example.com
Subject: First subject
Subject: Second subject
Date: Fri, 21 Mar 2025 10:00:00 +0000
Date: Sat, 22 Mar 2025 10:00:00 +0000
Message-ID: <first@example.com>
Message-ID: <second@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Type: text/html; charset=us-ascii

${body}`;
    out.push(
      bad('016', 'duplicate From/To/Subject/Date/Message-ID/Content-Type (RFC 5322 §3.6 allows one): first wins, To adds up', eml, golden({
        from: mb('First Sender', 'first@example.com'),
        to: [mb('', 'one@example.com'), mb('', 'two@example.com')],
        subject: 'First subject',
        date: '2025-03-21T10:00:00.000Z',
        messageId: 'first@example.com',
        text: body,
        parts: [P('', 'text/plain', 'us-ascii', '7bit', null, sizeOf(body))],
        problems: '>0',
      })),
    );
  }

  // 017 ─ broken encoded words: a character split across two words, words not separated by whitespace, a space
  // inside a Q word.
  {
    const bytes = utf8('한글 제목');
    const w1 = `=?UTF-8?B?${bytes.subarray(0, 4).toString('base64')}?=`;
    const w2 = `=?UTF-8?B?${bytes.subarray(4).toString('base64')}?=`;
    const eml = mail`From: =?UTF-8?Q?Caf=C3=A9 Owner?= <owner@example.com>
To: rcpt@example.com
Subject: ${w1} ${w2} =?UTF-8?Q?_and?==?UTF-8?Q?_more?=
Date: Thu, 20 Mar 2025 10:00:00 +0000
Message-ID: <badwords@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Encoded words gone wrong.
`;
    out.push(
      bad('017', 'encoded words: a UTF-8 character split across two words, words glued together, a space inside a Q word', eml, golden({
        ...base('한글 제목 and more', 'badwords'),
        from: mb('Café Owner', 'owner@example.com'),
        text: 'Encoded words gone wrong.\n',
        parts: [P('', 'text/plain', 'us-ascii', '7bit', null, 26)],
        problems: '>0',
      })),
    );
  }

  // 018 ─ an inner boundary that starts with the outer one followed by "--" ("b" and "b--alt"). RFC 2046 §5.1.1
  // forbids a delimiter inside a part, and its NOTE lets "--b" match any line starting with it, so the message is
  // broken; the only useful reading takes the longest (innermost) exact boundary.
  {
    const bin = Buffer.from([0, 1, 2, 3, 4]);
    const eml = mail`${HEAD('Prefix boundaries', 'prefix', 'Content-Type: multipart/mixed; boundary="b"')}

--b
Content-Type: multipart/alternative; boundary="b--alt"

--b--alt
Content-Type: text/plain

plain
--b--alt
Content-Type: text/html

<p>html</p>
--b--alt--
--b
Content-Type: application/octet-stream; name="x.bin"
Content-Transfer-Encoding: base64

AAECAwQ=
--b--
`;
    out.push(
      bad('018', 'inner boundary "b--alt" contains the outer close delimiter "--b--" (RFC 2046 §5.1.1 forbids it): the exact inner match wins', eml, golden({
        ...base('Prefix boundaries', 'prefix'),
        text: 'plain',
        html: '<p>html</p>',
        attachments: [A('x.bin', 'application/octet-stream', bin)],
        parts: [
          C('', 'multipart/mixed'),
          C('1', 'multipart/alternative'),
          P('1.1', 'text/plain', null, '7bit', null, 5),
          P('1.2', 'text/html', null, '7bit', null, 11),
          P('2', 'application/octet-stream', null, 'base64', 'x.bin', 5),
        ],
      })),
    );
  }

  // 019 ─ message/rfc822 with Content-Transfer-Encoding: base64 (forbidden by RFC 2046 §5.2.1; some gateways do it).
  {
    const inner = 'From: inner@example.com\r\nTo: rcpt@example.com\r\nSubject: Inner\r\n\r\nInner body.\r\n';
    const text = 'Forwarded message attached.\n';
    const eml = mail`${HEAD('Base64 message/rfc822', 'b64msg', 'Content-Type: multipart/mixed; boundary="m"')}

${multipart('m', [
  entity('Content-Type: text/plain; charset=us-ascii', text),
  entity('Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="forwarded.eml"', b64(utf8(inner))),
])}`;
    out.push(
      bad('019', 'message/rfc822 sent with base64 (RFC 2046 §5.2.1 forbids it): decoded and kept as an attachment', eml, golden({
        ...base('Base64 message/rfc822', 'b64msg'),
        text,
        attachments: [A('forwarded.eml', 'message/rfc822', utf8(inner))],
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'us-ascii', '7bit', null, sizeOf(text)), P('2', 'message/rfc822', null, 'base64', 'forwarded.eml', sizeOf(inner))],
        problems: '>0',
      })),
    );
  }

  // 020 ─ a header and nothing else: no blank line, no body (RFC 5322 §3.5: the body is optional).
  {
    const eml = mail`From: sender@example.com
To: rcpt@example.com
Subject: Header only
Date: Thu, 20 Mar 2025 10:00:00 +0000
Message-ID: <hdronly@example.com>
`;
    out.push(
      bad('020', 'a header block and no body at all (RFC 5322 §3.5 makes the body optional)', eml, golden({
        ...base('Header only', 'hdronly'),
        text: '',
        parts: [P('', 'text/plain', 'us-ascii', '7bit', null, 0)],
      })),
    );
  }
  return out;
}
