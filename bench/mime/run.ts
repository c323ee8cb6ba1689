/**
 * `npm run bench:mime`: postroom's parser against postal-mime and mailparser, in the same run, on the same
 * generated corpus (bench/mime/corpus.ts), each parser in its own process. Prints MB/s, messages/s and peak RSS
 * growth per parser, and postroom's ratios against the faster competitor. Not a test: numbers depend on the machine.
 * Options (environment): BENCH_MESSAGES (default 2000), BENCH_BIG_MB (default 68).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCorpus, makeBigMessage } from './corpus.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const work = path.join(root, '.bench');
const count = Number(process.env['BENCH_MESSAGES'] ?? 2000);
const bigMb = Number(process.env['BENCH_BIG_MB'] ?? 68);

interface Result {
  bytes: number;
  messages: number;
  seconds: number;
  cpuSeconds: number;
  peakRssGrowthMiB: number;
}

function run(mode: string, parser: string, arg: string): Result {
  const out = execFileSync(process.execPath, [path.join(here, 'worker.js'), mode, parser, arg], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as Result;
}

function table(title: string, rows: [string, Result][]): string {
  const mbs = (r: Result) => r.bytes / 1e6 / r.seconds;
  const others = rows.filter(([n]) => !n.startsWith('postroom'));
  const best = others.reduce((a, b) => (mbs(b[1]) > mbs(a[1]) ? b : a));
  const lines = [`### ${title}`, '', '| parser | MB/s | messages/s | peak RSS growth (MiB) | vs ' + best[0] + ' |', '|---|---:|---:|---:|---:|'];
  for (const [n, r] of rows) {
    lines.push(`| ${n} | ${mbs(r).toFixed(1)} | ${(r.messages / r.seconds).toFixed(0)} | ${r.peakRssGrowthMiB.toFixed(0)} | ${(mbs(r) / mbs(best[1])).toFixed(2)}× |`);
  }
  return lines.join('\n');
}

const files = ensureCorpus(path.join(work, 'mime-corpus'), count);
const sizes = files.map((f) => statSync(f).size);
const total = sizes.reduce((n, size) => n + size, 0);
const small = files.filter((_, i) => sizes[i]! < 64 * 1024);
writeFileSync(path.join(work, 'all.txt'), files.join('\n'));
writeFileSync(path.join(work, 'small.txt'), small.join('\n'));
const bigFile = path.join(work, `big-${bigMb}.eml`);
if (!existsSync(bigFile)) writeFileSync(bigFile, makeBigMessage(bigMb));

console.log(`corpus: ${files.length} messages, ${(total / 1e6).toFixed(0)} MB; small (<64 KiB): ${small.length}; big: ${(statSync(bigFile).size / 1e6).toFixed(0)} MB`);
const names = ['postroom', 'postal-mime', 'mailparser'];
const sections: string[] = [];
for (const [title, list] of [
  ['Whole corpus', 'all.txt'],
  ['Small plain and alternative messages', 'small.txt'],
] as const) {
  const rows = names.map((n) => [n, run('corpus', n, path.join(work, list))] as [string, Result]);
  sections.push(table(title, rows));
}
/** The median of three runs (GC timing makes one run's peak RSS noisy). */
function median3(mode: string, parser: string, arg: string): Result {
  const runs = [run(mode, parser, arg), run(mode, parser, arg), run(mode, parser, arg)];
  const mid = <K extends keyof Result>(k: K) => runs.map((r) => r[k]).sort((a, b) => a - b)[1]!;
  return { bytes: runs[0]!.bytes, messages: 1, seconds: mid('seconds'), cpuSeconds: mid('cpuSeconds'), peakRssGrowthMiB: mid('peakRssGrowthMiB') };
}
const bigRows = ['postroom-stream', 'postroom', 'mailparser-stream', 'postal-mime'].map((n) => [n, median3('big', n, bigFile)] as [string, Result]);
sections.push(table(`One ${bigMb} MB message (streaming where the parser can)`, bigRows));
console.log(`\nNode ${process.version}, ${new Date().toISOString().slice(0, 10)}\n\n${sections.join('\n\n')}`);
