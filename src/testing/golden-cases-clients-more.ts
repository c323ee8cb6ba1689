/**
 * Golden corpus, suite `clients`: message shapes of the mailers people use — Outlook (related + alternative,
 * ks_c_5601-1987, winmail.dat), Thunderbird (format=flowed, RFC 2231, forward as attachment, MDN), Gmail
 * (alternative with QP, RFC 2047 filenames), Apple Mail (nested related/alternative/mixed, Content-ID images),
 * Mailman digests, Postfix DSNs, Naver and iPhone. Headers and boundaries imitate the real mailers.
 *
 * (Second half of the suite; the first half is in golden-cases-clients.ts.)
 */
import { A, b64, C, crlf, ewB, ewQ, fakeFile, golden, mail, mb, P, qp, sizeOf, utf8, type GenCase } from './golden-gen-lib.js';
import { entity, multipart } from './golden-gen-mime.js';

const client = (name: string, about: string, eml: Buffer, expected: GenCase['expected']): GenCase => ({ suite: 'clients', name, about, eml, expected });

export function clientCasesMore(): GenCase[] {
  const out: GenCase[] = [];

  // 008 ─ Mailman MIME digest: text, multipart/digest of message/rfc822, footer.
  {
    const toc =
      'Send Foo-list mailing list submissions to\n\tfoo-list@lists.example.org\n\nToday\'s Topics:\n\n' +
      '   1. Re: build fails on arm64 (Ann Lee)\n   2. Release 2.0 (Ben Ng)\n\n\n' +
      '----------------------------------------------------------------------\n';
    const m1 =
      'Message: 1\nDate: Fri, 14 Mar 2025 10:00:00 +0000\nFrom: Ann Lee <ann@example.com>\nTo: foo-list@lists.example.org\n' +
      'Subject: Re: build fails on arm64\nMessage-ID: <ann-1@example.com>\nContent-Type: text/plain; charset="utf-8"\n' +
      'Content-Transfer-Encoding: quoted-printable\n\nTry clearing the cache =E2=80=94 it worked for me.\n';
    const m2 =
      'Message: 2\nDate: Fri, 14 Mar 2025 11:00:00 +0000\nFrom: Ben Ng <ben@example.com>\nTo: foo-list@lists.example.org\n' +
      'Subject: Release 2.0\nMessage-ID: <ben-1@example.com>\nContent-Type: text/plain; charset="us-ascii"\n\nRelease 2.0 is out.\n';
    const footer = '_______________________________________________\nFoo-list mailing list\nfoo-list@lists.example.org\nhttps://lists.example.org/mailman/listinfo/foo-list\n';
    const B1 = '===============4582301717455096316==';
    const B2 = '===============1234567890123456789==';
    const eml = mail`From: foo-list-request@lists.example.org
Subject: Foo-list Digest, Vol 12, Issue 3
To: foo-list@lists.example.org
Reply-To: foo-list@lists.example.org
Date: Sat, 15 Mar 2025 12:00:03 +0000
Message-ID: <mailman.3.1742040003.1234.foo-list@lists.example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="${B1}"
X-BeenThere: foo-list@lists.example.org
X-Mailman-Version: 2.1.39
Precedence: list
List-Id: <foo-list.lists.example.org>
List-Unsubscribe: <https://lists.example.org/mailman/options/foo-list>,
 <mailto:foo-list-request@lists.example.org?subject=unsubscribe>
Sender: "Foo-list" <foo-list-bounces@lists.example.org>

${multipart(B1, [
  entity('Content-Type: text/plain; charset="us-ascii"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\nContent-Description: Foo-list Digest, Vol 12, Issue 3', toc),
  entity(
    `Content-Type: multipart/digest; boundary="${B2}"\nMIME-Version: 1.0`,
    multipart(B2, [entity('Content-Type: message/rfc822\nMIME-Version: 1.0', m1), entity('Content-Type: message/rfc822\nMIME-Version: 1.0', m2)]),
  ),
  entity('Content-Type: text/plain; charset="us-ascii"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\nContent-Disposition: inline', footer),
])}`;
    out.push(
      client('008', 'Mailman 2.1 MIME digest: table of contents, multipart/digest of two messages, footer', eml, golden({
        from: mb('', 'foo-list-request@lists.example.org'),
        to: [mb('', 'foo-list@lists.example.org')],
        subject: 'Foo-list Digest, Vol 12, Issue 3',
        date: '2025-03-15T12:00:03.000Z',
        messageId: 'mailman.3.1742040003.1234.foo-list@lists.example.org',
        text: `${toc}\n${footer}`,
        attachments: [A(null, 'message/rfc822', utf8(m1)), A(null, 'message/rfc822', utf8(m2))],
        parts: [
          C('', 'multipart/mixed'),
          P('1', 'text/plain', 'us-ascii', '7bit', null, sizeOf(toc)),
          C('2', 'multipart/digest'),
          C('2.1', 'message/rfc822'),
          P('2.1', 'text/plain', 'utf-8', 'quoted-printable', null, sizeOf('Try clearing the cache — it worked for me.\n')),
          C('2.2', 'message/rfc822'),
          P('2.2', 'text/plain', 'us-ascii', '7bit', null, sizeOf('Release 2.0 is out.\n')),
          P('3', 'text/plain', 'us-ascii', '7bit', null, sizeOf(footer)),
        ],
      })),
    );
  }

  // 009 ─ Postfix bounce: notification, message/delivery-status, text/rfc822-headers (RET=HDRS).
  {
    const notice =
      'This is the mail system at host mx.example.net.\n\nI\'m sorry to have to inform you that your message could not\n' +
      'be delivered to one or more recipients. It\'s attached below.\n\nFor further assistance, please send mail to postmaster.\n\n' +
      'If you do so, please include this problem report. You can\ndelete your own text from the attached returned message.\n\n' +
      '                   The mail system\n\n<nobody@example.net>: host mx2.example.net[198.51.100.7] said: 550 5.1.1\n' +
      '    <nobody@example.net>: Recipient address rejected: User unknown (in reply\n    to RCPT TO command)\n';
    const status =
      'Reporting-MTA: dns; mx.example.net\nX-Postfix-Queue-ID: 3F2A41C0B12\nX-Postfix-Sender: rfc822; alice@example.org\n' +
      'Arrival-Date: Sun, 16 Mar 2025 06:59:58 +0000 (UTC)\n\nFinal-Recipient: rfc822; nobody@example.net\n' +
      'Original-Recipient: rfc822;nobody@example.net\nAction: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx2.example.net\n' +
      'Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: Recipient address\n    rejected: User unknown\n';
    const headers =
      'Return-Path: <alice@example.org>\nReceived: from [192.0.2.55] (unknown [192.0.2.55])\n\tby mx.example.net (Postfix) with ESMTPSA id 3F2A41C0B12\n' +
      '\tfor <nobody@example.net>; Sun, 16 Mar 2025 06:59:58 +0000 (UTC)\nFrom: Alice <alice@example.org>\nTo: nobody@example.net\n' +
      'Subject: =?UTF-8?Q?R=C3=A9union?=\nMessage-ID: <reunion-1@example.org>\nDate: Sun, 16 Mar 2025 07:59:55 +0100\n';
    const B = '3F2A41C0B12.1742108401/mx.example.net';
    const eml = mail`Return-Path: <>
Received: by mx.example.net (Postfix)
\tid 3F2A41C0B12; Sun, 16 Mar 2025 07:00:01 +0000 (UTC)
Date: Sun, 16 Mar 2025 07:00:01 +0000 (UTC)
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: alice@example.org
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="${B}"
Content-Transfer-Encoding: 8bit
Message-Id: <20250316070001.3F2A41C0B12@mx.example.net>

${multipart(B, [
  entity('Content-Description: Notification\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit', notice),
  entity('Content-Description: Delivery report\nContent-Type: message/delivery-status', status),
  entity('Content-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\nContent-Transfer-Encoding: 8bit', headers),
], { preamble: 'This is a MIME-encapsulated message.\n' })}`;
    out.push(
      client('009', 'Postfix bounce (RFC 3464): notification, message/delivery-status, text/rfc822-headers; comment as name', eml, golden({
        from: mb('Mail Delivery System', 'MAILER-DAEMON@mx.example.net'),
        to: [mb('', 'alice@example.org')],
        subject: 'Undelivered Mail Returned to Sender',
        date: '2025-03-16T07:00:01.000Z',
        messageId: '20250316070001.3F2A41C0B12@mx.example.net',
        text: notice,
        attachments: [A(null, 'message/delivery-status', utf8(status)), A(null, 'text/rfc822-headers', utf8(headers))],
        parts: [
          C('', 'multipart/report', '8bit'),
          P('1', 'text/plain', 'utf-8', '8bit', null, sizeOf(notice)),
          P('2', 'message/delivery-status', null, '7bit', null, sizeOf(status)),
          P('3', 'text/rfc822-headers', null, '8bit', null, sizeOf(headers)),
        ],
      })),
    );
  }

  // 010 ─ Thunderbird read receipt (MDN): MDNPart2.txt / MDNPart3.txt names, German text.
  {
    const human =
      'Dies ist eine Empfangsbestätigung für die Nachricht, die Sie an Renée Schröder <renee@example.de> gesendet haben.\n\n' +
      'Hinweis: Diese Empfangsbestätigung sagt nur aus, dass die Nachricht angezeigt wurde.\n';
    const mdn =
      'Reporting-UA: mail.example.de; Mozilla Thunderbird\nFinal-Recipient: rfc822;renee@example.de\n' +
      'Original-Message-ID: <lunch-1@example.org>\nDisposition: manual-action/MDN-sent-manually; displayed\n';
    const headers = 'Date: Wed, 5 Mar 2025 12:00:00 +0100\nFrom: Alice <alice@example.org>\nTo: renee@example.de\nSubject: Lunch?\nMessage-ID: <lunch-1@example.org>\n';
    const B = '------------m1N2o3P4q5R6s7T8u9V0w1X2';
    const eml = mail`Content-Type: multipart/report; report-type=disposition-notification;
 boundary="${B}"
Message-ID: <b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e@example.de>
Date: Wed, 5 Mar 2025 12:30:00 +0100
MIME-Version: 1.0
From: ${ewQ('Renée Schröder', 'UTF-8')} <renee@example.de>
To: Alice <alice@example.org>
Subject: =?UTF-8?Q?Empfangsbest=C3=A4tigung_=28angezeigt=29_-_Lunch=3F?=

${multipart(B, [
  entity('Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit', human),
  entity('Content-Type: message/disposition-notification; name="MDNPart2.txt"\nContent-Disposition: inline\nContent-Transfer-Encoding: 7bit', mdn),
  entity('Content-Type: text/rfc822-headers; name="MDNPart3.txt"\nContent-Transfer-Encoding: 7bit\nContent-Disposition: inline', headers),
], { preamble: 'This is a multi-part message in MIME format.' })}`;
    out.push(
      client('010', 'Thunderbird MDN (RFC 8098): MDNPart2.txt and MDNPart3.txt, 8bit UTF-8 text', eml, golden({
        from: mb('Renée Schröder', 'renee@example.de'),
        to: [mb('Alice', 'alice@example.org')],
        subject: 'Empfangsbestätigung (angezeigt) - Lunch?',
        date: '2025-03-05T11:30:00.000Z',
        messageId: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e@example.de',
        text: human,
        attachments: [A('MDNPart2.txt', 'message/disposition-notification', utf8(mdn)), A('MDNPart3.txt', 'text/rfc822-headers', utf8(headers))],
        parts: [
          C('', 'multipart/report'),
          P('1', 'text/plain', 'utf-8', '8bit', null, sizeOf(human)),
          P('2', 'message/disposition-notification', null, '7bit', 'MDNPart2.txt', sizeOf(mdn)),
          P('3', 'text/rfc822-headers', null, '7bit', 'MDNPart3.txt', sizeOf(headers)),
        ],
      })),
    );
  }

  // 011 ─ Thunderbird "forward as attachment": message/rfc822 named Minutes.eml, enclosing a mixed message with a PDF.
  {
    const pdf = fakeFile('pdf', 1000, 111);
    const innerText = 'Attached are the minutes.\n';
    const inner =
      'Message-ID: <minutes-2@example.org>\nDate: Fri, 7 Mar 2025 10:00:00 +0100\nMIME-Version: 1.0\nFrom: Erin <erin@example.org>\n' +
      'To: Carol <carol@example.net>\nSubject: Minutes\nContent-Type: multipart/mixed; boundary="------------inner0123456789"\n\n' +
      multipart('------------inner0123456789', [
        entity('Content-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 7bit', innerText),
        entity('Content-Type: application/pdf; name="minutes.pdf"\nContent-Disposition: attachment; filename="minutes.pdf"\nContent-Transfer-Encoding: base64', b64(pdf)),
      ]).toString('latin1');
    const text = 'Forwarding the minutes, see the attached message.\n';
    const B = '------------outer9876543210';
    const eml = mail`Message-ID: <fwd-att-1@example.net>
Date: Fri, 7 Mar 2025 17:00:00 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
From: Carol <carol@example.net>
To: Dave <dave@example.com>
Subject: Fwd: Minutes
Content-Type: multipart/mixed; boundary="${B}"

${multipart(B, [
  entity('Content-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 7bit', text),
  entity('Content-Type: message/rfc822; name="Minutes.eml"\nContent-Disposition: attachment; filename="Minutes.eml"', inner),
], { preamble: 'This is a multi-part message in MIME format.' })}`;
    out.push(
      client('011', 'Thunderbird forward as attachment: message/rfc822 "Minutes.eml" enclosing text + PDF', eml, golden({
        from: mb('Carol', 'carol@example.net'),
        to: [mb('Dave', 'dave@example.com')],
        subject: 'Fwd: Minutes',
        date: '2025-03-07T16:00:00.000Z',
        messageId: 'fwd-att-1@example.net',
        text,
        attachments: [A('Minutes.eml', 'message/rfc822', utf8(inner))],
        parts: [
          C('', 'multipart/mixed'),
          P('1', 'text/plain', 'utf-8', '7bit', null, sizeOf(text)),
          P('2', 'message/rfc822', null, '7bit', 'Minutes.eml', 0),
          C('2', 'multipart/mixed'),
          P('2.1', 'text/plain', 'utf-8', '7bit', null, sizeOf(innerText)),
          P('2.2', 'application/pdf', null, 'base64', 'minutes.pdf', pdf.length),
        ],
      })),
    );
  }

  // 012 ─ Naver Mail: HTML-only UTF-8 base64, quoted encoded-word name, two attachments with encoded filenames.
  {
    const html =
      '<div style="font-family:나눔고딕,NanumGothic,sans-serif;font-size:10pt;"><p>안녕하세요.</p><p>요청하신 사진과 자료 보내드립니다.</p></div>' +
      '<img src="https://mail.naver.com/readReceipt/notify/?img=abc" width="1" height="1" />\n';
    const hb = utf8(crlf(html));
    const jpg = fakeFile('jpeg', 2200, 121);
    const zip = fakeFile('zip', 1400, 122);
    const jpgName = '현장 사진_01.jpg';
    const zipName = '자료 모음.zip';
    const eml = mail`Return-Path: <sunwoo@naver.com>
From: "${ewB('최선우', 'UTF-8')}" <sunwoo@naver.com>
To: <client@example.com>
Subject: ${ewB('요청하신 자료입니다', 'UTF-8')}
X-Naver-ESV: AbCdEfGhIjKlMnOp
X-Mailer: Naver Mail
Message-ID: <abc123def456.7890@cweb001.nm.naver.com>
Date: Tue, 18 Mar 2025 11:05:07 +0900
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_Part_202503181105_1234567.1742263507000"

${multipart('----=_Part_202503181105_1234567.1742263507000', [
  entity('Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64', b64(hb)),
  entity(`Content-Type: image/jpeg; name="${ewB(jpgName, 'UTF-8')}"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="${ewB(jpgName, 'UTF-8')}"`, b64(jpg)),
  entity(`Content-Type: application/x-zip-compressed; name="${ewB(zipName, 'UTF-8')}"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="${ewB(zipName, 'UTF-8')}"`, b64(zip)),
])}`;
    out.push(
      client('012', 'Naver Mail: HTML-only UTF-8, quoted encoded-word sender name, JPEG and ZIP with encoded filenames', eml, golden({
        from: mb('최선우', 'sunwoo@naver.com'),
        to: [mb('', 'client@example.com')],
        subject: '요청하신 자료입니다',
        date: '2025-03-18T02:05:07.000Z',
        messageId: 'abc123def456.7890@cweb001.nm.naver.com',
        html,
        attachments: [A(jpgName, 'image/jpeg', jpg), A(zipName, 'application/x-zip-compressed', zip)],
        parts: [
          C('', 'multipart/mixed'),
          P('1', 'text/html', 'utf-8', 'base64', null, hb.length),
          P('2', 'image/jpeg', null, 'base64', jpgName, jpg.length),
          P('3', 'application/x-zip-compressed', null, 'base64', zipName, zip.length),
        ],
      })),
    );
  }

  // 013 ─ iPhone Mail: alternative, QP UTF-8 with a 4-byte emoji split by a soft line break.
  {
    const text = `Sounds great, count me in ${'👍'.repeat(30)}\n\nSent from my iPhone\n`;
    const html = `<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto">Sounds great, count me in ${'👍'.repeat(30)}<br><br><div>Sent from my iPhone</div></body></html>\n`;
    const B = 'Apple-Mail-7E6D5C4B-3A29-1807-F6E5-D4C3B2A19080';
    const eml = mail`Content-Type: multipart/alternative; boundary=${B}
Content-Transfer-Encoding: 7bit
From: Sam Lee <sam.lee@icloud.com>
Mime-Version: 1.0 (1.0)
Date: Wed, 19 Mar 2025 21:14:03 -0400
Subject: Re: Saturday?
Message-Id: <3C2B1A09-8F7E-4D6C-B5A4-938271605F4E@icloud.com>
To: Pat Kim <pat@example.com>
X-Mailer: iPhone Mail (22D82)

${multipart(B, [
  entity('Content-Type: text/plain;\n\tcharset=utf-8\nContent-Transfer-Encoding: quoted-printable', qp(utf8(text))),
  entity('Content-Type: text/html;\n\tcharset=utf-8\nContent-Transfer-Encoding: quoted-printable', qp(utf8(html))),
])}`;
    out.push(
      client('013', 'iPhone Mail: unquoted boundary, QP UTF-8 with emoji split across soft line breaks', eml, golden({
        from: mb('Sam Lee', 'sam.lee@icloud.com'),
        to: [mb('Pat Kim', 'pat@example.com')],
        subject: 'Re: Saturday?',
        date: '2025-03-20T01:14:03.000Z',
        messageId: '3C2B1A09-8F7E-4D6C-B5A4-938271605F4E@icloud.com',
        text,
        html,
        parts: [C('', 'multipart/alternative'), P('1', 'text/plain', 'utf-8', 'quoted-printable', null, sizeOf(text)), P('2', 'text/html', 'utf-8', 'quoted-printable', null, sizeOf(html))],
      })),
    );
  }
  return out;
}
