/**
 * Shared machinery of the conformance adapters (stalwart.ts, mime4j.ts): line-end variants (converted with
 * golden.ts's withLineEnds), the streaming parse that collects decoded bodies, mismatches, and the table of
 * deliberate differences that explains some of them.
 *
 * Guarantees: a mismatch is explained only by a table entry with the same message, variant (or none), field and
 * the same shown values on both sides, so a changed value is never hidden by an old entry; unused entries are
 * reported so the table cannot go stale.
 */
import { parts } from '../../mime/index.js';
import type { PartNode } from '../../mime/index.js';

/** Line ends a corpus message is read with. */
export type LineEnds = 'lf' | 'crlf';

/** One field on which postroom and the reference parser disagree; both values are shown as short strings. */
export interface Mismatch {
  readonly field: string;
  readonly theirs: string;
  readonly ours: string;
}

/** A deliberate, justified difference (documented in docs/mime-conformance.md). */
export interface Difference {
  /** The message, e.g. `malformed/003` or `missing-inner-boundary`. */
  readonly message: string;
  /** Only for one line-end variant; both when absent. */
  readonly variant?: LineEnds;
  readonly field: string;
  /** The shown values (see {@link show}) that the mismatch must have. */
  readonly theirs: string;
  readonly ours: string;
  /** Why postroom differs: the RFC section or the reason the reference's reading is not followed. */
  readonly why: string;
}

/**
 * Shows a value in a short, deterministic form: short strings and JSON values as JSON, long ones as their head
 * and length, bytes as latin1 text.
 *
 * @example
 * ```ts
 * show('abc') === '"abc"'; show(Buffer.from('hi')) === '"hi" (2 bytes)';
 * ```
 */
export function show(v: unknown): string {
  if (Buffer.isBuffer(v)) {
    const s = v.toString('latin1');
    return `${JSON.stringify(s.length > 48 ? s.slice(0, 48) : s)}${s.length > 48 ? '…' : ''} (${v.length} bytes)`;
  }
  if (typeof v === 'string' && v.length > 60) return `${JSON.stringify(v.slice(0, 48))}… (${v.length} chars)`;
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 200 ? `${s.slice(0, 180)}… (${s.length} chars of JSON)` : s;
}

/** Collects mismatches of one message. */
export class Mismatches {
  readonly list: Mismatch[] = [];
  /** Records a mismatch when the shown values differ. */
  check(field: string, theirs: unknown, ours: unknown): boolean {
    const t = show(theirs);
    const o = show(ours);
    if (Buffer.isBuffer(theirs) && Buffer.isBuffer(ours) ? theirs.equals(ours) : t === o) return true;
    this.list.push({ field, theirs: t, ours: o });
    return false;
  }
}

/**
 * Splits mismatches into those a table entry explains and those it does not; also returns the entries of this
 * message (and variant) that explained nothing.
 */
export function explain(
  message: string,
  variant: LineEnds,
  found: readonly Mismatch[],
  table: readonly Difference[],
): { unexplained: Mismatch[]; explained: Mismatch[]; unused: Difference[] } {
  const mine = table.filter((d) => d.message === message && (d.variant === undefined || d.variant === variant));
  const used = new Set<Difference>();
  const unexplained: Mismatch[] = [];
  const explained: Mismatch[] = [];
  for (const m of found) {
    const d = mine.find((e) => e.field === m.field && e.theirs === m.theirs && e.ours === m.ours);
    if (d) {
      used.add(d);
      explained.push(m);
    } else unexplained.push(m);
  }
  return { unexplained, explained, unused: mine.filter((d) => !used.has(d)) };
}

/** Formats mismatches for an assertion message and for writing new table entries. */
export function describe(list: readonly Mismatch[]): string {
  return list.map((m) => `  ${m.field}\n    theirs: ${m.theirs}\n    ours:   ${m.ours}`).join('\n');
}

/** The streaming parser's view of a message: every node in order and each leaf's decoded body. */
export interface Streamed {
  readonly nodes: PartNode[];
  readonly bodies: Map<number, Buffer>;
}

/**
 * Parses with the streaming API, feeding the message in chunks of `chunk` bytes (exercises delimiter and
 * decoder state across chunk borders), and collects decoded bodies.
 *
 * @example
 * ```ts
 * const { nodes, bodies } = await streamParts(raw, 13);
 * ```
 */
export async function streamParts(raw: Buffer, chunk: number): Promise<Streamed> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < raw.length; i += chunk) chunks.push(raw.subarray(i, i + chunk));
  const nodes: PartNode[] = [];
  const bodies = new Map<number, Buffer>();
  for await (const p of parts(chunks)) {
    nodes.push(p.node);
    const got: Buffer[] = [];
    for await (const c of p.body) got.push(c as Buffer);
    if (p.node.kind === 'leaf') bodies.set(p.node.index, Buffer.concat(got));
  }
  return { nodes, bodies };
}

const nodeLine = (n: PartNode): string => `${n.path}:${n.kind}:${n.type.mime}:${n.offsets.header}-${n.offsets.body}-${n.offsets.end}`;

/**
 * Parses again in chunks of each of `sizes` bytes and records a mismatch (field `api.chunks[N]`) when the entities,
 * their offsets or the decoded bodies differ from `base`: the streaming parser must not depend on chunk borders.
 *
 * @example
 * ```ts
 * await checkChunkings(mm, raw, await streamParts(raw, 13), [1, 4096]);
 * ```
 */
export async function checkChunkings(mm: Mismatches, raw: Buffer, base: Streamed, sizes: readonly number[]): Promise<void> {
  const want = base.nodes.map((n) => `${nodeLine(n)}:${base.bodies.get(n.index)?.toString('base64') ?? ''}`);
  for (const size of sizes) {
    const got = await streamParts(raw, size);
    mm.check(`api.chunks[${size}]`, want, got.nodes.map((n) => `${nodeLine(n)}:${got.bodies.get(n.index)?.toString('base64') ?? ''}`));
  }
}
