/**
 * Golden corpus, suite `clients`: message shapes of the mailers people use — Outlook (related + alternative,
 * ks_c_5601-1987, winmail.dat), Thunderbird (format=flowed, RFC 2231, forward as attachment, MDN), Gmail
 * (alternative with QP, RFC 2047 filenames), Apple Mail (nested related/alternative/mixed, Content-ID images),
 * Mailman digests, Postfix DSNs, Naver and iPhone. Headers and boundaries imitate the real mailers.
 */
import { A, b64, C, crlf, enc, ewB, ewQ, fakeFile, golden, mail, mb, P, qp, rfc2231, sizeOf, utf8, type GenCase } from './golden-gen-lib.js';
import { entity, multipart } from './golden-gen-mime.js';

const client = (name: string, about: string, eml: Buffer, expected: GenCase['expected']): GenCase => ({ suite: 'clients', name, about, eml, expected });

export function clientCases(): GenCase[] {
  const out: GenCase[] = [];

  // 001 ─ Outlook 2016, Korean: mixed > related(alternative(plain, html), image001.png) > .docx, all ks_c_5601-1987.
  {
    const text = '민수 씨,\n\n요청하신 견적서를 첨부합니다.\n똠방각하 프로젝트 관련 자료입니다.\n\n박영희 드림\n';
    const html =
      '<html xmlns:v="urn:schemas-microsoft-com:vml"><head><meta http-equiv="Content-Type" content="text/html; charset=ks_c_5601-1987"></head>' +
      '<body lang="KO"><p class="MsoNormal">민수 씨,</p><p class="MsoNormal">요청하신 견적서를 첨부합니다.</p>' +
      '<p class="MsoNormal"><img width="120" height="40" src="cid:image001.png@01DB9140.12345670"></p></body></html>\n';
    const tb = enc(crlf(text), 'cp949');
    const hb = enc(crlf(html), 'cp949');
    const png = fakeFile('png', 1234, 11);
    const docx = fakeFile('zip', 2345, 12);
    const docName = '견적서_똠방각하.docx';
    const id = 'SL2PR06MB3082A1B2C3D4E5F6';
    const B0 = `_000_${id}SL2PR06MB3082apcp_`;
    const B3 = `_003_${id}SL2PR06MB3082apcp_`;
    const B4 = `_004_${id}SL2PR06MB3082apcp_`;
    const dates = 'creation-date="Mon, 10 Mar 2025 02:03:04 GMT";\n\tmodification-date="Mon, 10 Mar 2025 02:03:04 GMT"';
    const eml = mail`From: ${ewB('박영희', 'ks_c_5601-1987')} <younghee.park@example.co.kr>
To: "${ewB('이민수', 'ks_c_5601-1987')}" <minsu.lee@example.com>
Subject: ${ewB('견적서 송부 (똠방각하 프로젝트)', 'ks_c_5601-1987')}
Thread-Topic: ${ewB('견적서 송부 (똠방각하 프로젝트)', 'ks_c_5601-1987')}
Thread-Index: AdmVxyz1234567890abcdefABCDEF==
Date: Mon, 10 Mar 2025 02:03:04 +0000
Message-ID: <${id}@${id.slice(0, 14)}.apcprd06.prod.outlook.com>
Accept-Language: ko-KR, en-US
Content-Language: ko-KR
X-MS-Has-Attach: yes
X-MS-TNEF-Correlator:
MIME-Version: 1.0
Content-Type: multipart/mixed;
\tboundary="${B4}"

${multipart(B4, [
  entity(
    `Content-Type: multipart/related;\n\tboundary="${B3}";\n\ttype="multipart/alternative"`,
    multipart(B3, [
      entity(
        `Content-Type: multipart/alternative;\n\tboundary="${B0}"`,
        multipart(B0, [
          entity('Content-Type: text/plain; charset="ks_c_5601-1987"\nContent-Transfer-Encoding: base64', b64(tb)),
          entity('Content-Type: text/html; charset="ks_c_5601-1987"\nContent-Transfer-Encoding: base64', b64(hb)),
        ]),
      ),
      entity(
        `Content-Type: image/png; name="image001.png"\nContent-Description: image001.png\nContent-Disposition: inline; filename="image001.png"; size=${png.length};\n\t${dates}\nContent-ID: <image001.png@01DB9140.12345670>\nContent-Transfer-Encoding: base64`,
        b64(png),
      ),
    ]),
  ),
  entity(
    `Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\n\tname="${ewB(docName, 'ks_c_5601-1987')}"\nContent-Description: ${ewB(docName, 'ks_c_5601-1987')}\nContent-Disposition: attachment;\n\tfilename="${ewB(docName, 'ks_c_5601-1987')}"; size=${docx.length};\n\t${dates}\nContent-Transfer-Encoding: base64`,
    b64(docx),
  ),
])}`;
    out.push(
      client('001', 'Outlook 2016 Korean: mixed > related(alternative, inline image001.png) > docx; ks_c_5601-1987 everywhere', eml, golden({
        from: mb('박영희', 'younghee.park@example.co.kr'),
        to: [mb('이민수', 'minsu.lee@example.com')],
        subject: '견적서 송부 (똠방각하 프로젝트)',
        date: '2025-03-10T02:03:04.000Z',
        messageId: `${id}@${id.slice(0, 14)}.apcprd06.prod.outlook.com`,
        text,
        html,
        attachments: [A('image001.png', 'image/png', png), A(docName, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', docx)],
        parts: [
          C('', 'multipart/mixed'),
          C('1', 'multipart/related'),
          C('1.1', 'multipart/alternative'),
          P('1.1.1', 'text/plain', 'ks_c_5601-1987', 'base64', null, tb.length),
          P('1.1.2', 'text/html', 'ks_c_5601-1987', 'base64', null, hb.length),
          P('1.2', 'image/png', null, 'base64', 'image001.png', png.length),
          P('2', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', null, 'base64', docName, docx.length),
        ],
      })),
    );
  }

  // 002 ─ Outlook with RTF: winmail.dat (application/ms-tnef) beside a windows-1252 QP text part.
  {
    const text = 'Hi Jane,\n\nHere’s the budget for 2025 – see the attached file.\n\nJohn\n';
    const tb = enc(text, 'windows-1252');
    const tnef = fakeFile('tnef', 3000, 21);
    const B = '_002_DM6PR11MB1234ABCDDM6PR11MB1234namp_';
    const eml = mail`From: "Smith, John" <john.smith@contoso.com>
To: "Doe, Jane" <jane.doe@fabrikam.com>
Subject: RE: Budget 2025
Thread-Topic: Budget 2025
Thread-Index: AQHZabcdEFGH1234567890ijklmn
Date: Tue, 11 Mar 2025 14:22:33 +0000
Message-ID: <DM6PR11MB1234ABCD@DM6PR11MB1234.namprd11.prod.outlook.com>
References: <budget-q@fabrikam.com>
In-Reply-To: <budget-q@fabrikam.com>
Accept-Language: en-US
Content-Language: en-US
X-MS-Has-Attach: yes
X-MS-TNEF-Correlator: <DM6PR11MB1234ABCD@DM6PR11MB1234.namprd11.prod.outlook.com>
MIME-Version: 1.0
Content-Type: multipart/mixed;
\tboundary="${B}"

${multipart(B, [
  entity('Content-Type: text/plain; charset="Windows-1252"\nContent-Transfer-Encoding: quoted-printable', qp(tb)),
  entity('Content-Type: application/ms-tnef; name="winmail.dat"\nContent-Disposition: attachment; filename="winmail.dat"\nContent-Transfer-Encoding: base64', b64(tnef)),
])}`;
    out.push(
      client('002', 'Outlook RTF mail: winmail.dat (application/ms-tnef) and a windows-1252 QP text part', eml, golden({
        from: mb('Smith, John', 'john.smith@contoso.com'),
        to: [mb('Doe, Jane', 'jane.doe@fabrikam.com')],
        subject: 'RE: Budget 2025',
        date: '2025-03-11T14:22:33.000Z',
        messageId: 'DM6PR11MB1234ABCD@DM6PR11MB1234.namprd11.prod.outlook.com',
        text,
        attachments: [A('winmail.dat', 'application/ms-tnef', tnef)],
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'windows-1252', 'quoted-printable', null, tb.length), P('2', 'application/ms-tnef', null, 'base64', 'winmail.dat', tnef.length)],
      })),
    );
  }

  // 003 ─ Thunderbird: format=flowed 8bit text (kept as sent), RFC 2231 filename* continuations.
  {
    const text =
      'Hallo Jürgen,\n\nanbei das Protokoll der Sitzung vom 11. März. Die wichtigsten Punkte sind \n' +
      'die Budgetplanung und die Termine für das zweite Quartal.\n\n >From the minutes: a space-stuffed line.\n\n-- \nRenée\n';
    const odt = fakeFile('zip', 2600, 31);
    const name = 'Protokoll_Sitzung_11._März_und_weitere_Themen_für das zweite Quartal.odt';
    const ext = rfc2231(name, 'UTF-8');
    const cut = ext.indexOf('%C3%BCr') + 7;
    const B = '------------0a1B2c3D4e5F6g7H8i9J0k1L';
    const eml = mail`Message-ID: <8a1c2d3e-4f50-6172-8394-a5b6c7d8e9f0@example.de>
Date: Wed, 12 Mar 2025 18:45:10 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Language: de-DE
To: ${ewQ('Jürgen Weiß', 'UTF-8')} <juergen@example.de>
From: ${ewQ('Renée Schröder', 'UTF-8')} <renee@example.de>
Subject: =?UTF-8?Q?Protokoll_der_Sitzung_vom_11=2E_M=C3=A4rz?=
Content-Type: multipart/mixed; boundary="${B}"

${multipart(B, [
  entity('Content-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 8bit', text),
  entity(
    `Content-Type: application/vnd.oasis.opendocument.text;\n name="${ewQ(name.slice(0, 30), 'UTF-8')}\n ${ewQ(name.slice(30), 'UTF-8')}"\nContent-Disposition: attachment;\n filename*0*=${ext.slice(0, cut)};\n filename*1*=${ext.slice(cut)}\nContent-Transfer-Encoding: base64`,
    b64(odt),
  ),
], { preamble: 'This is a multi-part message in MIME format.' })}`;
    out.push(
      client('003', 'Thunderbird: format=flowed 8bit text kept as sent, RFC 2231 filename*0*/1* continuations', eml, golden({
        from: mb('Renée Schröder', 'renee@example.de'),
        to: [mb('Jürgen Weiß', 'juergen@example.de')],
        subject: 'Protokoll der Sitzung vom 11. März',
        date: '2025-03-12T17:45:10.000Z',
        messageId: '8a1c2d3e-4f50-6172-8394-a5b6c7d8e9f0@example.de',
        text,
        attachments: [A(name, 'application/vnd.oasis.opendocument.text', odt)],
        parts: [C('', 'multipart/mixed'), P('1', 'text/plain', 'utf-8', '8bit', null, sizeOf(text)), P('2', 'application/vnd.oasis.opendocument.text', null, 'base64', name, odt.length)],
      })),
    );
  }

  // 004 ─ Gmail: multipart/alternative, both parts quoted-printable UTF-8, soft breaks inside an address.
  {
    const text =
      'Hi Li,\n\nSounds good – see you at the café at 10. It’s on the corner of Main St.\n\n' +
      'On Wed, Mar 12, 2025 at 5:01\u202fPM 李明 <li.ming@example.cn> wrote:\n\n> Shall we meet tomorrow?\n>\n';
    const html =
      '<div dir="ltr">Hi Li,<div><br></div><div>Sounds good – see you at the café at 10. It’s on the corner of Main St.</div></div>' +
      '<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Wed, Mar 12, 2025 at 5:01\u202fPM 李明 &lt;<a href="mailto:li.ming@example.cn">li.ming@example.cn</a>&gt; wrote:<br></div>' +
      '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">Shall we meet tomorrow?</blockquote></div>\n';
    const B = '000000000000f1e2d3c4b5a69788';
    const eml = mail`MIME-Version: 1.0
Date: Thu, 13 Mar 2025 09:12:45 -0700
Message-ID: <CAF1a2B3c4D5e6F7g8H9i0J-kLmNoPqRsTuVwXyZ@mail.gmail.com>
Subject: =?UTF-8?Q?Re=3A_Caf=C3=A9_meeting_=E2=98=95?=
From: Maria Garcia <maria.garcia@gmail.com>
To: ${ewB('李明', 'UTF-8')} <li.ming@example.cn>
Cc: "O'Brien, Sean" <sean@example.ie>
Content-Type: multipart/alternative; boundary="${B}"

${multipart(B, [
  entity('Content-Type: text/plain; charset="UTF-8"\nContent-Transfer-Encoding: quoted-printable', qp(utf8(text))),
  entity('Content-Type: text/html; charset="UTF-8"\nContent-Transfer-Encoding: quoted-printable', qp(utf8(html))),
])}`;
    out.push(
      client('004', 'Gmail multipart/alternative, quoted-printable UTF-8 with soft breaks in words and addresses', eml, golden({
        from: mb('Maria Garcia', 'maria.garcia@gmail.com'),
        to: [mb('李明', 'li.ming@example.cn')],
        cc: [mb("O'Brien, Sean", 'sean@example.ie')],
        subject: 'Re: Café meeting ☕',
        date: '2025-03-13T16:12:45.000Z',
        messageId: 'CAF1a2B3c4D5e6F7g8H9i0J-kLmNoPqRsTuVwXyZ@mail.gmail.com',
        text,
        html,
        parts: [C('', 'multipart/alternative'), P('1', 'text/plain', 'utf-8', 'quoted-printable', null, sizeOf(text)), P('2', 'text/html', 'utf-8', 'quoted-printable', null, sizeOf(html))],
      })),
    );
  }

  // 005 ─ Gmail with an attachment: mixed > alternative(base64 Korean), filename="=?UTF-8?B?..?=", X-Attachment-Id.
  {
    const text = '안녕하세요,\n제안서를 첨부합니다.\n';
    const html = '<div dir="ltr">안녕하세요,<div>제안서를 첨부합니다.</div></div>\n';
    const tb = utf8(crlf(text));
    const hb = utf8(crlf(html));
    const pdf = fakeFile('pdf', 4000, 51);
    const name = '제안서.pdf';
    const eml = mail`MIME-Version: 1.0
Date: Fri, 14 Mar 2025 10:00:00 +0900
Message-ID: <CAB9xYz+AbCdEfGhIjKlMnOpQrStUvWxYz0123456789@mail.gmail.com>
Subject: ${ewB('제안서 송부', 'UTF-8')}
From: =?UTF-8?B?${utf8('한지민').toString('base64')}?= <jimin.han@gmail.com>
To: partner@example.com
Content-Type: multipart/mixed; boundary="000000000000c0ffee0000beef01"

${multipart('000000000000c0ffee0000beef01', [
  entity(
    'Content-Type: multipart/alternative; boundary="000000000000c0ffee0000beef00"',
    multipart('000000000000c0ffee0000beef00', [
      entity('Content-Type: text/plain; charset="UTF-8"\nContent-Transfer-Encoding: base64', b64(tb)),
      entity('Content-Type: text/html; charset="UTF-8"\nContent-Transfer-Encoding: base64', b64(hb)),
    ]),
  ),
  entity(
    `Content-Type: application/pdf; name="${ewB(name, 'UTF-8')}"\nContent-Disposition: attachment; filename="${ewB(name, 'UTF-8')}"\nContent-Transfer-Encoding: base64\nContent-ID: <f_m8a1b2c30>\nX-Attachment-Id: f_m8a1b2c30`,
    b64(pdf),
  ),
])}`;
    out.push(
      client('005', 'Gmail mixed > alternative with base64 Korean text, filename="=?UTF-8?B?..?=" and a Content-ID', eml, golden({
        from: mb('한지민', 'jimin.han@gmail.com'),
        to: [mb('', 'partner@example.com')],
        subject: '제안서 송부',
        date: '2025-03-14T01:00:00.000Z',
        messageId: 'CAB9xYz+AbCdEfGhIjKlMnOpQrStUvWxYz0123456789@mail.gmail.com',
        text,
        html,
        attachments: [A(name, 'application/pdf', pdf)],
        parts: [
          C('', 'multipart/mixed'),
          C('1', 'multipart/alternative'),
          P('1.1', 'text/plain', 'utf-8', 'base64', null, tb.length),
          P('1.2', 'text/html', 'utf-8', 'base64', null, hb.length),
          P('2', 'application/pdf', null, 'base64', name, pdf.length),
        ],
      })),
    );
  }

  // 006 ─ Apple Mail: alternative > (plain, related > (html, two inline images with Content-ID)).
  {
    const text = 'Hi Anna,\n\nhere are two photos from Zürich:\n\n[image: IMG_1234.jpeg]\n\nBest,\nTim\n';
    const html =
      '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word;">' +
      'Hi Anna,<br><br>here are two photos from Zürich:<br><img src="cid:A1B2C3D4-0001@home" /><img src="cid:A1B2C3D4-0002@home" />' +
      '<br>Best,<br>Tim</body></html>\n';
    const jpg = fakeFile('jpeg', 2800, 61);
    const png = fakeFile('png', 1900, 62);
    const B1 = 'Apple-Mail=_1A2B3C4D-5E6F-7081-92A3-B4C5D6E7F809';
    const B2 = 'Apple-Mail=_2B3C4D5E-6F70-8192-A3B4-C5D6E7F80910';
    const eml = mail`From: Tim Apple <tim@icloud.com>
Content-Type: multipart/alternative;
\tboundary="${B1}"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: Photos from the trip
Date: Fri, 14 Mar 2025 20:30:00 +0100
Message-Id: <5F6E7D8C-9BAA-4BCC-8DDE-EF0011223344@icloud.com>
To: Anna <anna@example.com>
X-Mailer: Apple Mail (2.3774.600.62)

${multipart(B1, [
  entity('Content-Transfer-Encoding: quoted-printable\nContent-Type: text/plain;\n\tcharset=utf-8', qp(utf8(text))),
  entity(
    `Content-Type: multipart/related;\n\ttype="text/html";\n\tboundary="${B2}"`,
    multipart(B2, [
      entity('Content-Transfer-Encoding: quoted-printable\nContent-Type: text/html;\n\tcharset=utf-8', qp(utf8(html))),
      entity('Content-Transfer-Encoding: base64\nContent-Disposition: inline;\n\tfilename=IMG_1234.jpeg\nContent-Type: image/jpeg;\n\tx-unix-mode=0644;\n\tname="IMG_1234.jpeg"\nContent-Id: <A1B2C3D4-0001@home>', b64(jpg)),
      entity('Content-Transfer-Encoding: base64\nContent-Disposition: inline;\n\tfilename=screenshot.png\nContent-Type: image/png;\n\tx-unix-mode=0644;\n\tname="screenshot.png"\nContent-Id: <A1B2C3D4-0002@home>', b64(png)),
    ]),
  ),
])}`;
    out.push(
      client('006', 'Apple Mail: alternative > (plain, related > (html, inline JPEG and PNG with Content-ID))', eml, golden({
        from: mb('Tim Apple', 'tim@icloud.com'),
        to: [mb('Anna', 'anna@example.com')],
        subject: 'Photos from the trip',
        date: '2025-03-14T19:30:00.000Z',
        messageId: '5F6E7D8C-9BAA-4BCC-8DDE-EF0011223344@icloud.com',
        text,
        html,
        attachments: [A('IMG_1234.jpeg', 'image/jpeg', jpg), A('screenshot.png', 'image/png', png)],
        parts: [
          C('', 'multipart/alternative'),
          P('1', 'text/plain', 'utf-8', 'quoted-printable', null, sizeOf(text)),
          C('2', 'multipart/related'),
          P('2.1', 'text/html', 'utf-8', 'quoted-printable', null, sizeOf(html)),
          P('2.2', 'image/jpeg', null, 'base64', 'IMG_1234.jpeg', jpg.length),
          P('2.3', 'image/png', null, 'base64', 'screenshot.png', png.length),
        ],
      })),
    );
  }

  // 007 ─ Apple Mail "text, image, text, pdf" in multipart/mixed: the inline image sits in the body (RFC 8621
  // §4.1.4), the PDF is an attachment.
  {
    const t1 = 'Here is the receipt:\n';
    const t3 = '\nThanks!\n';
    const jpg = fakeFile('jpeg', 1600, 71);
    const pdf = fakeFile('pdf', 1700, 72);
    const B = 'Apple-Mail=_9F8E7D6C-5B4A-3928-1706-F5E4D3C2B1A0';
    const eml = mail`From: Tim Apple <tim@icloud.com>
Content-Type: multipart/mixed;
\tboundary="${B}"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: Receipt
Date: Sat, 15 Mar 2025 09:00:00 +0100
Message-Id: <0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9@icloud.com>
To: accounts@example.com

${multipart(B, [
  entity('Content-Transfer-Encoding: 7bit\nContent-Type: text/plain;\n\tcharset=us-ascii', t1),
  entity('Content-Transfer-Encoding: base64\nContent-Disposition: inline;\n\tfilename=IMG_0042.jpeg\nContent-Type: image/jpeg;\n\tx-unix-mode=0644;\n\tname="IMG_0042.jpeg"', b64(jpg)),
  entity('Content-Transfer-Encoding: 7bit\nContent-Type: text/plain;\n\tcharset=us-ascii', t3),
  entity('Content-Disposition: inline;\n\tfilename=receipt.pdf\nContent-Type: application/pdf;\n\tx-unix-mode=0644;\n\tname="receipt.pdf"\nContent-Transfer-Encoding: base64', b64(pdf)),
])}`;
    out.push(
      client('007', 'Apple Mail mixed with an inline image between two texts (body per RFC 8621 §4.1.4) and an inline PDF', eml, golden({
        from: mb('Tim Apple', 'tim@icloud.com'),
        to: [mb('', 'accounts@example.com')],
        subject: 'Receipt',
        date: '2025-03-15T08:00:00.000Z',
        messageId: '0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9@icloud.com',
        text: `${t1}\n${t3}`,
        attachments: [A('receipt.pdf', 'application/pdf', pdf)],
        parts: [
          C('', 'multipart/mixed'),
          P('1', 'text/plain', 'us-ascii', '7bit', null, sizeOf(t1)),
          P('2', 'image/jpeg', null, 'base64', 'IMG_0042.jpeg', jpg.length),
          P('3', 'text/plain', 'us-ascii', '7bit', null, sizeOf(t3)),
          P('4', 'application/pdf', null, 'base64', 'receipt.pdf', pdf.length),
        ],
      })),
    );
  }

  return out;
}
