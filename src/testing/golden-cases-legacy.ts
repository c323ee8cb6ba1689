/**
 * Golden corpus, suite `legacy`: Korean (EUC-KR, CP949 with 똠/뷁, ks_c_5601-1987, UTF-8, ISO-2022-KR) and Japanese
 * (ISO-2022-JP, Shift_JIS, EUC-JP) mail as Korean webmails, Outlook and Japanese mailers send it, plus Latin-1 that
 * really is windows-1252. Bytes come from iconv-lite or the hand-made ISO 2022 encoders, never from Postroom.
 */
import { A, b64, C, crlf, enc, ewB, ewQ, fakeFile, golden, iso2022kr, mail, mb, P, qp, type GenCase } from './golden-gen-lib.js';
import { entity, multipart } from './golden-gen-mime.js';

const legacy = (name: string, about: string, eml: Buffer, expected: GenCase['expected']): GenCase => ({ suite: 'legacy', name, about, eml, expected });

export function legacyCases(): GenCase[] {
  const out: GenCase[] = [];

  // 001 ─ Hanmail-era EUC-KR: B subject, encoded word inside a quoted display name, base64 alternative.
  {
    const text = '안녕하세요, 김철수입니다.\n다음 주 월요일 오전 10시에 회의가 있습니다.\n참석 여부를 알려 주세요.\n\n김철수 드림\n';
    const html =
      '<html><head><meta http-equiv="Content-Type" content="text/html; charset=euc-kr"></head>' +
      '<body><p>안녕하세요, 김철수입니다.</p><p>다음 주 월요일 오전 10시에 회의가 있습니다.</p></body></html>\n';
    const tb = enc(crlf(text), 'euc-kr');
    const hb = enc(crlf(html), 'euc-kr');
    const eml = mail`Return-Path: <chulsoo@hanmail.net>
From: "${ewB('김철수', 'EUC-KR')}" <chulsoo@hanmail.net>
To: ${ewB('이영희', 'EUC-KR')} <younghee@example.co.kr>
Subject: ${ewB('[회의] 다음 주 월요일 회의 안내', 'EUC-KR')}
Date: Mon, 9 Jun 2008 14:21:07 +0900 (KST)
Message-ID: <20080609142107.HM.0000000000aBcDe@chulsoo.hanmail.net>
X-Mailer: Daum Web Mailer 1.1
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="----=_NextPart_Hanmail_0001"

${multipart('----=_NextPart_Hanmail_0001', [
  entity('Content-Type: text/plain; charset="EUC-KR"\nContent-Transfer-Encoding: base64', b64(tb)),
  entity('Content-Type: text/html; charset="EUC-KR"\nContent-Transfer-Encoding: base64', b64(hb)),
], { preamble: 'This is a multi-part message in MIME format.\n' })}`;
    out.push(
      legacy('001', 'EUC-KR: B words in subject and names (one inside quotes, as Hanmail sends), base64 text and HTML', eml, golden({
        from: mb('김철수', 'chulsoo@hanmail.net'),
        to: [mb('이영희', 'younghee@example.co.kr')],
        subject: '[회의] 다음 주 월요일 회의 안내',
        date: '2008-06-09T05:21:07.000Z',
        messageId: '20080609142107.HM.0000000000aBcDe@chulsoo.hanmail.net',
        text,
        html,
        parts: [C('', 'multipart/alternative'), P('1', 'text/plain', 'euc-kr', 'base64', null, tb.length), P('2', 'text/html', 'euc-kr', 'base64', null, hb.length)],
      })),
    );
  }

  // 002 ─ Outlook Express, ks_c_5601-1987 (= CP949): 똠 and 뷁 exist only in CP949's extension.
  {
    const subject = '똠방각하, 뷁어 견적서 송부';
    const text = '안녕하세요.\n똠방각하 뷁 님께 견적서를 보내드립니다.\n확인 부탁드립니다.\n';
    const html = '<HTML><BODY><DIV>안녕하세요.</DIV><DIV>똠방각하 뷁 님께 견적서를 보내드립니다.</DIV></BODY></HTML>\n';
    const tb = enc(crlf(text), 'cp949');
    const hb = enc(crlf(html), 'cp949');
    const B = '----=_NextPart_000_0012_01C9A3B4.5D6E7F80';
    const eml = mail`From: ${ewB('영업부', 'ks_c_5601-1987')} <sales@example.co.kr>
To: <buyer@example.com>
Subject: ${ewB(subject, 'ks_c_5601-1987')}
Date: Thu, 12 Mar 2009 10:11:12 +0900
Message-ID: <001201c9a3b4$5d6e7f80$0201a8c0@sales>
MIME-Version: 1.0
Content-Type: multipart/alternative;
\tboundary="${B}"
X-Priority: 3
X-MSMail-Priority: Normal
X-Mailer: Microsoft Outlook Express 6.00.2900.5512
X-MimeOLE: Produced By Microsoft MimeOLE V6.00.2900.5579

${multipart(B, [
  entity('Content-Type: text/plain;\n\tcharset="ks_c_5601-1987"\nContent-Transfer-Encoding: base64', b64(tb)),
  entity('Content-Type: text/html;\n\tcharset="ks_c_5601-1987"\nContent-Transfer-Encoding: base64', b64(hb)),
], { preamble: 'This is a multi-part message in MIME format.\n' })}`;
    out.push(
      legacy('002', 'Outlook Express ks_c_5601-1987 (CP949) with 똠/뷁 in subject and bodies', eml, golden({
        from: mb('영업부', 'sales@example.co.kr'),
        to: [mb('', 'buyer@example.com')],
        subject,
        date: '2009-03-12T01:11:12.000Z',
        messageId: '001201c9a3b4$5d6e7f80$0201a8c0@sales',
        text,
        html,
        parts: [
          C('', 'multipart/alternative'),
          P('1', 'text/plain', 'ks_c_5601-1987', 'base64', null, tb.length),
          P('2', 'text/html', 'ks_c_5601-1987', 'base64', null, hb.length),
        ],
      })),
    );
  }

  // 003 ─ 'euc-kr' label on CP949 bytes (똠, 뷁), Q words split at a character boundary, QP body.
  {
    const text = '똠양꿍 맛집 목록입니다.\n뷁! 다음에 같이 가요.\n';
    const bytes = enc(text, 'euc-kr');
    const eml = mail`From: <foodie@example.co.kr>
To: <friend@example.co.kr>
Subject: ${ewQ('똠양꿍', 'euc-kr')}
 ${ewQ(' 맛집', 'euc-kr')}
Date: Sat, 1 Aug 2015 18:00:00 +0900
Message-ID: <20150801180000.12345@example.co.kr>
MIME-Version: 1.0
Content-Type: text/plain; charset="euc-kr"
Content-Transfer-Encoding: quoted-printable

${qp(bytes)}`;
    out.push(
      legacy('003', "'euc-kr' label on CP949 bytes (WHATWG EUC-KR is CP949), two Q words joined, QP body", eml, golden({
        from: mb('', 'foodie@example.co.kr'),
        to: [mb('', 'friend@example.co.kr')],
        subject: '똠양꿍 맛집',
        date: '2015-08-01T09:00:00.000Z',
        messageId: '20150801180000.12345@example.co.kr',
        text,
        parts: [P('', 'text/plain', 'euc-kr', 'quoted-printable', null, bytes.length)],
      })),
    );
  }

  // 004 ─ UTF-8 Korean: a long subject folded over three B words (each whole characters), emoji, base64 bodies.
  {
    const w = ['[공지] 2025년 ', '상반기 워크숍 ', '일정 안내 🙂'];
    const text = '안녕하세요.\n상반기 워크숍 일정을 안내드립니다.\n- 일시: 4월 3일(목)\n- 장소: 제주\n';
    const html = '<div>안녕하세요.<br>상반기 워크숍 일정을 안내드립니다.</div>\n';
    const tb = Buffer.from(crlf(text), 'utf8');
    const hb = Buffer.from(crlf(html), 'utf8');
    const eml = mail`From: ${ewB('인사팀', 'UTF-8')} <hr@example.kr>
To: ${ewB('전 직원', 'UTF-8')} <all@example.kr>
Subject: ${ewB(w[0]!, 'UTF-8')}
 ${ewB(w[1]!, 'UTF-8')}
 ${ewB(w[2]!, 'UTF-8')}
Date: Tue, 11 Mar 2025 09:30:00 +0900
Message-ID: <workshop-2025@example.kr>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="=_utf8_kr_b"

${multipart('=_utf8_kr_b', [
  entity('Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64', b64(tb)),
  entity('Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: base64', b64(hb)),
])}`;
    out.push(
      legacy('004', 'UTF-8 Korean: subject folded over three B words (RFC 2047 §6.2), emoji, base64 text and HTML', eml, golden({
        from: mb('인사팀', 'hr@example.kr'),
        to: [mb('전 직원', 'all@example.kr')],
        subject: w.join(''),
        date: '2025-03-11T00:30:00.000Z',
        messageId: 'workshop-2025@example.kr',
        text,
        html,
        parts: [C('', 'multipart/alternative'), P('1', 'text/plain', 'utf-8', 'base64', null, tb.length), P('2', 'text/html', 'utf-8', 'base64', null, hb.length)],
      })),
    );
  }

  // 005 ─ ISO-2022-KR body (RFC 1557): ESC $ ) C, then SO/SI around KS X 1001 runs.
  {
    const text = '안녕하십니까?\nRFC 1557 형식의 메일입니다.\n감사합니다.\n';
    const bytes = iso2022kr(text);
    const eml = mail`From: ${ewB('박지성', 'EUC-KR')} <jspark@example.ac.kr>
To: <list@example.ac.kr>
Subject: ${ewB('ISO-2022-KR 시험', 'EUC-KR')}
Date: Wed, 2 Oct 1996 13:45:00 +0900
Message-ID: <199610020445.NAA01234@example.ac.kr>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-KR
Content-Transfer-Encoding: 7bit

${bytes}`;
    out.push(
      legacy('005', 'ISO-2022-KR (RFC 1557) 7bit body', eml, golden({
        from: mb('박지성', 'jspark@example.ac.kr'),
        to: [mb('', 'list@example.ac.kr')],
        subject: 'ISO-2022-KR 시험',
        date: '1996-10-02T04:45:00.000Z',
        messageId: '199610020445.NAA01234@example.ac.kr',
        text,
        parts: [P('', 'text/plain', 'iso-2022-kr', '7bit', null, bytes.length)],
      })),
    );
  }

  // 006 ─ Korean webmail attachments named with RFC 2047 words inside quotes (filename="=?EUC-KR?B?..?=").
  {
    const text = '사업계획서와 예산표를 첨부합니다.\n';
    const tb = enc(text, 'euc-kr');
    const hwp = fakeFile('hwp', 1800, 61);
    const xls = fakeFile('bin', 900, 62);
    const hwpName = '2025년 사업계획서.hwp';
    const xlsName = '예산표(최종).xls';
    const eml = mail`From: ${ewB('기획팀', 'EUC-KR')} <plan@example.co.kr>
To: <ceo@example.co.kr>
Subject: ${ewB('사업계획서 송부', 'EUC-KR')}
Date: Fri, 13 Dec 2024 17:05:00 +0900
Message-ID: <plan-2025@example.co.kr>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_NextPart_webmail_6"

${multipart('----=_NextPart_webmail_6', [
  entity('Content-Type: text/plain; charset=euc-kr\nContent-Transfer-Encoding: 8bit', tb),
  entity(
    `Content-Type: application/x-hwp; name="${ewB(hwpName, 'EUC-KR')}"\nContent-Disposition: attachment; filename="${ewB(hwpName, 'EUC-KR')}"\nContent-Transfer-Encoding: base64`,
    b64(hwp),
  ),
  entity(`Content-Type: application/vnd.ms-excel; name="${ewB(xlsName, 'EUC-KR')}"\nContent-Transfer-Encoding: base64`, b64(xls)),
])}`;
    out.push(
      legacy('006', 'filename="=?EUC-KR?B?..?=" and name="=?EUC-KR?B?..?=" (RFC 2047 inside quotes), 8bit EUC-KR text', eml, golden({
        from: mb('기획팀', 'plan@example.co.kr'),
        to: [mb('', 'ceo@example.co.kr')],
        subject: '사업계획서 송부',
        date: '2024-12-13T08:05:00.000Z',
        messageId: 'plan-2025@example.co.kr',
        text,
        attachments: [A(hwpName, 'application/x-hwp', hwp), A(xlsName, 'application/vnd.ms-excel', xls)],
        parts: [
          C('', 'multipart/mixed'),
          P('1', 'text/plain', 'euc-kr', '8bit', null, tb.length),
          P('2', 'application/x-hwp', null, 'base64', hwpName, hwp.length),
          P('3', 'application/vnd.ms-excel', null, 'base64', xlsName, xls.length),
        ],
      })),
    );
  }

  // 007 ─ a UTF-8 filename split over two encoded words inside the quotes; HTML-only body.
  {
    const html = '<div style="font-size:10pt">보고서를 첨부합니다.</div>\n';
    const hb = Buffer.from(crlf(html), 'utf8');
    const zip = fakeFile('zip', 1500, 71);
    const name = '월간 보고서(최종).xlsx';
    const split = `${ewB('월간 ', 'UTF-8')} ${ewB('보고서(최종).xlsx', 'UTF-8')}`;
    const eml = mail`From: =?UTF-8?B?${Buffer.from('정민호').toString('base64')}?= <minho@example.kr>
To: <boss@example.kr>
Subject: ${ewB('월간 보고서', 'UTF-8')}
Date: Mon, 3 Feb 2025 08:00:00 +0900
Message-ID: <monthly-02@example.kr>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_Part_7_1234567.1738537200000"

${multipart('----=_Part_7_1234567.1738537200000', [
  entity('Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: base64', b64(hb)),
  entity(`Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name="${split}"\nContent-Disposition: attachment; filename="${split}"\nContent-Transfer-Encoding: base64`, b64(zip)),
])}`;
    out.push(
      legacy('007', 'UTF-8 filename as two encoded words inside the quotes (joined, §6.2 whitespace dropped), HTML-only', eml, golden({
        from: mb('정민호', 'minho@example.kr'),
        to: [mb('', 'boss@example.kr')],
        subject: '월간 보고서',
        date: '2025-02-02T23:00:00.000Z',
        messageId: 'monthly-02@example.kr',
        html,
        attachments: [A(name, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', zip)],
        parts: [
          C('', 'multipart/mixed'),
          P('1', 'text/html', 'utf-8', 'base64', null, hb.length),
          P('2', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', null, 'base64', name, zip.length),
        ],
      })),
    );
  }

  return out;
}
