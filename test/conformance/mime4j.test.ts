/**
 * Conformance with Apache mime4j's test messages (shared corpus, see src/testing/corpus/mime4j.ts): one test per
 * message; every disagreement must be a listed, justified difference (mime4j-differences.ts,
 * docs/mime-conformance.md).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { corpusDir, needPeer } from '../../src/testing/peers.js';
import { conformanceDoc, conformanceDocPath } from '../../src/testing/corpus/conformance-doc.js';
import { compareMime4j, DIFFERENCES, listMime4jCases } from '../../src/testing/corpus/mime4j.js';
import { describe, explain } from '../../src/testing/corpus/compare.js';

const dir = corpusDir();
const cases = dir ? listMime4jCases(dir) : [];

if (cases.length === 0) {
  test('parts() agrees with Apache mime4j on its test messages', (t) => {
    needPeer(t, 'MIME corpus', false);
  });
} else {
  let ran = 0;
  for (const c of cases) {
    test(`parts() agrees with mime4j on mime4j/testmsgs/${c.id}.msg`, async () => {
      const found = await compareMime4j(c);
      // mime4j's messages are stored with CRLF line ends and read as they are.
      const { unexplained, unused } = explain(c.id, 'crlf', found, DIFFERENCES);
      const failures: string[] = [];
      if (unexplained.length > 0) failures.push(`unexplained differences\n${describe(unexplained)}`);
      if (unused.length > 0) failures.push(`DIFFERENCES entries that no longer apply: ${unused.map((d) => d.field).join(', ')}`);
      assert.equal(failures.length, 0, failures.join('\n'));
      ran++;
    });
  }

  test('the mime4j conformance run read more than 0 messages and its DIFFERENCES are all documented', () => {
    assert.ok(ran > 0, 'no mime4j message ran');
    const ids = new Set(cases.map((c) => c.id));
    const doc = readFileSync(conformanceDocPath, 'utf8');
    assert.equal(doc, conformanceDoc(), 'docs/mime-conformance.md is stale: run node dist/src/testing/corpus/conformance-doc.js');
    for (const d of DIFFERENCES) {
      assert.ok(ids.has(d.message), `DIFFERENCES names a message that is not in the corpus: ${d.message}`);
      assert.ok(doc.includes(`mime4j/${d.message}`), `docs/mime-conformance.md does not list mime4j/${d.message}`);
    }
  });
}
