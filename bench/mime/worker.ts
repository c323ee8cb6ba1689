/**
 * One parser, one measurement, in its own process (so peak RSS belongs to that parser alone).
 * Usage: node worker.js corpus PARSER LISTFILE | big PARSER FILE
 * Prints one JSON line: { bytes, messages, seconds, cpuSeconds, peakRssGrowthMiB }.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { parseMessageBuffer, parts } from '../../src/mime/index.js';
import PostalMime from 'postal-mime';
import { simpleParser, MailParser } from 'mailparser';

type Parse = (buf: Buffer) => Promise<number>;

/** Reads the fields every parser must deliver, so lazy evaluation gains nothing unfair. */
let sink = 0;
function touch(...values: unknown[]): void {
  for (const v of values) sink += typeof v === 'string' ? v.length : v ? 1 : 0;
}
process.on('exit', () => {
  if (sink < 0) console.log(sink);
});

const parsers: Record<string, Parse> = {
  postroom: async (buf) => {
    const m = parseMessageBuffer(buf);
    touch(m.from?.address, m.to.length, m.subject, m.date);
    return (m.text?.length ?? 0) + (m.html?.length ?? 0) + m.attachments.reduce((n, a) => n + a.size, 0);
  },
  'postroom-stream': async (buf) => {
    let n = 0;
    for await (const p of parts(Readable.from([buf]))) for await (const c of p.body) n += (c as Buffer).length;
    return n;
  },
  'postal-mime': async (buf) => {
    const m = await PostalMime.parse(buf);
    touch(m.from?.address, m.to?.length, m.subject, m.date);
    return (m.text?.length ?? 0) + (m.html?.length ?? 0) + m.attachments.reduce((n, a) => n + (a.content as ArrayBuffer).byteLength, 0);
  },
  mailparser: async (buf) => {
    const m = await simpleParser(buf);
    touch(m.from?.value[0]?.address, Array.isArray(m.to) ? m.to.length : m.to?.value.length, m.subject, m.date);
    return (m.text?.length ?? 0) + (typeof m.html === 'string' ? m.html.length : 0) + m.attachments.reduce((n, a) => n + a.size, 0);
  },
};

async function bigStream(name: string, file: string): Promise<number> {
  if (name === 'postroom-stream') {
    let n = 0;
    for await (const p of parts(createReadStream(file))) for await (const c of p.body) n += (c as Buffer).length;
    return n;
  }
  if (name === 'mailparser-stream') {
    return new Promise((resolve, reject) => {
      const mp = new MailParser();
      let n = 0;
      mp.on('data', (d: { type: string; content?: NodeJS.ReadableStream; release?: () => void; text?: string }) => {
        if (d.type === 'attachment' && d.content) {
          d.content.on('data', (c: Buffer) => (n += c.length));
          d.content.on('end', () => d.release?.());
        } else if (d.type === 'text') n += d.text?.length ?? 0;
      });
      mp.on('end', () => resolve(n));
      mp.on('error', reject);
      createReadStream(file).pipe(mp);
    });
  }
  return parsers[name]!(readFileSync(file));
}

const kb = () => process.resourceUsage().maxRSS; // KiB, peak so far
const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const [mode, name, arg] = process.argv.slice(2) as [string, string, string];
  if (mode === 'corpus') {
    const files = readFileSync(arg, 'utf8').split('\n').filter(Boolean);
    const bufs = files.map((f) => readFileSync(f));
    const parse = parsers[name]!;
    // Peak RSS growth over the loaded corpus, sampled after every message of both passes.
    const base = process.memoryUsage.rss();
    let peak = base;
    for (const b of bufs) {
      await parse(b); // a whole warm-up pass: every parser is measured in its steady state
      peak = Math.max(peak, process.memoryUsage.rss());
    }
    const cpu0 = process.cpuUsage();
    let bytes = 0;
    let busy = 0n;
    for (const b of bufs) {
      const s = process.hrtime.bigint();
      await parse(b);
      busy += process.hrtime.bigint() - s;
      bytes += b.length;
      peak = Math.max(peak, process.memoryUsage.rss());
    }
    const seconds = Number(busy) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ bytes, messages: bufs.length, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssGrowthMiB: (peak - base) / MiB }));
    return;
  }
  const base = process.memoryUsage().rss / 1024;
  const t0 = process.hrtime.bigint();
  const { size } = statSync(arg);
  await bigStream(name, arg);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ bytes: size, messages: 1, seconds, cpuSeconds: 0, peakRssGrowthMiB: (kb() - base) / 1024 }));
}

await main();
