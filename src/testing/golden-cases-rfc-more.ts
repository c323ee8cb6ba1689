/**
 * Golden corpus, suite `rfc`: messages built from the examples and rules of RFC 5322, RFC 2045-2047, RFC 2231,
 * RFC 3464, RFC 6532 and RFC 8098. Expected values are written from the RFC text, not from any parser's output.
 *
 * (Second half of the suite; the first half is in golden-cases-rfc.ts.)
 */
import { A, b64, C, crlf, ewB, golden, mail, mb, P, sizeOf, utf8, type GenCase } from './golden-gen-lib.js';
import { entity, multipart } from './golden-gen-mime.js';

const rfc = (name: string, about: string, eml: Buffer, expected: GenCase['expected']): GenCase => ({ suite: 'rfc', name, about, eml, expected });

export function rfcCasesMore(): GenCase[] {
  const out: GenCase[] = [];

  // 008 ─ RFC 8098 message disposition notification.
  {
    const human =
      'The message sent on 2025-03-05 at 12:00:00 +0100 to Bob <bob@example.net>\nwith subject "Lunch?" has been displayed.\n' +
      'This is no guarantee that the message has been read or understood.\n';
    const mdn =
      'Reporting-UA: mua.example.net; Postroom\nOriginal-Recipient: rfc822;bob@example.net\nFinal-Recipient: rfc822;bob@example.net\n' +
      'Original-Message-ID: <lunch-1@example.org>\nDisposition: manual-action/MDN-sent-manually; displayed\n';
    const headers = 'From: Alice <alice@example.org>\nTo: Bob <bob@example.net>\nSubject: Lunch?\nMessage-ID: <lunch-1@example.org>\n';
    const B = 'RAA14128.773615765/example.net';
    const eml = mail`From: Bob <bob@example.net>
To: Alice <alice@example.org>
Subject: Disposition notification
Date: Wed, 5 Mar 2025 12:10:00 +0100
Message-ID: <mdn-1@example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification;
\tboundary="${B}"

${multipart(B, [
  entity('Content-Type: text/plain; charset=us-ascii', human),
  entity('Content-Type: message/disposition-notification', mdn),
  entity('Content-Type: text/rfc822-headers', headers),
])}`;
    out.push(
      rfc('008', 'RFC 8098 multipart/report disposition-notification with text/rfc822-headers', eml, golden({
        from: mb('Bob', 'bob@example.net'),
        to: [mb('Alice', 'alice@example.org')],
        subject: 'Disposition notification',
        date: '2025-03-05T11:10:00.000Z',
        messageId: 'mdn-1@example.net',
        text: human,
        attachments: [A(null, 'message/disposition-notification', utf8(mdn)), A(null, 'text/rfc822-headers', utf8(headers))],
        parts: [
          C('', 'multipart/report'),
          P('1', 'text/plain', 'us-ascii', '7bit', null, sizeOf(human)),
          P('2', 'message/disposition-notification', null, '7bit', null, sizeOf(mdn)),
          P('3', 'text/rfc822-headers', null, '7bit', null, sizeOf(headers)),
        ],
      })),
    );
  }

  // 009 ─ RFC 6532: raw UTF-8 in names, the subject and an address (local part and IDN domain).
  {
    const body = '회의록을 보내드립니다.\n확인 부탁드립니다.\n';
    const eml = mail`From: 김철수 <chulsoo@example.kr>
To: 홍길동 <길동@예시.한국>
Subject: 회의록 — 3월 5일
Date: Thu, 6 Mar 2025 09:00:00 +0900
Message-ID: <6532-1@example.kr>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

${body}`;
    out.push(
      rfc('009', 'RFC 6532 §3.2: UTF-8 in display names, subject, local part and domain', eml, golden({
        from: mb('김철수', 'chulsoo@example.kr'),
        to: [mb('홍길동', '길동@예시.한국')],
        subject: '회의록 — 3월 5일',
        date: '2025-03-06T00:00:00.000Z',
        messageId: '6532-1@example.kr',
        text: body,
        parts: [P('', 'text/plain', 'utf-8', '8bit', null, sizeOf(body))],
      })),
    );
  }

  // 010 ─ RFC 2045 §6.7 rules: soft breaks, =3D, encoded trailing space and tab, whitespace added in transit,
  // lower-case hex; base64 HTML with CRLF inside.
  {
    const qpText =
      'Caf=C3=A9 au lait =3D 3 =E2=82=AC=\n and a soft break.\nTrailing space kept:=20\nTab at end=09\n' +
      'This line had spaces added in transit   \nlower-case hex: =c3=a9t=c3=a9\n';
    const text = 'Café au lait = 3 € and a soft break.\nTrailing space kept: \nTab at end\t\nThis line had spaces added in transit\nlower-case hex: été\n';
    const html = '<html><body><p>Café au lait = 3 €</p></body></html>\n';
    const htmlBytes = utf8(crlf(html));
    const eml = mail`From: qp@example.com
To: you@example.com
Subject: Quoted-printable rules
Date: Thu, 6 Mar 2025 10:00:00 +0000
Message-ID: <qp-rules@example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="qp-b"

${multipart('qp-b', [
  entity('Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable', qpText),
  entity('Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64', b64(htmlBytes)),
])}`;
    out.push(
      rfc('010', 'RFC 2045 §6.7 rules 1-5 (soft breaks, =20/=09, transport whitespace, lower-case hex), §6.8 base64 HTML', eml, golden({
        from: mb('', 'qp@example.com'),
        to: [mb('', 'you@example.com')],
        subject: 'Quoted-printable rules',
        date: '2025-03-06T10:00:00.000Z',
        messageId: 'qp-rules@example.com',
        text,
        html,
        parts: [
          C('', 'multipart/alternative'),
          P('1', 'text/plain', 'utf-8', 'quoted-printable', null, sizeOf(text)),
          P('2', 'text/html', 'utf-8', 'base64', null, htmlBytes.length),
        ],
      })),
    );
  }

  // 011 ─ a forwarded message/rfc822 whose enclosed message is multipart/alternative (RFC 2046 §5.2.1).
  {
    const inner = `From: Erin <erin@example.org>
To: Carol <carol@example.net>
Subject: Minutes
Date: Fri, 7 Mar 2025 10:00:00 +0100
Message-ID: <minutes-1@example.org>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="inner-b"

--inner-b
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Minutes: we agreed on =E2=82=AC 500.
--inner-b
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<p>Minutes: we agreed on =E2=82=AC 500.</p>
--inner-b--
`;
    const text = 'See the forwarded message below.';
    const eml = mail`From: Carol <carol@example.net>
To: Dave <dave@example.com>
Subject: Fwd: Minutes
Date: Fri, 7 Mar 2025 16:20:00 +0100
Message-ID: <fwd-77@example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer-b"

${multipart('outer-b', [entity('Content-Type: text/plain; charset=us-ascii', text), entity('Content-Type: message/rfc822', inner)])}`;
    out.push(
      rfc('011', 'RFC 2046 §5.2.1 message/rfc822 enclosing a multipart/alternative (not a body of the outer message)', eml, golden({
        from: mb('Carol', 'carol@example.net'),
        to: [mb('Dave', 'dave@example.com')],
        subject: 'Fwd: Minutes',
        date: '2025-03-07T15:20:00.000Z',
        messageId: 'fwd-77@example.net',
        text,
        attachments: [A(null, 'message/rfc822', utf8(inner))],
        parts: [
          C('', 'multipart/mixed'),
          P('1', 'text/plain', 'us-ascii', '7bit', null, sizeOf(text)),
          C('2', 'message/rfc822'),
          C('2', 'multipart/alternative'),
          P('2.1', 'text/plain', 'utf-8', 'quoted-printable', null, sizeOf('Minutes: we agreed on € 500.')),
          P('2.2', 'text/html', 'utf-8', 'quoted-printable', null, sizeOf('<p>Minutes: we agreed on € 500.</p>')),
        ],
      })),
    );
  }

  // 012 ─ RFC 5322 Appendix A.6.3 (obsolete white space and comments) with a two-digit year (A.6.2, §4.3).
  {
    const body = 'This is a message just to say hello.\nSo, "Hello".\n';
    const eml = mail`From: John Doe <jdoe@machine(comment).  example>
To: Mary Smith
   
 <mary@example.net>
Subject: Saying Hello
Date: Fri, 21 Nov 97 09(comment):   55  :  06 -0600
Message-ID: <1234   @   local(blah)  .machine .example>

${body}`;
    out.push(
      rfc('012', 'RFC 5322 A.6.3 obsolete CFWS in addresses, dates and message IDs; A.6.2/§4.3 two-digit year', eml, golden({
        from: mb('John Doe', 'jdoe@machine.example'),
        to: [mb('Mary Smith', 'mary@example.net')],
        subject: 'Saying Hello',
        date: '1997-11-21T15:55:06.000Z',
        messageId: '1234@local.machine.example',
        text: body,
        parts: [P('', 'text/plain', 'us-ascii', '7bit', null, sizeOf(body))],
      })),
    );
  }

  // 013 ─ RFC 5322 Appendix A.5 (white space, comments, groups), verbatim.
  {
    const eml = mail`From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>
To:A Group(Some people)
     :Chris Jones <c@(Chris's host.)public.example>,
         joe@example.org,
  John <jdoe@one.test> (my dear friend); (the end of the group)
Cc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;
Date: Thu,
      13
        Feb
          1969
      23:32
               -0330 (Newfoundland Time)
Message-ID:              <testabcd.1234@silly.test>

Testing.
`;
    out.push(
      rfc('013', 'RFC 5322 A.5 verbatim: comments everywhere, groups, an empty group, a folded pre-1970 date', eml, golden({
        from: mb('Pete', 'pete@silly.test'),
        to: [mb('Chris Jones', 'c@public.example'), mb('', 'joe@example.org'), mb('John', 'jdoe@one.test')],
        date: '1969-02-14T03:02:00.000Z',
        messageId: 'testabcd.1234@silly.test',
        text: 'Testing.\n',
        parts: [P('', 'text/plain', 'us-ascii', '7bit', null, 9)],
      })),
    );
  }

  // 014 ─ RFC 2183 dispositions and RFC 8621 §4.1.4: which text parts are body and which are attachments.
  {
    const t1 = 'The invitation and my notes are attached.\n';
    const ics = 'BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:REQUEST\nBEGIN:VEVENT\nSUMMARY:Review\nEND:VEVENT\nEND:VCALENDAR\n';
    const notes = 'notes: bring the figures\n';
    const t4 = 'P.S. See you there.\n';
    const eml = mail`From: Organizer <org@example.com>
To: Guest <guest@example.com>
Subject: ${ewB('Review ✓', 'UTF-8')}
Date: Sat, 8 Mar 2025 12:00:00 +0000
Message-ID: <invite-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="disp-b"

${multipart('disp-b', [
  entity('Content-Type: text/plain; charset=us-ascii', t1),
  entity('Content-Type: text/calendar; method=REQUEST; charset=UTF-8; name=invite.ics\nContent-Disposition: attachment; filename=invite.ics', ics),
  entity('Content-Type: text/plain; charset=us-ascii; name="notes.txt"\nContent-Disposition: inline; filename="notes.txt"', notes),
  entity('Content-Type: text/plain; charset=us-ascii', t4),
])}`;
    out.push(
      rfc('014', 'RFC 2183 dispositions and RFC 8621 §4.1.4 body selection: named inline text is an attachment', eml, golden({
        from: mb('Organizer', 'org@example.com'),
        to: [mb('Guest', 'guest@example.com')],
        subject: 'Review ✓',
        date: '2025-03-08T12:00:00.000Z',
        messageId: 'invite-1@example.com',
        text: `${t1}\n${t4}`,
        attachments: [A('invite.ics', 'text/calendar', utf8(ics)), A('notes.txt', 'text/plain', utf8(notes))],
        parts: [
          C('', 'multipart/mixed'),
          P('1', 'text/plain', 'us-ascii', '7bit', null, sizeOf(t1)),
          P('2', 'text/calendar', 'utf-8', '7bit', 'invite.ics', sizeOf(ics)),
          P('3', 'text/plain', 'us-ascii', '7bit', 'notes.txt', sizeOf(notes)),
          P('4', 'text/plain', 'us-ascii', '7bit', null, sizeOf(t4)),
        ],
      })),
    );
  }
  return out;
}
