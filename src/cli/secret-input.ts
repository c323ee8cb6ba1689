/**
 * Reading a password or secret for the admin commands: the first line of standard input (`--password-stdin`,
 * for scripts), or asked twice on a terminal without echo. Never from a command-line argument (it would show in
 * `ps` and shell history).
 *
 * Limits: standard input is read up to 64 KiB; only its first line counts (a trailing CR LF or LF is dropped).
 */
import type { ReadStream } from 'node:tty';
import type { CliIo } from './main.js';

/** Why no secret could be read; the message is one line. */
export class SecretInputError extends Error {
  override name = 'SecretInputError';
}

const MAX_STDIN = 64 * 1024;

async function firstLineOfStdin(io: CliIo): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    if (text.includes('\n') || text.length > MAX_STDIN) break;
  }
  const nl = text.indexOf('\n');
  return (nl === -1 ? text : text.slice(0, nl)).replace(/\r$/, '');
}

function promptHidden(io: CliIo, input: ReadStream, prompt: string): Promise<string> {
  io.err(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      io.err('\n');
    };
    const onData = (data: Buffer | string): void => {
      for (const ch of typeof data === 'string' ? data : data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          finish();
          return resolve(value);
        }
        if (ch === '\u0003' || ch === '\u0004') {
          finish();
          return reject(new SecretInputError('cancelled'));
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

/**
 * Reads a secret: from standard input when `fromStdin`, else asked twice on the terminal.
 * Throws SecretInputError when there is no terminal to ask on or the two entries differ.
 *
 * @example
 * ```ts
 * const password = await readSecret(io, { fromStdin: opts.passwordStdin === true, what: 'password', flag: '--password-stdin' });
 * ```
 */
export async function readSecret(io: CliIo, o: { fromStdin: boolean; what: string; flag: string }): Promise<string> {
  if (o.fromStdin) return firstLineOfStdin(io);
  const input = io.stdin as Partial<ReadStream>;
  if (input.isTTY !== true || typeof input.setRawMode !== 'function') {
    throw new SecretInputError(`no terminal to ask for the ${o.what}: use ${o.flag}`);
  }
  const first = await promptHidden(io, input as ReadStream, `New ${o.what}: `);
  if (first === '') return first;
  const second = await promptHidden(io, input as ReadStream, `Repeat the ${o.what}: `);
  if (first !== second) throw new SecretInputError(`the two ${o.what}s differ`);
  return first;
}
