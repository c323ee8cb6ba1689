/**
 * Golden corpus, suite `legacy`: Korean (EUC-KR, CP949 with 똠/뷁, ks_c_5601-1987, UTF-8, ISO-2022-KR) and Japanese
 * (ISO-2022-JP, Shift_JIS, EUC-JP) mail as Korean webmails, Outlook and Japanese mailers send it, plus Latin-1 that
 * really is windows-1252. Bytes come from iconv-lite or the hand-made ISO 2022 encoders, never from Postroom.
 *
 * (Second half of the suite; the first half is in golden-cases-legacy.ts.)
 */
import {
  A,
  b64,
  C,
  enc,
  ewB,
  ewQ,
  fakeFile,
  golden,
  iso2022jp,
  mail,
  mb,
  P,
  qp,
  rfc2231,
  type GenCase,
} from './golden-gen-lib.js';
import { entity, multipart } from './golden-gen-mime.js';

const legacy = (name: string, about: string, eml: Buffer, expected: GenCase['expected']): GenCase => ({ suite: 'legacy', name, about, eml, expected });

export function legacyCasesMore(): GenCase[] {
  const out: GenCase[] = [];

  // 008 ─ ISO-2022-JP (RFC 1468): B subject and name, 7bit body.
  {
    const text = '山田様\n\nお世話になっております。田中です。\n会議の資料をお送りします。\nよろしくお願いいたします。\n';
    const bytes = iso2022jp(text);
    const eml = mail`From: ${ewB('田中 太郎', 'ISO-2022-JP')} <tanaka@example.co.jp>
To: ${ewB('山田 花子', 'ISO-2022-JP')} <yamada@example.co.jp>
Subject: ${ewB('会議資料の送付について', 'ISO-2022-JP')}
Date: Fri, 14 Feb 2025 11:22:33 +0900
Message-ID: <20250214112233.ABCD.tanaka@example.co.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit
X-Mailer: Becky! ver. 2.81.04

${bytes}`;
    out.push(
      legacy('008', 'ISO-2022-JP (RFC 1468) subject, names and 7bit body', eml, golden({
        from: mb('田中 太郎', 'tanaka@example.co.jp'),
        to: [mb('山田 花子', 'yamada@example.co.jp')],
        subject: '会議資料の送付について',
        date: '2025-02-14T02:22:33.000Z',
        messageId: '20250214112233.ABCD.tanaka@example.co.jp',
        text,
        parts: [P('', 'text/plain', 'iso-2022-jp', '7bit', null, bytes.length)],
      })),
    );
  }

  // 009 ─ Shift_JIS: 8bit body with 0x5C trail bytes (表, ソ), B subject, RFC 2231 filename in Shift_JIS.
  {
    const text = 'お見積書を添付いたします。\nソフトウェア開発費の表をご確認ください。\n';
    const tb = enc(text, 'shift_jis');
    const pdf = fakeFile('pdf', 2100, 91);
    const name = '見積書.pdf';
    const eml = mail`From: ${ewB('鈴木 一郎', 'Shift_JIS')} <suzuki@example.jp>
To: <client@example.jp>
Subject: ${ewB('見積書の件', 'Shift_JIS')}
Date: Mon, 17 Feb 2025 15:00:00 +0900
Message-ID: <sjis-quote-1@example.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="sjis-b"

${multipart('sjis-b', [
  entity('Content-Type: text/plain; charset=Shift_JIS\nContent-Transfer-Encoding: 8bit', tb),
  entity(`Content-Type: application/pdf\nContent-Disposition: attachment; filename*=${rfc2231(name, 'Shift_JIS')}\nContent-Transfer-Encoding: base64`, b64(pdf)),
])}`;
    out.push(
      legacy('009', 'Shift_JIS 8bit body with 0x5C trail bytes, B subject, RFC 2231 filename*=Shift_JIS', eml, golden({
        from: mb('鈴木 一郎', 'suzuki@example.jp'),
        to: [mb('', 'client@example.jp')],
        subject: '見積書の件',
        date: '2025-02-17T06:00:00.000Z',
        messageId: 'sjis-quote-1@example.jp',
        text,
        attachments: [A(name, 'application/pdf', pdf)],
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'shift_jis', '8bit', null, tb.length), P('2', 'application/pdf', null, 'base64', name, pdf.length)],
      })),
    );
  }

  // 010 ─ ISO-2022-JP subject over two complete words, filename="=?ISO-2022-JP?B?..?=" (Outlook in Japan).
  {
    const text = '議事録をお送りします。\n';
    const bytes = iso2022jp(text);
    const doc = fakeFile('zip', 1300, 101);
    const name = '議事録.docx';
    const eml = mail`From: <sato@example.co.jp>
To: <team@example.co.jp>
Subject: ${ewB('打ち合わせ', 'ISO-2022-JP')}
 ${ewB('の議事録', 'ISO-2022-JP')}
Date: Tue, 18 Feb 2025 18:30:00 +0900
Message-ID: <OS3PR01MB1234@OS3PR01MB1234.jpnprd01.prod.outlook.com>
MIME-Version: 1.0
Content-Type: multipart/mixed;
\tboundary="_004_OS3PR01MB1234_"

${multipart('_004_OS3PR01MB1234_', [
  entity('Content-Type: text/plain; charset="iso-2022-jp"\nContent-Transfer-Encoding: 7bit', bytes),
  entity(
    `Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\n\tname="${ewB(name, 'iso-2022-jp')}"\nContent-Disposition: attachment;\n\tfilename="${ewB(name, 'iso-2022-jp')}"; size=${doc.length}\nContent-Transfer-Encoding: base64`,
    b64(doc),
  ),
])}`;
    out.push(
      legacy('010', 'ISO-2022-JP: subject in two words, filename="=?iso-2022-jp?B?..?=" as Outlook sends', eml, golden({
        from: mb('', 'sato@example.co.jp'),
        to: [mb('', 'team@example.co.jp')],
        subject: '打ち合わせの議事録',
        date: '2025-02-18T09:30:00.000Z',
        messageId: 'OS3PR01MB1234@OS3PR01MB1234.jpnprd01.prod.outlook.com',
        text,
        attachments: [A(name, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', doc)],
        parts: [
          C('', 'multipart/mixed'),
          P('1', 'text/plain', 'iso-2022-jp', '7bit', null, bytes.length),
          P('2', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', null, 'base64', name, doc.length),
        ],
      })),
    );
  }

  // 011 ─ 'iso-8859-1' label on windows-1252 bytes (€ “ ” –), as Outlook sends: WHATWG decodes the label as
  // windows-1252 (Encoding Standard §4.2).
  {
    const text = 'Bonjour,\n\nle budget est de 500 €.\n“Merci” – François\n';
    const bytes = enc(text, 'windows-1252');
    const eml = mail`From: ${ewQ('François Müller', 'iso-8859-1')} <fm@example.fr>
To: <compta@example.fr>
Subject: =?iso-8859-1?Q?R=E9sum=E9_for_=93Project_X=94?=
Date: Wed, 19 Feb 2025 10:00:00 +0100
Message-ID: <cp1252-1@example.fr>
MIME-Version: 1.0
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

${qp(bytes)}`;
    out.push(
      legacy('011', "'iso-8859-1' label on windows-1252 bytes 0x80-0x9F in a Q subject and a QP body", eml, golden({
        from: mb('François Müller', 'fm@example.fr'),
        to: [mb('', 'compta@example.fr')],
        subject: 'Résumé for “Project X”',
        date: '2025-02-19T09:00:00.000Z',
        messageId: 'cp1252-1@example.fr',
        text,
        parts: [P('', 'text/plain', 'iso-8859-1', 'quoted-printable', null, bytes.length)],
      })),
    );
  }

  // 012 ─ EUC-JP, HTML only, 8bit.
  {
    const html = '<html><body><p>本日の売上報告です。</p><p>合計：１２３万円</p></body></html>\n';
    const hb = enc(html, 'euc-jp');
    const eml = mail`From: ${ewB('営業部', 'EUC-JP')} <eigyo@example.jp>
To: <boss@example.jp>
Subject: ${ewB('売上報告', 'EUC-JP')}
Date: Thu, 20 Feb 2025 19:00:00 +0900
Message-ID: <eucjp-1@example.jp>
MIME-Version: 1.0
Content-Type: text/html; charset=EUC-JP
Content-Transfer-Encoding: 8bit

${hb}`;
    out.push(
      legacy('012', 'EUC-JP 8bit HTML-only message (text is absent, not derived from HTML)', eml, golden({
        from: mb('営業部', 'eigyo@example.jp'),
        to: [mb('', 'boss@example.jp')],
        subject: '売上報告',
        date: '2025-02-20T10:00:00.000Z',
        messageId: 'eucjp-1@example.jp',
        html,
        parts: [P('', 'text/html', 'euc-jp', '8bit', null, hb.length)],
      })),
    );
  }

  // 013 ─ ks_c_5601-1987 8bit text with 똠; name="=?ks_c_5601-1987?B?..?=" and filename*=EUC-KR''… (RFC 2231 wins).
  {
    const text = '똠방각하 보고서 초안입니다.\n';
    const tb = enc(text, 'cp949');
    const doc = fakeFile('bin', 1100, 131);
    const name = '보고서 초안.doc';
    const eml = mail`From: <writer@example.co.kr>
To: <editor@example.co.kr>
Subject: ${ewQ('뷁 보고서', 'ks_c_5601-1987')}
Date: Fri, 21 Feb 2025 13:13:13 +0900
Message-ID: <draft-1@example.co.kr>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="ksc-b"

${multipart('ksc-b', [
  entity('Content-Type: text/plain; charset=ks_c_5601-1987\nContent-Transfer-Encoding: 8bit', tb),
  entity(
    `Content-Type: application/msword; name="${ewB(name, 'ks_c_5601-1987')}"\nContent-Disposition: attachment; filename*=${rfc2231(name, 'EUC-KR')}\nContent-Transfer-Encoding: base64`,
    b64(doc),
  ),
])}`;
    out.push(
      legacy('013', 'ks_c_5601-1987 Q subject and 8bit body with 똠/뷁; RFC 2231 filename*=EUC-KR beside an encoded name', eml, golden({
        from: mb('', 'writer@example.co.kr'),
        to: [mb('', 'editor@example.co.kr')],
        subject: '뷁 보고서',
        date: '2025-02-21T04:13:13.000Z',
        messageId: 'draft-1@example.co.kr',
        text,
        attachments: [A(name, 'application/msword', doc)],
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'ks_c_5601-1987', '8bit', null, tb.length), P('2', 'application/msword', null, 'base64', name, doc.length)],
      })),
    );
  }
  return out;
}
