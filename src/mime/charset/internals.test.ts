// The @example of every internal export of the charset folder, run as written, plus engine edge cases.
import test from 'node:test';
import assert from 'node:assert/strict';
import { asBuffer, unitsToString } from './engine.js';
import { Utf16Engine, Utf8Engine, utf8CompleteLength, utf8Valid } from './unicode.js';
import { Utf7Engine } from './utf7.js';
import { SbcsEngine, decodeSbcs, sbcsTable } from './sbcs.js';
import { IconvEngine, charsetSpec } from './registry.js';
import { legacyCandidates, sniffIso2022 } from './sniff.js';
import { decide, flaggedProblem, resolve } from './decide.js';

test('asBuffer views a Uint8Array without copying', () => {
  const u = new Uint8Array([104, 105]);
  const b = asBuffer(u);
  assert.equal(b.toString('latin1'), 'hi');
  u[0] = 0x48;
  assert.equal(b.toString('latin1'), 'Hi');
});

test('unitsToString builds strings longer than one argument list', () => {
  assert.equal(unitsToString([0x48, 0x69]), 'Hi');
  assert.equal(unitsToString(new Array<number>(100_000).fill(0x61)), 'a'.repeat(100_000));
});

test('utf8CompleteLength cuts an incomplete sequence at the end only', () => {
  assert.equal(utf8CompleteLength(Buffer.from([0x41, 0xe2, 0x82])), 1);
  assert.equal(utf8CompleteLength(Buffer.from([0x41, 0xe2, 0x82, 0xac])), 4);
  assert.equal(utf8CompleteLength(Buffer.from([0xf0, 0x9f, 0x98])), 0);
  assert.equal(utf8CompleteLength(Buffer.from([0x41, 0xff])), 2); // never a lead byte: nothing to wait for
  assert.equal(utf8CompleteLength(Buffer.from([0x80, 0x80, 0x80, 0x80])), 4);
});

test('utf8Valid tolerates a sequence cut at the end only when more bytes may follow', () => {
  assert.equal(utf8Valid(Buffer.from([0x47, 0xc3]), false), true);
  assert.equal(utf8Valid(Buffer.from([0x47, 0xc3]), true), false);
  assert.equal(utf8Valid(Buffer.from([0x47, 0xfc, 0x41]), false), false);
});

test('Utf8Engine example: € cut in two', () => {
  const e = new Utf8Engine();
  assert.equal(e.write(Buffer.from([0xe2, 0x82])) + e.write(Buffer.from([0xac])) + e.end(), '€');
  assert.equal(e.flagged, false);
});

test('Utf8Engine flags a sequence left incomplete at the end', () => {
  const e = new Utf8Engine();
  assert.equal(e.write(Buffer.from([0x41, 0xf0, 0x9f])) + e.end(), 'A\ufffd');
  assert.equal(e.flagged, true);
});

test('Utf16Engine example: big-endian BOM', () => {
  const e = new Utf16Engine('detect');
  assert.equal(e.write(Buffer.from([0xfe, 0xff, 0x00, 0x41])) + e.end(), 'A');
});

test('Utf16Engine without a BOM reads big-endian (RFC 2781 §4.3) unless the first unit is little-endian ASCII', () => {
  assert.equal(new Utf16Engine('detect').write(Buffer.from([0x30, 0x42])), 'あ');
  assert.equal(new Utf16Engine('detect').write(Buffer.from([0x41, 0x00, 0x42, 0x00])), 'AB');
});

test('Utf16Engine replaces an unpaired surrogate and flags', () => {
  const e = new Utf16Engine('le');
  assert.equal(e.write(Buffer.from([0x3d, 0xd8, 0x41, 0x00])) + e.end(), '\ufffdA');
  assert.equal(e.flagged, true);
});

test('Utf7Engine example: RFC 2152 "Hi Mom -☺-!" cut inside the base64', () => {
  const e = new Utf7Engine();
  assert.equal(e.write(Buffer.from('Hi Mom -+Jjo')) + e.write(Buffer.from('--!')) + e.end(), 'Hi Mom -☺-!');
});

test('Utf7Engine decodes RFC 2152 examples: +- is +, 日本語, a lone + is literal', () => {
  const dec = (s: string) => {
    const e = new Utf7Engine();
    return e.write(Buffer.from(s)) + e.end();
  };
  assert.equal(dec('1 +- 1 = 2'), '1 + 1 = 2');
  assert.equal(dec('+ZeVnLIqe-'), '日本語');
  assert.equal(dec('A+ImIDkQ.'), 'A≢Α.');
  assert.equal(dec('a + b'), 'a + b');
  assert.equal(dec('+2D3eAA-'), '😀');
});

test('sbcsTable example: windows-1252 0x80 is €', () => {
  assert.equal(sbcsTable('windows-1252')!.map[0x80], 0x20ac);
  assert.equal(sbcsTable('cp949'), null);
  assert.equal(sbcsTable('no-such-charset'), null);
});

test('decodeSbcs example: ISO-8859-7 0xE1 is α', () => {
  assert.equal(decodeSbcs(sbcsTable('iso-8859-7')!, Buffer.from([0xe1]), false).text, 'α');
});

test('SbcsEngine example: KOI8-R при', () => {
  assert.equal(new SbcsEngine(sbcsTable('koi8-r')!).write(Buffer.from([0xd0, 0xd2, 0xc9])), 'при');
});

test('SbcsEngine with flagHigh flags any 8-bit byte (US-ASCII)', () => {
  const e = new SbcsEngine(sbcsTable('us-ascii')!, true);
  assert.equal(e.write(Buffer.from([0x41, 0x80])), 'A€');
  assert.equal(e.flagged, true);
});

test('IconvEngine example: 똠 cut in two', () => {
  const e = new IconvEngine('cp949');
  assert.equal(e.write(Buffer.from([0x8c])) + e.write(Buffer.from([0x63])) + e.end(), '똠');
});

test('charsetSpec example: shift_jis is multi-byte; unknown names have no spec', () => {
  assert.equal(charsetSpec('shift_jis')!.kind, 'multibyte');
  assert.equal(charsetSpec('windows-1252')!.kind, 'sbcs');
  assert.equal(charsetSpec('utf-16')!.kind, 'unicode');
  assert.equal(charsetSpec('no-such-charset'), null);
});

test('sniffIso2022 example and its negatives', () => {
  assert.equal(sniffIso2022(Buffer.from('\x1b$BF|K\\\x1b(B', 'latin1')), 'iso-2022-jp');
  assert.equal(sniffIso2022(Buffer.from('\x1b$)C\x0e>H\x0f', 'latin1')), 'iso-2022-kr');
  assert.equal(sniffIso2022(Buffer.from('\x1b[1mbold\x1b[0m', 'latin1')), null); // ANSI colours are not ISO 2022
});

test('legacyCandidates example: 안녕 in EUC-KR', () => {
  assert.deepEqual(legacyCandidates(Buffer.from([0xbe, 0xc8, 0xb3, 0xe7]), true), ['cp949', 'windows-1252']);
  assert.deepEqual(legacyCandidates(Buffer.from([0xbe, 0xc8, 0xb3]), false), ['cp949', 'windows-1252']);
  assert.deepEqual(legacyCandidates(Buffer.from([0xbe, 0xc8, 0xb3]), true), ['windows-1252']);
});

test('resolve example and a missing label', () => {
  assert.equal(resolve('ks_c_5601-1987').canonical, 'cp949');
  assert.equal(resolve(undefined).mode, 'missing');
  assert.equal(resolve('  ').mode, 'missing');
  assert.equal(resolve('x-foo').mode, 'unknown');
  assert.equal(resolve('x\u0000y').shown, 'x?y');
});

test('flaggedProblem example', () => {
  assert.equal(flaggedProblem('shift_jis'), 'Invalid bytes for charset "shift_jis": replaced with U+FFFD');
});

test('decide example: iso-8859-1 on UTF-8 bytes', () => {
  assert.equal(decide(resolve('iso-8859-1'), Buffer.from('é'), true, true, null).charset, 'utf-8');
});
