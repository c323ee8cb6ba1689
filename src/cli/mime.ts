/**
 * `postroom mime inspect|extract`: look inside a message file, and save its attachments safely.
 *
 * Exit codes: 0 when something was parsed (problems are reported, not fatal), 1 for an empty input,
 * 2 when the input cannot be read (one-line error).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { CliIo } from './main.js';
import { parseMessage, decodeWords, type ParsedMessage, type PartSummary } from '../mime/index.js';
import { safeFileName, uniqueWrite } from './safe-file.js';

async function readInput(file: string, io: CliIo): Promise<Buffer> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of io.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
    return Buffer.concat(chunks);
  }
  return fsp.readFile(file);
}

function describeError(file: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : 'cannot be read';
  return `postroom: ${file}: ${why}\n`;
}

/** A readable one-line description of one part for the tree view. */
function partLine(p: PartSummary): string {
  const bits = [p.path === '' ? '(message)' : p.path, p.contentType];
  if (p.charset) bits.push(`charset=${p.charset}`);
  if (p.kind === 'leaf') bits.push(p.transferEncoding, `${p.size} bytes`);
  if (p.disposition) bits.push(p.disposition);
  if (p.filename !== undefined) bits.push(JSON.stringify(p.filename));
  return '  '.repeat(p.depth) + bits.join('  ');
}

function toJson(m: ParsedMessage): unknown {
  return {
    headers: m.header.fields.map((f) => ({ name: f.name, value: decodeWords(f.value).text })),
    from: m.from ?? null,
    to: m.to,
    cc: m.cc,
    subject: m.subject ?? null,
    date: m.date ? m.date.toISOString() : null,
    messageId: m.messageId ?? null,
    parts: m.parts.map((p) => ({
      index: p.index,
      path: p.path,
      depth: p.depth,
      kind: p.kind,
      contentType: p.contentType,
      charset: p.charset ?? null,
      transferEncoding: p.transferEncoding,
      disposition: p.disposition ?? null,
      filename: p.filename ?? null,
      contentId: p.contentId ?? null,
      size: p.size,
      offsets: p.offsets,
      problems: p.problems,
    })),
    attachments: m.attachments.map((a) => ({ part: a.part, filename: a.filename ?? null, contentType: a.contentType, size: a.size })),
    problems: m.problems,
  };
}

function inspectText(m: ParsedMessage): string {
  const out: string[] = [];
  for (const f of m.header.fields) out.push(`${f.name || '(no name)'}: ${decodeWords(f.value).text}`);
  out.push('', 'Parts:');
  for (const p of m.parts) {
    out.push(partLine(p));
    for (const problem of p.problems) out.push(`${'  '.repeat(p.depth + 1)}! ${problem}`);
  }
  if (m.problems.length > 0) out.push('', `${m.problems.length} problem(s) found`);
  return out.join('\n') + '\n';
}

/**
 * Adds the `mime` command group.
 *
 * @example
 * ```ts
 * registerMime(program, io, (code) => (exitCode = code));
 * ```
 */
export function registerMime(program: Command, io: CliIo, setCode: (code: number) => void): void {
  const mime = program.command('mime').description('inspect messages and extract their attachments');
  mime
    .command('inspect')
    .description('print the decoded headers and the part tree of a message (FILE or - for standard input)')
    .argument('<file>', 'message file, or - for standard input')
    .option('--json', 'print JSON for scripts')
    .action(async (file: string, opts: { json?: boolean }) => {
      let raw: Buffer;
      try {
        raw = await readInput(file, io);
      } catch (err) {
        io.err(describeError(file, err));
        return setCode(2);
      }
      if (raw.length === 0) {
        io.err(`postroom: ${file}: empty input, no message to inspect\n`);
        return setCode(1);
      }
      const m = await parseMessage(raw);
      io.out(opts.json ? JSON.stringify(toJson(m), null, 2) + '\n' : inspectText(m));
      setCode(0);
    });
  mime
    .command('extract')
    .description('write every attachment of a message into a directory (names sanitized, never overwriting)')
    .argument('<file>', 'message file, or - for standard input')
    .option('--dir <dir>', 'directory to write into (created when missing)', '.')
    .action(async (file: string, opts: { dir: string }) => {
      let raw: Buffer;
      try {
        raw = await readInput(file, io);
      } catch (err) {
        io.err(describeError(file, err));
        return setCode(2);
      }
      if (raw.length === 0) {
        io.err(`postroom: ${file}: empty input, no message to extract from\n`);
        return setCode(1);
      }
      const m = await parseMessage(raw);
      try {
        await fsp.mkdir(opts.dir, { recursive: true });
      } catch (err) {
        io.err(`postroom: ${opts.dir}: cannot create directory (${(err as NodeJS.ErrnoException).code ?? 'error'})\n`);
        return setCode(2);
      }
      let n = 0;
      for (const a of m.attachments) {
        const name = safeFileName(a.filename, a.contentType, a.part);
        const written = await uniqueWrite(opts.dir, name, a.content);
        io.out(`wrote ${path.join(opts.dir, written)} (${a.size} bytes, ${a.contentType})\n`);
        n++;
      }
      io.out(n === 0 ? 'no attachments\n' : `${n} attachment(s) written\n`);
      for (const p of m.problems) io.err(`warning: ${p}\n`);
      setCode(0);
    });
}
