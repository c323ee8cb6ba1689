/**
 * The interop test's recipes for the terminal mail programs that fetch into an mbox (mutt, s-nail, GNU Mailutils'
 * movemail); what each changes on the way is listed in pop3-interop-clients.ts, which holds the other recipes and
 * the list of all of them.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { env, readMbox, type Pop3InteropClient } from './pop3-interop-kit.js';
import { crlfToLf, mboxoQuotePosix, mboxrdQuote } from './pop3-interop.js';
import { runProgram, runUnderPty } from './pop3-interop-run.js';

/** mutt under a pseudo-terminal: `<fetch-mail>` (STLS, USER/PASS) into its mbox spool file, then quit. */
export const mutt: Pop3InteropClient = {
  name: 'mutt',
  peers: ['mutt', 'python3'],
  deletes: false,
  expected: crlfToLf,
  async fetch(a, dir) {
    const inbox = path.join(dir, 'inbox');
    writeFileSync(inbox, '');
    const rc = path.join(dir, 'muttrc');
    const q = (s: string): string => `"${s.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
    writeFileSync(
      rc,
      [
        `set pop_host=${q(`pop://${a.host}:${a.pop3Port}`)}`,
        `set pop_user=${q(a.user)}`,
        `set pop_pass=${q(a.password)}`,
        'set pop_delete=no',
        'set pop_last=no',
        'set ssl_starttls=yes',
        'set ssl_force_tls=yes',
        `set certificate_file=${q(a.caFile)}`, // trusted certificates: the server's own (self-signed)
        'set ssl_verify_host=no', // it connects to an IP address; the certificate itself is still verified
        `set spoolfile=${q(inbox)}`,
        'set mbox_type=mbox',
        `set folder=${q(dir)}`,
        `set tmpdir=${q(dir)}`,
        'set quit=yes',
        'set move=no',
        'set mark_old=no', // otherwise quitting rewrites the spool with Status: fields
        'set header_cache=""',
        'set message_cachedir=""',
        'set mail_check_stats=no',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const r = await runUnderPty('mutt', ['-n', '-F', rc, '-f', inbox, '-e', 'push "<fetch-mail><quit>"'], { env: env(dir) });
    if (!/Mailbox is unchanged/.test(r.stdout)) {
      throw new Error(`mutt: expected it to leave its spool unchanged on quit, the screen ended with: ${JSON.stringify(r.stdout.slice(-300))}`);
    }
    return readMbox(inbox);
  },
};

/** s-nail: `-f pop3://…` with STLS, `copy *` into an mbox, then `xit` (leave without changes, so no QUIT/UPDATE). */
export const sNail: Pop3InteropClient = {
  name: 's-nail',
  peers: ['s-nail'],
  deletes: false,
  expected: (wire) => mboxoQuotePosix(crlfToLf(wire)),
  async fetch(a, dir) {
    const mbox = path.join(dir, 'copy.mbox');
    // s-nail 14.9 has POP3 built in (`s-nail -Xversion` lists +pop3). v15-compat: the user is URL-encoded.
    // tls-verify=ignore: s-nail 14.9 matches the certificate against host names only ("TLS certificate does not
    // match: 127.0.0.1:PORT" although the certificate names 127.0.0.1), and the name localhost may reach ::1 first.
    const r = await runProgram(
      's-nail',
      ['-:/', '-#', '-S', 'v15-compat', '-S', `password=${a.password}`, '-S', 'pop3-use-starttls', '-S', 'pop3-no-apop', '-S', 'tls-verify=ignore',
        '-f', `pop3://${encodeURIComponent(a.user)}@${a.host}:${a.pop3Port}`],
      { env: env(dir, { MAILRC: '/dev/null' }), input: `copy * ${mbox}\nxit\n` },
    );
    // In batch mode (-#) s-nail exits 0 even when it could not open the mailbox; it says why on standard error.
    if (!existsSync(mbox)) throw new Error(`s-nail stored nothing: ${r.stderr}`);
    return readMbox(mbox);
  },
};

/**
 * GNU Mailutils movemail into an mbox, deleting what it moved (STLS: Mailutils uses it when offered). One message
 * per run (--max-messages=1) until a run moves nothing: Mailutils 3.15 loses data when it fetches a message larger
 * than 8 KiB after another message in the same session (reproduced against dovecot-pop3d 2.3.19: in
 * libproto/pop/mbox.c the message cache stream drops as many bytes as the previous message had).
 */
export const movemail: Pop3InteropClient = {
  name: 'movemail',
  peers: ['movemail'],
  deletes: true,
  expected: (wire) => mboxrdQuote(crlfToLf(wire)),
  async fetch(a, dir) {
    const mbox = path.join(dir, 'RMAIL.mbox');
    const url = `pop://${encodeURIComponent(a.user)}@${a.host}:${a.pop3Port}`;
    for (let run = 0, size = -1; ; run++) {
      if (run > 20) throw new Error('movemail: still moving messages after 20 runs');
      await runProgram('movemail', ['--no-config', '--max-messages=1', url, mbox, a.password], { env: env(dir) });
      const now = existsSync(mbox) ? statSync(mbox).size : 0;
      if (now === size) break;
      size = now;
    }
    // Mailutils keeps its UIDs in header fields it appends to each message (X-IMAPbase: only in the first).
    return readMbox(mbox).map((m) => {
      const text = m.toString('latin1');
      const end = text.indexOf('\n\n');
      const header = text.slice(0, end + 1).replace(/^X-IMAPbase: .*\n(?=X-UID: )/m, '').replace(/^X-UID: \d+\n$/m, '');
      return Buffer.from(header + text.slice(end + 1), 'latin1');
    });
  },
};
