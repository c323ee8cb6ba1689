/**
 * The benchmark corpus for `npm run bench:mime`: about 2,000 messages of the shapes mail really has, generated
 * deterministically (a seeded generator) into .bench/mime-corpus, once.
 * Shapes: plain text; multipart/alternative with HTML; mixed with 1–5 base64 attachments of 50 KB–2 MB;
 * quoted-printable Korean bodies (UTF-8 and EUC-KR); encoded-word subjects and names.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import iconv from 'iconv-lite';
import { b64, prng as rng, qp } from '../../src/testing/golden-gen-lib.js';

const WORDS = 'the mail server queue relay message delivery report status inbox folder attach reply forward meeting budget plan review'.split(' ');
const KO = '안녕하세요 오늘 회의는 오후 세시에 시작합니다 첨부한 보고서를 확인해 주세요 감사합니다 똠방각하 뷁 한국어 메일'.split(' ');

function words(r: () => number, n: number, list = WORDS): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(list[Math.floor(r() * list.length)]!);
  return out.join(' ');
}

function paragraphs(r: () => number, lines: number, list = WORDS): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(words(r, 8 + Math.floor(r() * 6), list));
  return out.join('\r\n') + '\r\n';
}

/** Text with LF line ends (as the golden generators write it) turned into CRLF lines, the last one ended too. */
function crlfLines(text: string): string {
  return text.replace(/\n/g, '\r\n') + '\r\n';
}

function b64lines(buf: Buffer): string {
  return crlfLines(b64(buf));
}

/** Quoted-printable of CRLF text: the generators' encoder works on LF line ends. */
function qpLines(bytes: Buffer): string {
  return crlfLines(qp(Buffer.from(bytes.toString('latin1').replace(/\r/g, ''), 'latin1')));
}

function ew(text: string, charset: 'UTF-8' | 'EUC-KR'): string {
  const bytes = charset === 'UTF-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'euc-kr');
  return `=?${charset}?B?${bytes.toString('base64')}?=`;
}

function header(r: () => number, i: number, subject: string, extra: string): string {
  const fromName = r() < 0.3 ? `"${ew(words(r, 2, KO), 'UTF-8')}"` : `"${words(r, 2)}"`;
  return (
    `Return-Path: <sender${i}@example.org>\r\n` +
    `Received: from mx.example.org (mx.example.org [192.0.2.${i % 250}]) by mail.example.net with ESMTPS id ${i.toString(36)}; Thu, 26 Nov 2026 11:50:41 +0000\r\n` +
    `From: ${fromName} <sender${i}@example.org>\r\n` +
    `To: "${words(r, 2)}" <rcpt${i}@example.net>, other${i}@example.net\r\n` +
    `Subject: ${subject}\r\n` +
    `Date: Thu, 26 Nov 2026 11:${String(i % 60).padStart(2, '0')}:00 +0900\r\n` +
    `Message-ID: <${i}.${Math.floor(r() * 1e9)}@example.org>\r\n` +
    `MIME-Version: 1.0\r\n` +
    extra
  );
}

/** `size` (at least 4) pseudo-random bytes, every one of them written, so the corpus is the same on every run. */
function randomBytes(r: () => number, size: number): Buffer {
  const data = Buffer.allocUnsafe(size);
  for (let j = 0; j < size; j += 4) data.writeUInt32LE((r() * 4294967296) >>> 0, Math.min(j, size - 4));
  return data;
}

/** Builds message number `i` of the corpus. */
export function makeMessage(i: number): Buffer {
  const r = rng(1000 + i);
  const kind = r();
  const subject = r() < 0.4 ? ew(words(r, 4, KO), r() < 0.5 ? 'UTF-8' : 'EUC-KR') : words(r, 5);
  if (kind < 0.35) {
    return Buffer.from(header(r, i, subject, 'Content-Type: text/plain; charset=us-ascii\r\n\r\n') + paragraphs(r, 10 + Math.floor(r() * 60)), 'utf8');
  }
  if (kind < 0.55) {
    const euc = r() < 0.5;
    const text = paragraphs(r, 10 + Math.floor(r() * 40), KO);
    const body = qpLines(euc ? iconv.encode(text, 'euc-kr') : Buffer.from(text, 'utf8'));
    return Buffer.from(
      header(r, i, subject, `Content-Type: text/plain; charset=${euc ? 'euc-kr' : 'utf-8'}\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`) + body,
      'latin1',
    );
  }
  const text = paragraphs(r, 10 + Math.floor(r() * 30));
  const html = `<html><body>${text.split('\r\n').map((l) => `<p>${l}</p>`).join('\r\n')}</body></html>\r\n`;
  const alt =
    `--alt${i}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qpLines(Buffer.from(text))}` +
    `--alt${i}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qpLines(Buffer.from(html))}` +
    `--alt${i}--\r\n`;
  if (kind < 0.85) {
    return Buffer.from(header(r, i, subject, `Content-Type: multipart/alternative; boundary="alt${i}"\r\n\r\n`) + alt, 'latin1');
  }
  let out = header(r, i, subject, `Content-Type: multipart/mixed; boundary="mix${i}"\r\n\r\n`);
  out += `--mix${i}\r\nContent-Type: multipart/alternative; boundary="alt${i}"\r\n\r\n${alt}`;
  const n = 1 + Math.floor(r() * 5);
  const parts = [Buffer.from(out, 'latin1')];
  for (let k = 0; k < n; k++) {
    const size = Math.floor(50_000 * Math.pow(40, r())); // 50 KB – 2 MB, log-uniform
    const data = randomBytes(r, size);
    const name = r() < 0.3 ? ew(`보고서 ${k}.pdf`, 'UTF-8') : `report-${k}.pdf`;
    parts.push(
      Buffer.from(
        `--mix${i}\r\nContent-Type: application/pdf; name="${name}"\r\nContent-Disposition: attachment; filename="${name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64lines(data)}`,
        'latin1',
      ),
    );
  }
  parts.push(Buffer.from(`--mix${i}--\r\n`));
  return Buffer.concat(parts);
}

/** Writes the corpus once and returns its file paths. */
export function ensureCorpus(dir: string, count: number): string[] {
  if (!existsSync(dir) || readdirSync(dir).length !== count) {
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < count; i++) writeFileSync(path.join(dir, `${String(i).padStart(5, '0')}.eml`), makeMessage(i));
  }
  return readdirSync(dir)
    .sort()
    .map((f) => path.join(dir, f));
}

/** A single large message (about `mb` MB: a few big base64 attachments) for the memory row. */
export function makeBigMessage(mb: number): Buffer {
  const r = rng(7);
  const parts = [Buffer.from(header(r, 0, 'big', 'Content-Type: multipart/mixed; boundary="big"\r\n\r\n--big\r\n\r\nsee attachments\r\n'))];
  const each = Math.floor((mb * 1024 * 1024 * 0.74) / 4);
  for (let k = 0; k < 4; k++) {
    const data = randomBytes(r, each);
    parts.push(Buffer.from(`--big\r\nContent-Type: application/octet-stream; name="f${k}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64lines(data)}`, 'latin1'));
  }
  parts.push(Buffer.from('--big--\r\n'));
  return Buffer.concat(parts);
}
