/**
 * Conformance with Stalwart mail-parser's test messages (shared corpus, see src/testing/corpus/stalwart.ts): one
 * test per message, each read with LF and with CRLF line ends; every disagreement must be a listed, justified
 * difference (stalwart-differences.ts, docs/mime-conformance.md).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { corpusDir, needPeer } from '../../src/testing/peers.js';
import { conformanceDoc, conformanceDocPath } from '../../src/testing/corpus/conformance-doc.js';
import { compareStalwart, DIFFERENCES, listStalwartCases, readExpected } from '../../src/testing/corpus/stalwart.js';
import { describe, explain } from '../../src/testing/corpus/compare.js';

const dir = corpusDir();
const cases = dir ? listStalwartCases(dir) : [];

if (cases.length === 0) {
  test('parseMessageBuffer agrees with Stalwart mail-parser on its test messages', (t) => {
    needPeer(t, 'MIME corpus', false);
  });
} else {
  let ran = 0;
  for (const c of cases) {
    test(`parseMessageBuffer and parts() agree with Stalwart on stalwart/${c.id}.eml (LF and CRLF)`, async () => {
      assert.ok(c.expected.length > 0, 'no expected JSON beside the message');
      const stored = readFileSync(c.eml);
      const failures: string[] = [];
      for (const e of c.expected) {
        const found = await compareStalwart(stored, e.ends, readExpected(e.json));
        const { unexplained, unused } = explain(c.id, e.ends, found, DIFFERENCES);
        if (unexplained.length > 0) failures.push(`${e.ends.toUpperCase()}: unexplained differences\n${describe(unexplained)}`);
        if (unused.length > 0) failures.push(`${e.ends.toUpperCase()}: DIFFERENCES entries that no longer apply: ${unused.map((d) => d.field).join(', ')}`);
      }
      assert.equal(failures.length, 0, failures.join('\n'));
      ran++;
    });
  }

  test('the Stalwart conformance run read more than 0 messages and its DIFFERENCES are all documented', () => {
    assert.ok(ran > 0, 'no Stalwart message ran');
    const ids = new Set(cases.map((c) => c.id));
    const doc = readFileSync(conformanceDocPath, 'utf8');
    assert.equal(doc, conformanceDoc(), 'docs/mime-conformance.md is stale: run node dist/src/testing/corpus/conformance-doc.js');
    for (const d of DIFFERENCES) {
      assert.ok(ids.has(d.message), `DIFFERENCES names a message that is not in the corpus: ${d.message}`);
      assert.ok(doc.includes(`stalwart/${d.message}`), `docs/mime-conformance.md does not list stalwart/${d.message}`);
    }
  });
}
