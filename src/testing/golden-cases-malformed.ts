/**
 * Golden corpus, suite `malformed`: broken structure, encodings, charsets and headers as they arrive in real
 * mailboxes. The expected values are what a careful reader gets back (RFC 2045 §6.7/§6.8 decoding rules, RFC 2046
 * recovery, RFC 2049 robustness); `problems` is ">0" whenever the parser has to work around a broken rule.
 */
import { A, b64, C, enc, fakeFile, golden, mail, mb, P, sizeOf, utf8, type GenCase } from './golden-gen-lib.js';
import { entity, multipart } from './golden-gen-mime.js';

export const bad = (name: string, about: string, eml: Buffer, expected: GenCase['expected']): GenCase => ({ suite: 'malformed', name, about, eml, expected });

export const HEAD = (subject: string, id: string, extra = ''): string =>
  `From: sender@example.com\nTo: rcpt@example.com\nSubject: ${subject}\nDate: Thu, 20 Mar 2025 10:00:00 +0000\nMessage-ID: <${id}@example.com>\nMIME-Version: 1.0\n${extra}`;

export const base = (subject: string, id: string) => ({
  from: mb('', 'sender@example.com'),
  to: [mb('', 'rcpt@example.com')],
  subject,
  date: '2025-03-20T10:00:00.000Z',
  messageId: `${id}@example.com`,
});

export function malformedCases(): GenCase[] {
  const out: GenCase[] = [];

  // 001 ─ multipart without a boundary parameter: nothing can be split, the body is shown as text.
  {
    const body = '--XYZ\nContent-Type: text/plain\n\nHello, this multipart has no boundary parameter.\n--XYZ--\n';
    const eml = mail`${HEAD('No boundary', 'nobnd', 'Content-Type: multipart/mixed')}

${body}`;
    out.push(
      bad('001', 'multipart/mixed without a boundary parameter (RFC 2046 §5.1.1): body kept as text', eml, golden({
        ...base('No boundary', 'nobnd'),
        text: body,
        parts: [P('', 'text/plain', null, '7bit', null, sizeOf(body))],
        problems: '>0',
      })),
    );
  }

  // 002 ─ the declared boundary never appears: the body is shown as text.
  {
    const body = '--xyz\nContent-Type: text/plain\n\nThe declared boundary is "abc" but the parts use "xyz".\n--xyz--\n';
    const eml = mail`${HEAD('Boundary never appears', 'nevbnd', 'Content-Type: multipart/mixed; boundary="abc"')}

${body}`;
    out.push(
      bad('002', 'multipart whose declared boundary never appears: body kept as text', eml, golden({
        ...base('Boundary never appears', 'nevbnd'),
        text: body,
        parts: [P('', 'text/plain', null, '7bit', null, sizeOf(body))],
        problems: '>0',
      })),
    );
  }

  // 003 ─ base64 with characters outside the alphabet: RFC 2045 §6.8 says to ignore them.
  {
    const bin = fakeFile('png', 900, 3);
    const lines = b64(bin).split('\n');
    lines[2] = `${lines[2]!.slice(0, 10)}!*${lines[2]!.slice(10)}`;
    lines[5] = `${lines[5]} #`;
    lines.splice(7, 0, '~~~ %%% ~~~');
    lines[9] = `\t${lines[9]}.`;
    const text = 'The picture is attached.\n';
    const eml = mail`${HEAD('Bad base64', 'badb64', 'Content-Type: multipart/mixed; boundary="j"')}

${multipart('j', [
  entity('Content-Type: text/plain; charset=us-ascii', text),
  entity('Content-Type: image/png; name="pic.png"\nContent-Disposition: attachment; filename="pic.png"\nContent-Transfer-Encoding: base64', lines.join('\n')),
])}`;
    out.push(
      bad('003', 'base64 with junk characters (! * # ~ % . TAB) that RFC 2045 §6.8 says to ignore', eml, golden({
        ...base('Bad base64', 'badb64'),
        text,
        attachments: [A('pic.png', 'image/png', bin)],
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'us-ascii', '7bit', null, sizeOf(text)), P('2', 'image/png', null, 'base64', 'pic.png', bin.length)],
        problems: '>0',
      })),
    );
  }

  // 004 ─ stray '=' in quoted-printable: kept literally (RFC 2045 §6.7 note 2); '=' + trailing space is a soft break (rule 3).
  {
    const raw = 'Price = 5 =E2=82=AC\nDiscount=ZZ applies\nEquation: x=y\nSoft break with trailing space = \ncontinues here\n';
    const text = 'Price = 5 €\nDiscount=ZZ applies\nEquation: x=y\nSoft break with trailing space continues here\n';
    const eml = mail`${HEAD('Stray equals', 'strayeq', 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable')}

${raw}`;
    out.push(
      bad('004', 'quoted-printable with stray "=" (kept, RFC 2045 §6.7 note 2) and "= " + line end (soft break, rule 3)', eml, golden({
        ...base('Stray equals', 'strayeq'),
        text,
        parts: [P('', 'text/plain', 'utf-8', 'quoted-printable', null, sizeOf(text))],
        problems: '>0',
      })),
    );
  }

  // 005 ─ raw UTF-8 in headers, also in a part's filename (RFC 6532 reading; no SMTPUTF8 context needed).
  {
    const text = '본문입니다.\n';
    const pdf = fakeFile('pdf', 700, 5);
    const eml = mail`From: 김철수 <kim@example.kr>
To: 이영희 <lee@example.kr>
Subject: 8비트 헤더 테스트
Date: Thu, 20 Mar 2025 19:00:00 +0900
Message-ID: <raw8-utf8@example.kr>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="raw8"

${multipart('raw8', [
  entity('Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit', text),
  entity('Content-Type: application/pdf; name="계약서.pdf"\nContent-Disposition: attachment; filename="계약서.pdf"\nContent-Transfer-Encoding: base64', b64(pdf)),
])}`;
    out.push(
      bad('005', 'raw 8-bit UTF-8 in From, To, Subject and a filename (valid under RFC 6532 §3.2)', eml, golden({
        from: mb('김철수', 'kim@example.kr'),
        to: [mb('이영희', 'lee@example.kr')],
        subject: '8비트 헤더 테스트',
        date: '2025-03-20T10:00:00.000Z',
        messageId: 'raw8-utf8@example.kr',
        text,
        attachments: [A('계약서.pdf', 'application/pdf', pdf)],
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'utf-8', '8bit', null, sizeOf(text)), P('2', 'application/pdf', null, 'base64', '계약서.pdf', pdf.length)],
      })),
    );
  }

  // 006 ─ raw EUC-KR bytes in headers of a single-part euc-kr message: read with the message's charset.
  {
    const text = '회의 일정이 변경되었습니다.\n';
    const tb = enc(text, 'euc-kr');
    const eml = mail`From: ${enc('김철수', 'euc-kr')} <kim@example.kr>
To: lee@example.kr
Subject: ${enc('회의 일정 변경 안내', 'euc-kr')}
Date: Thu, 20 Mar 2025 19:00:00 +0900
Message-ID: <raw8-euckr@example.kr>
MIME-Version: 1.0
Content-Type: text/plain; charset=euc-kr
Content-Transfer-Encoding: 8bit

${tb}`;
    out.push(
      bad('006', 'raw 8-bit EUC-KR in From and Subject of a euc-kr message (not UTF-8, so not RFC 6532)', eml, golden({
        from: mb('김철수', 'kim@example.kr'),
        to: [mb('', 'lee@example.kr')],
        subject: '회의 일정 변경 안내',
        date: '2025-03-20T10:00:00.000Z',
        messageId: 'raw8-euckr@example.kr',
        text,
        parts: [P('', 'text/plain', 'euc-kr', '8bit', null, tb.length)],
        problems: '>0',
      })),
    );
  }

  // 007 ─ raw EUC-KR in the Subject of a multipart (no charset on it) and in an attachment's filename.
  {
    const text = '견적서를 보내드립니다.\n';
    const tb = enc(text, 'euc-kr');
    const xls = fakeFile('bin', 600, 7);
    const name = '견적서.xls';
    const eml = mail`From: kim@example.kr
To: lee@example.kr
Subject: ${enc('견적서 송부', 'euc-kr')}
Date: Thu, 20 Mar 2025 19:00:00 +0900
Message-ID: <raw8-euckr-2@example.kr>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="rawkr"

${multipart('rawkr', [
  entity('Content-Type: text/plain; charset=euc-kr\nContent-Transfer-Encoding: 8bit', tb),
  entity(
    Buffer.concat([
      utf8('Content-Type: application/octet-stream; name="'),
      enc(name, 'euc-kr'),
      utf8('"\nContent-Disposition: attachment; filename="'),
      enc(name, 'euc-kr'),
      utf8('"\nContent-Transfer-Encoding: base64'),
    ]),
    b64(xls),
  ),
])}`;
    out.push(
      bad('007', 'raw 8-bit EUC-KR in the Subject of a multipart and in a filename, where no charset applies', eml, golden({
        from: mb('', 'kim@example.kr'),
        to: [mb('', 'lee@example.kr')],
        subject: '견적서 송부',
        date: '2025-03-20T10:00:00.000Z',
        messageId: 'raw8-euckr-2@example.kr',
        text,
        attachments: [A(name, 'application/octet-stream', xls)],
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'euc-kr', '8bit', null, tb.length), P('2', 'application/octet-stream', null, 'base64', name, xls.length)],
        problems: '>0',
      })),
    );
  }

  // 008 ─ Content-Type "text" without a subtype.
  {
    const text = 'Grüße aus Berlin.\n';
    const eml = mail`${HEAD('No subtype', 'nosub', 'Content-Type: text; charset=utf-8\nContent-Transfer-Encoding: 8bit')}

${text}`;
    out.push(
      bad('008', 'Content-Type "text" with no subtype: read as text/plain with its charset', eml, golden({
        ...base('No subtype', 'nosub'),
        text,
        parts: [P('', 'text/plain', 'utf-8', '8bit', null, sizeOf(text))],
        problems: '>0',
      })),
    );
  }

  // 009 ─ unknown charset labels: on UTF-8 bytes, and on CP949 bytes.
  {
    const t1 = 'Ünïcödé text under a label nobody knows.\n';
    const t2 = '알 수 없는 문자셋으로 표시된 한국어입니다.\n';
    const b2 = enc(t2, 'cp949');
    const eml = mail`${HEAD('Unknown charset', 'unkcs', 'Content-Type: multipart/mixed; boundary="u"')}

${multipart('u', [
  entity('Content-Type: text/plain; charset="foo-bar-1"\nContent-Transfer-Encoding: 8bit', t1),
  entity('Content-Type: text/plain; charset="x-custom-kr"\nContent-Transfer-Encoding: 8bit', b2),
])}`;
    out.push(
      bad('009', 'unknown charset labels on UTF-8 bytes and on CP949 bytes (decoded by what the bytes are)', eml, golden({
        ...base('Unknown charset', 'unkcs'),
        text: `${t1}\n${t2}`,
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'foo-bar-1', '8bit', null, sizeOf(t1)), P('2', 'text/plain', 'x-custom-kr', '8bit', null, b2.length)],
        problems: '>0',
      })),
    );
  }

  // 010 ─ a lying label: UTF-8 bytes called iso-8859-1, in a Q subject and a QP body.
  {
    const text = 'Café crème brûlée €5\n';
    const eml = mail`From: sender@example.com
To: rcpt@example.com
Subject: =?iso-8859-1?Q?Caf=C3=A9_cr=C3=A8me?=
Date: Thu, 20 Mar 2025 10:00:00 +0000
Message-ID: <lying@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Caf=C3=A9 cr=C3=A8me br=C3=BBl=C3=A9e =E2=82=AC5
`;
    out.push(
      bad('010', 'lying charset: UTF-8 bytes labelled iso-8859-1 in an encoded word and in the body', eml, golden({
        ...base('Café crème', 'lying'),
        text,
        parts: [P('', 'text/plain', 'iso-8859-1', 'quoted-printable', null, sizeOf(text))],
        problems: '>0',
      })),
    );
  }

  return out;
}
