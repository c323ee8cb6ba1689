/**
 * The real POP3 clients of the interop test, one recipe each: how to make it fetch every message of one account
 * into a private directory (its own config, HOME and state there; nothing in the user's home or /etc), how to read
 * back what it stored, and what it is documented to change on the way (`expected`).
 *
 * Each recipe follows the client's manual and was first checked against Debian 12's dovecot-pop3d 2.3.19. What each
 * client changes on the way, and so what `expected` applies to the server's bytes (nothing else is normalized):
 * - curl, Python poplib, fetchmail with `no stripcr`: nothing (the message exactly as sent, CRLF).
 * - fetchmail with an MDA: CR stripped (fetchmail(1), "stripcr": on by default when an MDA is declared).
 * - getmail6 (Maildir): LF line ends (getmailcore/message.py, Message.flatten: "Return a string with native EOL
 *   convention"), and its own `Return-Path:` field in place of the message's, which is byte-identical when that is
 *   the first field, as local delivery writes it. Its Python email generator also re-folds header fields longer
 *   than 78 columns; the message set and the trace fields have none.
 * - mpop: LF line ends (observed; mbox and Maildir files are LF-only); mbox delivery adds MBOXRD quoting (mpop(1),
 *   "delivery mbox": "mpop uses the MBOXRD mbox format variant").
 * - mutt (fetch-mail into an mbox spool): LF line ends; a From_ line before and an empty line after each message are
 *   split off. It does not quote body lines that start with "From " (observed), and reads back only real From_ lines.
 * - s-nail (`copy` into an mbox): LF line ends, From_ line and empty line, and MBOXO quoting as in mboxoQuotePosix.
 * - movemail (GNU Mailutils, mbox): LF line ends, From_ line and empty line, mboxrd quoting (Mailutils' mbox format
 *   is mboxrd), and the `X-IMAPbase:` (first message) and `X-UID:` fields in which Mailutils keeps UIDs, appended to
 *   the header; those two are removed from what it stored.
 *
 * Limits: programs run as the current user, except that getmail6, which refuses to deliver as root, delivers as
 * `nobody` when the test runs as root.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { commandPath } from './peers.js';
import { crlfToLf, mboxrdQuote } from './pop3-interop.js';
import { runProgram } from './pop3-interop-run.js';
import { asIs, env, makeMaildir, readMaildir, readMbox, type Pop3Account, type Pop3InteropClient } from './pop3-interop-kit.js';
import { movemail, mutt, sNail } from './pop3-interop-mbox-clients.js';

export type { Pop3Account, Pop3InteropClient };

/** Message number → size, from a LIST reply as curl prints it ("1 144\r\n2 10263458\r\n"). */
function listSizes(list: string): Map<number, number> {
  const sizes = new Map<number, number>();
  for (const m of list.matchAll(/^(\d+) (\d+)\r?$/gm)) sizes.set(Number(m[1]), Number(m[2]));
  return sizes;
}

/** curl `pop3://` with STLS required (--ssl-reqd): LIST, then RETR of each message by number. */
export const curlStls: Pop3InteropClient = {
  name: 'curl',
  peers: ['curl'],
  deletes: false,
  expected: asIs, // curl writes the message as sent, CRLF, without the dot-stuffing and the terminating line
  async fetch(a, dir) {
    // --disable (first): no ~/.curlrc.
    const common = ['--disable', '--silent', '--show-error', '--max-time', '60', '--ssl-reqd', '--cacert', a.caFile, '--user', `${a.user}:${a.password}`];
    const base = `pop3://${a.host}:${a.pop3Port}`;
    const sizes = listSizes((await runProgram('curl', [...common, `${base}/`])).stdout);
    const numbers = [...sizes.keys()];
    // One curl for every RETR (it reuses the connection): pop3://host/N retrieves message N.
    await runProgram('curl', [...common, ...numbers.flatMap((n) => [`${base}/${n}`, '--output', path.join(dir, `${n}.eml`)])]);
    const got = numbers.map((n) => readFileSync(path.join(dir, `${n}.eml`)));
    // RFC 1939 §5 / issue 4 §2: LIST sizes are the exact octets RETR sends (CRLF, before dot-stuffing).
    numbers.forEach((n, i) => {
      if (got[i]!.length !== sizes.get(n)) throw new Error(`curl: LIST says message ${n} has ${sizes.get(n)} octets, RETR sent ${got[i]!.length}`);
    });
    return got;
  },
};

/** curl `pop3s://` (implicit TLS, certificate not checked: -k): LIST, then RETR of each message. */
export const curlPop3s: Pop3InteropClient = {
  name: 'curl-pop3s',
  peers: ['curl'],
  deletes: false,
  expected: asIs,
  async fetch(a, dir) {
    const common = ['--disable', '--silent', '--show-error', '--max-time', '60', '--insecure', '--user', `${a.user}:${a.password}`];
    const base = `pop3s://${a.host}:${a.pop3sPort}`;
    const sizes = listSizes((await runProgram('curl', [...common, `${base}/`])).stdout);
    const out: Buffer[] = [];
    for (const n of sizes.keys()) {
      const file = path.join(dir, `${n}.eml`);
      await runProgram('curl', [...common, `${base}/${n}`, '--output', file]);
      out.push(readFileSync(file));
    }
    return out;
  },
};

/**
 * Python poplib: CAPA, STLS (then CAPA again: no STLS any more), USER/PASS, STAT, LIST, UIDL, and per message
 * TOP n 0, TOP n 2 and RETR n, each checked against the others in the script; then a second session over implicit
 * TLS (POP3_SSL) must report the same UIDLs. poplib returns lines without their CRLF and with the dot-stuffing
 * removed; the script joins them with CRLF again, which is the message as sent.
 */
const POPLIB_SCRIPT = `
import os, poplib, re, ssl, sys
host, port, sport, cafile, user, password, out = sys.argv[1:8]
ctx = ssl.create_default_context(cafile=cafile)
def check(cond, what):
    if not cond:
        raise SystemExit('poplib check failed: ' + what)
p = poplib.POP3(host, int(port), timeout=60)
check('STLS' in p.capa(), 'CAPA before TLS offers STLS')
p.stls(ctx)
check('STLS' not in p.capa(), 'CAPA after STLS no longer offers STLS (RFC 2595 section 4)')
p.user(user)
p.pass_(password)
count, total = p.stat()
sizes = {}
for line in p.list()[1]:
    n, size = line.split()
    sizes[int(n)] = int(size)
check(sorted(sizes) == list(range(1, count + 1)), 'LIST numbers 1..STAT count')
check(sum(sizes.values()) == total, 'STAT octets are the sum of LIST sizes')
uidls = {}
for line in p.uidl()[1]:
    n, uid = line.split(b' ', 1)
    check(re.fullmatch(rb'[\\x21-\\x7e]{1,70}', uid) is not None, 'UIDL is 1-70 printable characters: %r' % uid)
    uidls[int(n)] = uid
check(len(set(uidls.values())) == count and sorted(uidls) == list(range(1, count + 1)), 'one unique UIDL per message')
for n in range(1, count + 1):
    lines = p.retr(n)[1]
    data = b'\\r\\n'.join(lines) + b'\\r\\n'
    check(len(data) == sizes[n], 'RETR %d sends the %d octets LIST says (got %d)' % (n, sizes[n], len(data)))
    header_end = data.index(b'\\r\\n\\r\\n') + 4
    top0 = b'\\r\\n'.join(p.top(n, 0)[1]) + b'\\r\\n'
    check(top0 == data[:header_end], 'TOP %d 0 is the header and the empty line' % n)
    body_lines = data[header_end:].split(b'\\r\\n')[:-1]
    top2 = b'\\r\\n'.join(p.top(n, 2)[1]) + b'\\r\\n'
    check(top2 == data[:header_end] + b''.join(l + b'\\r\\n' for l in body_lines[:2]), 'TOP %d 2 adds two body lines' % n)
    with open(os.path.join(out, '%d.eml' % n), 'wb') as f:
        f.write(data)
p.quit()
s = poplib.POP3_SSL(host, int(sport), context=ctx, timeout=60)
s.user(user)
s.pass_(password)
again = {int(l.split(b' ', 1)[0]): l.split(b' ', 1)[1] for l in s.uidl()[1]}
check(again == uidls, 'UIDLs are the same in the next session (over implicit TLS)')
s.quit()
`;

/** Python poplib: STLS + USER/PASS, STAT, LIST, UIDL, TOP, RETR; then POP3_SSL (see POPLIB_SCRIPT). */
export const pythonPoplib: Pop3InteropClient = {
  name: 'poplib',
  peers: ['python3'],
  deletes: false,
  expected: asIs,
  async fetch(a, dir) {
    await runProgram('python3', ['-c', POPLIB_SCRIPT, a.host, String(a.pop3Port), String(a.pop3sPort), a.caFile, a.user, a.password, dir]);
    return readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => readFileSync(path.join(dir, f)));
  },
};

/** A fetchmail run control file (fetchmailrc(5)); it must be private to the user (mode 0600). */
function fetchmailRc(a: Pop3Account, dir: string, opts: { keep: boolean; stripCr: boolean }): string {
  const q = (s: string): string => JSON.stringify(s); // fetchmailrc strings take backslash escapes like JSON's
  const rc = path.join(dir, 'fetchmailrc');
  const mda = path.join(dir, 'mda.sh');
  mkdirSync(path.join(dir, 'out'));
  // One file per message: fetchmail runs the MDA once per message with the message on standard input.
  writeFileSync(mda, `#!/bin/sh\nexec cat > "$(mktemp '${path.join(dir, 'out')}/msg.XXXXXX')"\n`, { mode: 0o700 });
  writeFileSync(
    rc,
    [
      'set no bouncemail',
      'set invisible', // no Received: field of fetchmail's own (fetchmail(1), --invisible)
      `poll ${a.host} with proto POP3 port ${a.pop3Port} timeout 60 uidl`,
      `  user ${q(a.user)} there with password ${q(a.password)} is ${q('local')} here`,
      // sslcertck: verify against the server's certificate; sslcommonname: a name it carries (fetchmail checks
      // names, not IP addresses); sslproto tls1.2+ makes STLS mandatory.
      `  options sslproto tls1.2+ sslcertck sslcertfile ${q(a.caFile)} sslcommonname ${q(a.tlsName)}`,
      `    no rewrite ${opts.keep ? 'keep' : 'no keep'} ${opts.stripCr ? 'stripcr' : 'no stripcr'}`,
      `  mda ${q(mda)}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return rc;
}

function runFetchmail(rc: string, dir: string, okCodes: readonly number[]): Promise<{ code: number | null; stdout: string }> {
  // FETCHMAILHOME and --pidfile keep its lock and state here (as root it would use /var/run/fetchmail.pid);
  // exit 0: mail delivered, 1: no mail (fetchmail(1), EXIT CODES).
  const args = ['--fetchmailrc', rc, '--idfile', path.join(dir, 'fetchids'), '--pidfile', path.join(dir, 'fetchmail.pid'), '--nosyslog'];
  return runProgram('fetchmail', args, { env: env(dir, { FETCHMAILHOME: dir }), okCodes });
}

/**
 * fetchmail keeping the messages (keep, uidl) and with `no stripcr`, so the MDA gets them exactly as sent; a second
 * run must find nothing new (the UIDLs it saved still name every message).
 */
export const fetchmailKeep: Pop3InteropClient = {
  name: 'fetchmail',
  peers: ['fetchmail'],
  deletes: false,
  expected: asIs,
  async fetch(a, dir) {
    const rc = fetchmailRc(a, dir, { keep: true, stripCr: false });
    await runFetchmail(rc, dir, [0]);
    const again = await runFetchmail(rc, dir, [0, 1]);
    if (again.code !== 1) throw new Error(`fetchmail: a second run with the same UIDLs should find no new mail (exit 1), got ${again.code}`);
    const out = path.join(dir, 'out');
    return readdirSync(out).map((f) => readFileSync(path.join(out, f)));
  },
};

/** fetchmail with its defaults for an MDA: CR stripped, messages deleted (DELE, QUIT). */
export const fetchmailDelete: Pop3InteropClient = {
  name: 'fetchmail-delete',
  peers: ['fetchmail'],
  deletes: true,
  expected: crlfToLf,
  async fetch(a, dir) {
    await runFetchmail(fetchmailRc(a, dir, { keep: false, stripCr: true }), dir, [0]);
    const out = path.join(dir, 'out');
    return readdirSync(out).map((f) => readFileSync(path.join(out, f)));
  },
};

/**
 * Runs getmail with one fix of its own local delivery, outside POP3: getmail 6.18 (getmailcore/baseclasses.py,
 * ForkingBase) writes each message in a child process and learns that it ended from a SIGCHLD handler that notifies a
 * Condition, but installs that handler only after fork() returns and waits without a predicate. A child that ends
 * before the parent waits (a loaded machine: CI) is missed, and getmail stalls 60 s: twice in five CI runs, right
 * after the login, with nothing printed. Here the parent waits for its child with waitpid instead.
 */
const GETMAIL_CHILD_WAIT_FIX = `
import os, runpy, sys
from getmailcore.baseclasses import ForkingBase
from getmailcore.exceptions import getmailOperationError
def _prepare_child(self):
    pass
def _wait_for_child(self, childpid):
    pid, status = os.waitpid(childpid, 0)
    if os.WIFSIGNALED(status):
        raise getmailOperationError('child pid %d killed by signal %d' % (pid, os.WTERMSIG(status)))
    if not os.WIFEXITED(status):
        raise getmailOperationError('child pid %d failed to exit' % pid)
    return os.WEXITSTATUS(status)
ForkingBase._prepare_child = _prepare_child
ForkingBase._wait_for_child = _wait_for_child
program = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(program, run_name='__main__')
`;

/** getmail6 into a Maildir; `ssl` picks SimplePOP3SSLRetriever (implicit TLS) and deletes, else plain POP3 and keeps. */
function getmail(ssl: boolean): Pop3InteropClient {
  return {
    name: ssl ? 'getmail-ssl' : 'getmail',
    peers: ['getmail'],
    deletes: ssl,
    expected: crlfToLf,
    async fetch(a, dir) {
      // getmail6 refuses to deliver as root (getmailcore/destinations.py: "refuse to deliver mail as root"); as
      // root it delivers as `nobody`, which must be able to write the Maildir.
      const root = process.getuid?.() === 0;
      const md = makeMaildir(path.join(dir, 'Maildir'), root ? 0o777 : 0o700);
      if (root) {
        // It also reads the Maildir's parent; every folder above needs search permission for others.
        chmodSync(dir, 0o755);
        for (let d = path.dirname(dir); d !== path.dirname(d) && (statSync(d).mode & 0o001) === 0; d = path.dirname(d)) {
          chmodSync(d, statSync(d).mode | 0o011);
        }
        for (const sub of ['', 'cur', 'new', 'tmp']) chmodSync(path.join(md, sub), 0o777);
      }
      const rc = path.join(dir, 'getmailrc');
      writeFileSync(
        rc,
        [
          '[retriever]',
          `type = ${ssl ? 'SimplePOP3SSLRetriever' : 'SimplePOP3Retriever'}`,
          `server = ${a.host}`,
          `port = ${ssl ? a.pop3sPort : a.pop3Port}`,
          `username = ${a.user}`,
          `password = ${a.password}`,
          ...(ssl ? [`ca_certs = ${a.caFile}`, `ssl_cert_hostname = ${a.tlsName}`] : []),
          '',
          '[destination]',
          'type = Maildir',
          `path = ${md}/`,
          ...(root ? ['user = nobody'] : []),
          '',
          '[options]',
          'verbose = 0',
          'read_all = true',
          `delete = ${ssl}`,
          // No Delivered-To: and Received: fields of getmail's own (getmail(1) [options]).
          'delivered_to = false',
          'received = false',
          'message_log_syslog = false',
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      // getmail's own interpreter (its first line): the one that has getmailcore.
      const program = commandPath('getmail') ?? 'getmail';
      const python = /^#!\s*(\S+)/.exec(readFileSync(program, 'utf8'))?.[1] ?? 'python3';
      await runProgram(python, ['-c', GETMAIL_CHILD_WAIT_FIX, program, '--getmaildir', dir, '--rcfile', rc], { env: env(dir) });
      return readMaildir(md);
    },
  };
}

/** getmail6, SimplePOP3Retriever (USER/PASS without TLS, which the server allows on loopback), keeping the messages. */
export const getmailPlain = getmail(false);
/** getmail6, SimplePOP3SSLRetriever (implicit TLS), `delete = true`. */
export const getmailSsl = getmail(true);

/** mpop: `stls` = STLS into a Maildir, with mpop's choice of authentication (SASL PLAIN when offered); else implicit TLS, USER/PASS, into an mbox. */
function mpop(stls: boolean): Pop3InteropClient {
  return {
    name: stls ? 'mpop' : 'mpop-pop3s',
    peers: ['mpop'],
    deletes: false,
    expected: stls ? crlfToLf : (wire) => mboxrdQuote(crlfToLf(wire)),
    async fetch(a, dir) {
      const md = makeMaildir(path.join(dir, 'Maildir'));
      const mbox = path.join(dir, 'inbox.mbox');
      const rc = path.join(dir, 'mpoprc');
      writeFileSync(
        rc,
        [
          'account default',
          `host ${a.host}`,
          `port ${stls ? a.pop3Port : a.pop3sPort}`,
          `user ${a.user}`,
          `password ${a.password}`,
          'tls on',
          `tls_starttls ${stls ? 'on' : 'off'}`,
          `tls_trust_file ${a.caFile}`,
          `tls_host_override ${a.tlsName}`,
          ...(stls ? [] : ['auth user']),
          stls ? `delivery maildir ${md}` : `delivery mbox ${mbox}`,
          'keep on',
          `uidls_file ${path.join(dir, 'uidls')}`,
          'received_header off', // no Received: field of mpop's own (mpop(1))
          'timeout 60',
          '',
        ].join('\n'),
        { mode: 0o600 }, // mpop refuses a configuration file with a password that others can read
      );
      await runProgram('mpop', ['-C', rc, '--quiet'], { env: env(dir) });
      // A second run must see every message as already fetched: UIDLs are stable across sessions.
      const again = await runProgram('mpop', ['-C', rc], { env: env(dir) });
      if (!/new: no messages/.test(again.stdout)) throw new Error(`mpop: a second run should find no new messages, said: ${again.stdout}`);
      return stls ? readMaildir(md) : readMbox(mbox);
    },
  };
}

/** mpop, STLS, into a Maildir. */
export const mpopStls = mpop(true);
/** mpop, implicit TLS and USER/PASS, into an mbox (MBOXRD). */
export const mpopPop3s = mpop(false);

/** Every client of the interop test. */
export const pop3InteropClients: readonly Pop3InteropClient[] = [
  curlStls,
  curlPop3s,
  pythonPoplib,
  fetchmailKeep,
  fetchmailDelete,
  getmailPlain,
  getmailSsl,
  mpopStls,
  mpopPop3s,
  mutt,
  sNail,
  movemail,
];
