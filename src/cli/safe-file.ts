/**
 * Safe file names for attachments written to disk: no path traversal, no control characters, no hidden or
 * reserved names, bounded length, and never an overwrite (`name (1).pdf`, like browsers and mail clients do).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

const EXT: Record<string, string> = {
  'text/plain': '.txt',
  'text/html': '.html',
  'message/rfc822': '.eml',
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'application/pdf': '.pdf',
};
const MAX_BYTES = 200;

/**
 * Turns a sender-chosen file name into one that is safe to create in a directory.
 *
 * @example
 * ```ts
 * safeFileName('../../etc/passwd', 'text/plain', '2') === 'passwd';
 * safeFileName(undefined, 'image/png', '1.2') === 'part-1.2.png';
 * ```
 */
export function safeFileName(name: string | undefined, contentType: string, part: string): string {
  let base = (name ?? '').split(/[/\\]/).pop() ?? '';
  base = base
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '') // controls and bidi overrides
    .replace(/[<>:"|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(base)) base = `_${base}`;
  if (base === '') base = `part-${part || '0'}${EXT[contentType] ?? '.bin'}`;
  if (Buffer.byteLength(base) > MAX_BYTES) {
    const ext = path.extname(base).slice(0, 16);
    let stem = base.slice(0, base.length - ext.length);
    while (Buffer.byteLength(stem + ext) > MAX_BYTES) stem = [...stem].slice(0, -1).join('');
    base = stem + ext;
  }
  return base;
}

/**
 * Writes bytes to `dir/name`, or `dir/name (N).ext` when that exists; never overwrites (O_EXCL).
 * Resolves to the name used.
 *
 * @example
 * ```ts
 * await uniqueWrite('/tmp/out', 'a.pdf', bytes); // 'a.pdf', then 'a (1).pdf'
 * ```
 */
export async function uniqueWrite(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let i = 0; i < 10_000; i++) {
    const candidate = i === 0 ? name : `${stem} (${i})${ext}`;
    try {
      const fh = await fsp.open(path.join(dir, candidate), 'wx', 0o644);
      try {
        await fh.writeFile(bytes);
      } finally {
        await fh.close();
      }
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`Cannot write "${name}": too many files with that name`);
}
