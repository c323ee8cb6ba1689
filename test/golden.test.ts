/**
 * The golden MIME corpus (test/fixtures/mime, described in its README.md): every message is parsed with LF and with
 * CRLF line ends and compared with its expected NNN.json. On a mismatch the result is written to NNN.actual.json
 * beside it. UPDATE_GOLDEN=1 rewrites the expected files from the LF result: use it only to draft a new case, then
 * check every value by hand against the message and the RFCs (an expected file holds the right answer, not what
 * the parser printed).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseMessageBuffer } from '../src/mime/index.js';
import { listGolden, normalizeGolden, readGoldenMessage, summarize, type Golden } from '../src/testing/golden.js';

/**
 * Cases where the parser is wrong today (filed in /tmp/parser-bugs.md). Their expected files keep the right answer;
 * the tests run as todo until the bug is fixed. Key: `<suite>/<NNN>`.
 */
export const KNOWN_BUGS: ReadonlyMap<string, string> = new Map<string, string>([
]);

const update = process.env['UPDATE_GOLDEN'] === '1';
const cases = listGolden();
let ran = 0;

for (const c of cases) {
  const mismatched = new Map<'lf' | 'crlf', Golden>();
  for (const ends of ['lf', 'crlf'] as const) {
    const bug = KNOWN_BUGS.get(c.id);
    test(`parseMessageBuffer matches ${c.id}.json with ${ends.toUpperCase()} line ends`, bug ? { todo: `parser bug: ${bug}` } : {}, () => {
      ran++;
      const actual = summarize(parseMessageBuffer(readGoldenMessage(c, ends)), ends);
      if (update && ends === 'lf') {
        writeFileSync(c.jsonPath, `${JSON.stringify(actual, null, 2)}\n`);
        return;
      }
      const expected = normalizeGolden(JSON.parse(readFileSync(c.jsonPath, 'utf8')) as Golden);
      try {
        assert.deepStrictEqual(actual, expected);
      } catch (err) {
        if (ends === 'lf' || !mismatched.has('lf')) writeFileSync(c.actualPath, `${JSON.stringify(actual, null, 2)}\n`);
        mismatched.set(ends, actual);
        throw err;
      }
      if (ends === 'crlf' && mismatched.size === 0 && existsSync(c.actualPath)) rmSync(c.actualPath);
    });
  }
}

test('the golden corpus has messages, every one has its expected file, and more than 0 ran', () => {
  assert.ok(cases.length > 0, 'no .eml files found under test/fixtures/mime');
  for (const c of cases) assert.ok(existsSync(c.jsonPath), `${c.id}.json is missing`);
  // Top-level tests run in order, so every message test above has finished.
  assert.ok(ran > 0, 'no golden message was parsed');
});
