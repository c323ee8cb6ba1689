/**
 * Golden corpus, suite `rfc`: messages built from the examples and rules of RFC 5322, RFC 2045-2047, RFC 2231,
 * RFC 3464, RFC 6532 and RFC 8098. Expected values are written from the RFC text, not from any parser's output.
 */
import { A, b64, C, enc, fakeFile, golden, mail, mb, P, rfc2231, sizeOf, utf8, type GenCase } from './golden-gen-lib.js';
import { entity, multipart } from './golden-gen-mime.js';

const rfc = (name: string, about: string, eml: Buffer, expected: GenCase['expected']): GenCase => ({ suite: 'rfc', name, about, eml, expected });

export function rfcCases(): GenCase[] {
  const out: GenCase[] = [];

  // 001 ─ a plain RFC 5322 message: folded Subject, quoted name with a comma, a comment after an address.
  {
    const body = 'Hi Bob,\n\nhere are the figures for Q1:\n\n  revenue   1,204\n  costs       983\n\n-- \nAlice\n';
    const eml = mail`Return-Path: <alice@example.org>
Received: from mail.example.org (mail.example.org [192.0.2.10])
\tby mx.example.net (Postfix) with ESMTPS id 4F2A1C0B12
\tfor <bob@example.net>; Mon,  3 Mar 2025 09:15:02 +0000 (UTC)
From: Alice Example <alice@example.org>
To: "Bob, Jr." <bob@example.net>, carol@example.net
Cc: Dave <dave@example.com> (Dave at home)
Subject: Quarterly figures,
 folded onto a second line
Date: Mon, 3 Mar 2025 10:15:00 +0100 (CET)
Message-ID: <20250303091500.12345@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

${body}`;
    out.push(
      rfc('001', 'RFC 5322 §2.2.3 unfolding, §3.4 quoted display name with a comma, comment after an address', eml, golden({
        from: mb('Alice Example', 'alice@example.org'),
        to: [mb('Bob, Jr.', 'bob@example.net'), mb('', 'carol@example.net')],
        cc: [mb('Dave', 'dave@example.com')],
        subject: 'Quarterly figures, folded onto a second line',
        date: '2025-03-03T09:15:00.000Z',
        messageId: '20250303091500.12345@example.org',
        text: body,
        parts: [P('', 'text/plain', 'us-ascii', '7bit', null, sizeOf(body))],
      })),
    );
  }

  // 002 ─ RFC 2047 §8 examples: words in names, two charsets joined across whitespace (§6.2).
  {
    const body = 'Hyv=E4=E4 p=E4iv=E4=E4!\nLes =E9l=E8ves =3D 3\n';
    const decoded = 'Hyvää päivää!\nLes élèves = 3\n';
    const eml = mail`From: =?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>
To: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>
CC: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>
Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=
    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=
Date: Tue, 4 Mar 2025 11:00:00 +0200
Message-ID: <rfc2047-examples@cs.utk.edu>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

${body}`;
    out.push(
      rfc('002', 'RFC 2047 §8 examples: Q words in names, B words in two charsets joined (§6.2); Latin-1 QP body', eml, golden({
        from: mb('Keith Moore', 'moore@cs.utk.edu'),
        to: [mb('Keld Jørn Simonsen', 'keld@dkuug.dk')],
        cc: [mb('André Pirard', 'PIRARD@vm1.ulg.ac.be')],
        subject: 'If you can read this you understand the example.',
        date: '2025-03-04T09:00:00.000Z',
        messageId: 'rfc2047-examples@cs.utk.edu',
        text: decoded,
        parts: [P('', 'text/plain', 'iso-8859-1', 'quoted-printable', null, enc(decoded, 'latin1').length)],
      })),
    );
  }

  // 003 ─ RFC 2231: continuations with a charset, mixed encoded and plain segments, name* on Content-Type.
  {
    const pdf = fakeFile('pdf', 2300, 3);
    const rates = 'GBP 1.00 = EUR 1.19\n';
    const long = fakeFile('bin', 120, 4);
    const ext = rfc2231('월간 보고서', 'UTF-8'); // UTF-8''%EC%9B%94%EA%B0%84%20%EB%B3%B4%EA%B3%A0%EC%84%9C
    const cut = ext.indexOf('%20') + 3;
    const text = 'The monthly report and the rates are attached.\n';
    const eml = mail`From: Reports <reports@example.com>
To: Team <team@example.com>
Subject: Monthly report
Date: Wed, 5 Mar 2025 08:30:00 +0000
Message-ID: <report-2025-03@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="rfc2231-b"

${multipart('rfc2231-b', [
  entity('Content-Type: text/plain; charset=us-ascii', text),
  entity(
    `Content-Type: application/pdf\nContent-Disposition: attachment;\n filename*0*=${ext.slice(0, cut)};\n filename*1*=${ext.slice(cut)};\n filename*2=".pdf"\nContent-Transfer-Encoding: base64`,
    b64(pdf),
  ),
  entity(`Content-Type: text/plain; name*=${rfc2231('£ rates.txt', 'iso-8859-1', 'en')}\nContent-Disposition: attachment`, rates),
  entity(
    'Content-Type: application/octet-stream\nContent-Disposition: attachment;\n filename*0="a very long file name that was split ";\n filename*1="over two lines.bin"\nContent-Transfer-Encoding: base64',
    b64(long),
  ),
])}`;
    out.push(
      rfc('003', 'RFC 2231 §3-§4: filename* continuations with a charset, name* with a language, unencoded continuations', eml, golden({
        from: mb('Reports', 'reports@example.com'),
        to: [mb('Team', 'team@example.com')],
        subject: 'Monthly report',
        date: '2025-03-05T08:30:00.000Z',
        messageId: 'report-2025-03@example.com',
        text,
        attachments: [
          A('월간 보고서.pdf', 'application/pdf', pdf),
          A('£ rates.txt', 'text/plain', utf8(rates)),
          A('a very long file name that was split over two lines.bin', 'application/octet-stream', long),
        ],
        parts: [
          C('', 'multipart/mixed'),
          P('1', 'text/plain', 'us-ascii', '7bit', null, sizeOf(text)),
          P('2', 'application/pdf', null, 'base64', '월간 보고서.pdf', pdf.length),
          P('3', 'text/plain', null, '7bit', '£ rates.txt', sizeOf(rates)),
          P('4', 'application/octet-stream', null, 'base64', 'a very long file name that was split over two lines.bin', long.length),
        ],
      })),
    );
  }

  // 004 ─ the RFC 2046 §5.1.1 example, byte for byte: preamble, implicitly typed part, epilogue.
  {
    const p1 = 'This is implicitly typed plain US-ASCII text.\nIt does NOT end with a linebreak.';
    const p2 = 'This is explicitly typed plain US-ASCII text.\nIt DOES end with a linebreak.\n';
    const eml = mail`From: Nathaniel Borenstein <nsb@bellcore.com>
To: Ned Freed <ned@innosoft.com>
Date: Sun, 21 Mar 1993 23:56:48 -0800 (PST)
Subject: Sample message
MIME-Version: 1.0
Content-type: multipart/mixed; boundary="simple boundary"

This is the preamble.  It is to be ignored, though it
is a handy place for composition agents to include an
explanatory note to non-MIME conformant readers.

--simple boundary

${p1}
--simple boundary
Content-type: text/plain; charset=us-ascii

${p2}
--simple boundary--

This is the epilogue.  It is also to be ignored.
`;
    out.push(
      rfc('004', 'RFC 2046 §5.1.1 example: preamble, part without header (default type), epilogue', eml, golden({
        from: mb('Nathaniel Borenstein', 'nsb@bellcore.com'),
        to: [mb('Ned Freed', 'ned@innosoft.com')],
        subject: 'Sample message',
        date: '1993-03-22T07:56:48.000Z',
        text: `${p1}\n${p2}`,
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'us-ascii', '7bit', null, sizeOf(p1)), P('2', 'text/plain', 'us-ascii', '7bit', null, sizeOf(p2))],
      })),
    );
  }

  // 005 ─ RFC 2046 §5.1.1 bchars: a quoted boundary with space, parentheses, quote, colon, '=' and '?', plus
  // transport padding after delimiters; nested alternative.
  {
    const B = "=_Part (0) 'x'+_,-./:=?";
    const bin = fakeFile('bin', 300, 5);
    const eml = Buffer.concat([
      mail`From: sender@example.com
To: rcpt@example.com
Subject: Boundaries
Date: Tue, 4 Mar 2025 08:00:00 -0500
Message-ID: <bnd-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="${B}"

--${B}   
Content-Type: multipart/alternative; boundary="----=_alt_7f3c"

--${'----=_alt_7f3c'}
Content-Type: text/plain; charset=utf-8

Plain version.
--${'----=_alt_7f3c'}\t
Content-Type: text/html; charset=utf-8

<p>HTML version.</p>
--${'----=_alt_7f3c'}--
--${B} 
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

${b64(bin)}
--${B}-- 
trailing epilogue
`,
    ]);
    out.push(
      rfc('005', "RFC 2046 §5.1.1: boundary with every bchar class (space, ( ) ' + _ , - . / : = ?), transport padding", eml, golden({
        from: mb('', 'sender@example.com'),
        to: [mb('', 'rcpt@example.com')],
        subject: 'Boundaries',
        date: '2025-03-04T13:00:00.000Z',
        messageId: 'bnd-1@example.com',
        text: 'Plain version.',
        html: '<p>HTML version.</p>',
        attachments: [A(null, 'application/octet-stream', bin)],
        parts: [
          C('', 'multipart/mixed'),
          C('1', 'multipart/alternative'),
          P('1.1', 'text/plain', 'utf-8', '7bit', null, 14),
          P('1.2', 'text/html', 'utf-8', '7bit', null, 20),
          P('2', 'application/octet-stream', null, 'base64', null, bin.length),
        ],
      })),
    );
  }

  // 006 ─ RFC 2046 §5.1.7 digest example: parts of multipart/digest default to message/rfc822 (§5.1.5).
  {
    const intro = '  ...Introductory text or table of contents...\n';
    const m1 = 'From: someone-else@example.org\nDate: Fri, 26 Mar 1993 11:13:32 +0200\nSubject: my opinion\n\n  ...body goes here ...\n';
    const m2 = 'From: someone-else-again@example.org\nDate: Fri, 26 Mar 1993 10:07:13 -0500\nSubject: my different opinion\n\n  ...another body goes here...\n';
    const eml = mail`From: Moderator-Address <moderator@example.org>
To: Recipient-List <list@example.org>
Date: Sat, 27 Mar 1993 09:00:00 +0000
Subject: Internet Digest, volume 42
Message-ID: <digest-42@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed;
              boundary="---- main boundary ----"

------ main boundary ----

${intro}
------ main boundary ----
Content-Type: multipart/digest;
              boundary="---- next message ----"

------ next message ----

${m1}
------ next message ----

${m2}
------ next message ------

------ main boundary ------
`;
    out.push(
      rfc('006', 'RFC 2046 §5.1.5/§5.1.7 digest: untyped parts of multipart/digest are message/rfc822', eml, golden({
        from: mb('Moderator-Address', 'moderator@example.org'),
        to: [mb('Recipient-List', 'list@example.org')],
        subject: 'Internet Digest, volume 42',
        date: '1993-03-27T09:00:00.000Z',
        messageId: 'digest-42@example.org',
        text: intro,
        attachments: [A(null, 'message/rfc822', utf8(m1)), A(null, 'message/rfc822', utf8(m2))],
        parts: [
          C('', 'multipart/mixed'),
          P('1', 'text/plain', 'us-ascii', '7bit', null, sizeOf(intro)),
          C('2', 'multipart/digest'),
          C('2.1', 'message/rfc822'),
          P('2.1', 'text/plain', 'us-ascii', '7bit', null, sizeOf('  ...body goes here ...\n')),
          C('2.2', 'message/rfc822'),
          P('2.2', 'text/plain', 'us-ascii', '7bit', null, sizeOf('  ...another body goes here...\n')),
        ],
      })),
    );
  }

  // 007 ─ RFC 3464 delivery status notification returning the whole message.
  {
    const notice =
      'The original message was received at Wed, 5 Mar 2025 11:59:58 GMT\nfrom mail.example.org [192.0.2.10]\n\n' +
      '   ----- The following addresses had permanent fatal errors -----\n<nobody@example.net>\n' +
      '    (reason: 550 5.1.1 <nobody@example.net>... User unknown)\n';
    const status =
      'Reporting-MTA: dns; mx.example.net\nArrival-Date: Wed, 5 Mar 2025 11:59:58 GMT\n\n' +
      'Final-Recipient: RFC822; nobody@example.net\nAction: failed\nStatus: 5.1.1\nRemote-MTA: DNS; mx2.example.net\n' +
      'Diagnostic-Code: SMTP; 550 5.1.1 <nobody@example.net>... User unknown\nLast-Attempt-Date: Wed, 5 Mar 2025 12:00:01 GMT\n';
    const innerBody = 'Shall we meet at noon? — Alice\n';
    const inner =
      'Return-Path: <alice@example.org>\nFrom: Alice <alice@example.org>\nTo: nobody@example.net\nSubject: Lunch?\n' +
      'Date: Wed, 5 Mar 2025 12:59:50 +0100\nMessage-ID: <lunch-1@example.org>\nContent-Type: text/plain; charset=utf-8\n' +
      `Content-Transfer-Encoding: 8bit\n\n${innerBody}`;
    const B = 'ABC123.1741176001/mx.example.net';
    const eml = mail`From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>
To: <alice@example.org>
Subject: Returned mail: see transcript for details
Date: Wed, 5 Mar 2025 12:00:01 +0000
Message-ID: <202503051200.ABC123@mx.example.net>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="${B}"

${multipart(B, [entity('', notice).subarray(1), entity('Content-Type: message/delivery-status', status), entity('Content-Type: message/rfc822', inner)], {
  preamble: 'This is a MIME-encapsulated message\n',
})}`;
    out.push(
      rfc('007', 'RFC 3464 multipart/report delivery-status with the returned message (message/rfc822)', eml, golden({
        from: mb('Mail Delivery Subsystem', 'MAILER-DAEMON@mx.example.net'),
        to: [mb('', 'alice@example.org')],
        subject: 'Returned mail: see transcript for details',
        date: '2025-03-05T12:00:01.000Z',
        messageId: '202503051200.ABC123@mx.example.net',
        text: notice,
        attachments: [A(null, 'message/delivery-status', utf8(status)), A(null, 'message/rfc822', utf8(inner))],
        parts: [
          C('', 'multipart/report'),
          P('1', 'text/plain', 'us-ascii', '7bit', null, sizeOf(notice)),
          P('2', 'message/delivery-status', null, '7bit', null, sizeOf(status)),
          C('3', 'message/rfc822'),
          P('3', 'text/plain', 'utf-8', '8bit', null, sizeOf(innerBody)),
        ],
      })),
    );
  }

  return out;
}
