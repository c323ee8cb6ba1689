/**
 * Differential tests: Postroom, postal-mime and mailparser over the golden corpus, the shared MIME corpus (skipped
 * when absent, required under POSTROOM_REQUIRE_PEERS=1) and 200 messages generated with fast-check. They compare
 * from/to (addresses and names), subject, text (line ends and trailing white space normalised) and attachments
 * (names and bytes). Every disagreement must be a justified difference from src/testing/differential-allow.ts
 * (documented in docs/mime-differential.md) or a Postroom bug listed in KNOWN_BUGS (filed, run as todo).
 *
 * Where the truth is known, Postroom must also match it: the golden corpus carries expected values, and each
 * generated message comes with the model it was written from. A disagreement on a field where Postroom is wrong is
 * never "justified", whatever the rules say.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { allowCases, allowRules } from '../src/testing/differential-allow.js';
import { explain } from '../src/testing/differential-explain.js';
import { generateMessages } from '../src/testing/differential-gen.js';
import { describe, differ, fields, normText, type DiffContext, type Field, type View } from '../src/testing/differential.js';
import { listGolden, readGoldenMessage, summarize, type Golden } from '../src/testing/golden.js';
import { corpusDir, needPeer } from '../src/testing/peers.js';

/** Messages on which Postroom is wrong today (see /tmp/parser-bugs.md); their tests run as todo. */
export const KNOWN_BUGS: ReadonlyMap<string, string> = new Map<string, string>([
]);

const used = new Map<string, number>();
let ran = 0;

/** The fields on which Postroom's result differs from a golden expected file (the right answer). */
function wrongAgainstGolden(ctx: DiffContext, g: Golden): Field[] {
  const ours = summarize(ctx.parsed, 'crlf');
  const files = (list: Golden['attachments']): string[] => list.map((a) => `${a.filename ?? ''}\u0000${a.sha256}`).sort();
  const wrong: Field[] = [];
  if (JSON.stringify(ours.from) !== JSON.stringify(g.from)) wrong.push('from');
  if (JSON.stringify(ours.to) !== JSON.stringify(g.to)) wrong.push('to');
  if (ours.subject !== g.subject) wrong.push('subject');
  if (normText(ours.text) !== normText(g.text)) wrong.push('text');
  if (JSON.stringify(files(ours.attachments)) !== JSON.stringify(files(g.attachments))) wrong.push('attachments');
  return wrong;
}

/** The fields on which Postroom's view differs from a generated message's model. */
const wrongAgainstModel = (ctx: DiffContext, truth: View): Field[] =>
  fields.filter((f) => JSON.stringify(ctx.views.postroom[f]) !== JSON.stringify(truth[f]));

/** Runs the three parsers and fails with every disagreement that is neither justified nor explained by a wrong truth. */
async function check(t: TestContext, id: string, bytes: Buffer, wrong: ((ctx: DiffContext) => Field[]) | null): Promise<void> {
  ran++;
  const { ctx, disagreements } = await differ(id, bytes);
  const problems: string[] = (wrong ? wrong(ctx) : []).map((f) => `postroom ${f} differs from the known right answer`);
  for (const peer of ['postal-mime', 'mailparser'] as const) {
    if (ctx.views[peer].error) t.diagnostic(`${peer} failed: ${ctx.views[peer].error}`);
  }
  for (const d of disagreements) {
    const e = await explain(ctx, d);
    if (e.explained) {
      for (const r of e.rules) used.set(r, (used.get(r) ?? 0) + 1);
      t.diagnostic(`${d.peer} ${d.field}: allowed by ${e.rules.join(', ')}`);
    } else problems.push(`unexplained: ${describe(d)}`);
  }
  assert.deepEqual(problems, [], `${id}:\n${problems.join('\n')}`);
}

const opts = (id: string): { todo?: string } => {
  const bug = KNOWN_BUGS.get(id);
  return bug ? { todo: `parser bug: ${bug}` } : {};
};

for (const c of listGolden()) {
  const id = `golden:${c.id}`;
  test(`parsers agree on ${id} or differ as allowed`, opts(id), async (t) => {
    const g = JSON.parse(readFileSync(c.jsonPath, 'utf8')) as Golden;
    await check(t, id, readGoldenMessage(c, 'crlf'), (ctx) => wrongAgainstGolden(ctx, g));
  });
}

const corpus = corpusDir();
const corpusFiles: string[] = [];
if (corpus) {
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(eml|msg)$/.test(f)) corpusFiles.push(p);
    }
  };
  walk(corpus);
}
test('the shared MIME corpus is present', (t) => {
  if (!needPeer(t, 'shared MIME corpus (POSTROOM_CORPUS)', corpus !== null)) return;
  assert.ok(corpusFiles.length > 0, `no .eml or .msg files under ${corpus}`);
});
for (const file of corpusFiles) {
  const id = `corpus:${path.relative(corpus!, file).split(path.sep).join('/')}`;
  test(`parsers agree on ${id} or differ as allowed`, opts(id), async (t) => {
    await check(t, id, readFileSync(file), null);
  });
}

const generated = generateMessages(200, Number(process.env['DIFF_SEED'] ?? 20250320));
generated.forEach((g, i) => {
  const id = `generated:${i}`;
  test(`parsers agree on ${id} (fast-check) or differ as allowed`, opts(id), async (t) => {
    await check(t, id, g.bytes, (ctx) => wrongAgainstModel(ctx, g.truth));
  });
});

test('the differential tests ran over the golden corpus and 200 generated messages', () => {
  assert.ok(listGolden().length > 0);
  assert.equal(generated.length, 200);
  assert.equal(ran, listGolden().length + corpusFiles.length + generated.length, 'some differential tests did not run');
});

test('every allow rule is needed by some message', (t) => {
  // A rule that no message needs is dead weight or wrong. Some rules are needed only by the shared corpus, so the
  // check needs every message to have run (not under --test-name-pattern, not without the corpus).
  if (corpus === null || ran !== listGolden().length + corpusFiles.length + generated.length) {
    t.skip('needs the shared corpus and every message');
    return;
  }
  const ids = [...allowRules.map((r) => r.id), ...allowCases.map((c) => `case:${c.id}`)];
  const unused = ids.filter((id) => !used.has(id));
  assert.deepEqual(unused, [], `allow rules no message needs: ${unused.join(', ')}`);
});
