/**
 * `postroom user|domain|alias|status`: administration of the server's store, usable while the server runs.
 * Each command takes `--config FILE` and `--data-dir DIR` to find the store, exactly as `postroom start` does.
 *
 * Exit codes: 0 done; 1 when the thing named does not exist (or exists already, or is still in use);
 * 2 for usage and I/O errors (bad address, empty password, unreadable configuration, no data directory).
 * Every error is one line on standard error.
 */
import type { Command } from 'commander';
import type { CliIo } from './main.js';
import { readSecret } from './secret-input.js';
import {
  AdminError,
  addAlias,
  addDomain,
  addUser,
  deleteAlias,
  deleteDomain,
  deleteUser,
  listAliases,
  listDomains,
  listUsers,
  setApopSecret,
  setPassword,
  status,
} from '../app/index.js';

import { storeOptions, withStore, type SetCode, type StoreFlags } from './store-command.js';

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

/**
 * Said on standard error whenever a secret is set. RFC 1939 §7 APOP needs the secret itself on the server (it is
 * stored in clear, unlike passwords) and protects it only with MD5 over a plaintext connection (RFC 6151 §2.1);
 * RFC 8314 asks for TLS instead. The server offers APOP only with `pop3.apop = true`.
 */
const APOP_WARNING =
  'postroom: warning: the APOP secret is stored in clear (APOP needs it) and APOP is weaker than USER/PASS over TLS; ' +
  'use a secret different from the password, and enable APOP with pop3.apop = true only for clients that cannot use TLS\n';

function registerUser(program: Command, io: CliIo, setCode: SetCode): void {
  const user = program.command('user').description('add, list and delete users; set passwords and APOP secrets');
  storeOptions(user.command('add').description('add a user (asks for the password twice on a terminal)'))
    .argument('<address>', 'the user\'s address, like you@example.org')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(async (address: string, o: StoreFlags & { passwordStdin?: boolean }) => {
      await withStore(io, setCode, o, true, async (store) => {
        const password = await readSecret(io, { fromStdin: o.passwordStdin === true, what: 'password', flag: '--password-stdin' });
        const r = await addUser(store, address, password);
        if (r.domainAdded) io.out(`added domain ${r.address.slice(r.address.lastIndexOf('@') + 1)}\n`);
        io.out(`added user ${r.address}\n`);
      });
    });
  storeOptions(user.command('list').description('list the users'))
    .option('--json', 'print JSON for scripts')
    .action(async (o: StoreFlags & { json?: boolean }) => {
      await withStore(io, setCode, o, false, async (store) => {
        const users = await listUsers(store);
        if (o.json) return io.out(JSON.stringify(users, null, 2) + '\n');
        for (const u of users) io.out(`${u.address}  created ${u.createdAt.toISOString().slice(0, 10)}${u.apop ? '  APOP' : ''}\n`);
        if (users.length === 0) io.out('no users (add one with: postroom user add you@domain)\n');
      });
    });
  storeOptions(user.command('del').description('delete a user and their mailbox'))
    .argument('<address>')
    .action(async (address: string, o: StoreFlags) => {
      await withStore(io, setCode, o, false, async (store) => io.out(`deleted user ${await deleteUser(store, address)}\n`));
    });
  storeOptions(user.command('passwd').description('set a user\'s password (asks twice on a terminal)'))
    .argument('<address>')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(async (address: string, o: StoreFlags & { passwordStdin?: boolean }) => {
      await withStore(io, setCode, o, false, async (store) => {
        const password = await readSecret(io, { fromStdin: o.passwordStdin === true, what: 'password', flag: '--password-stdin' });
        io.out(`password changed for ${await setPassword(store, address, password)}\n`);
      });
    });
  storeOptions(user.command('apop').description('set or clear the POP3 APOP secret (stored in clear; APOP is weaker than TLS with a password)'))
    .argument('<address>')
    .option('--secret-stdin', 'read the secret from the first line of standard input')
    .option('--clear', 'remove the secret (APOP is then refused for this user)')
    .action(async (address: string, o: StoreFlags & { secretStdin?: boolean; clear?: boolean }) => {
      await withStore(io, setCode, o, false, async (store) => {
        if (o.clear && o.secretStdin) throw new AdminError('usage', '--clear and --secret-stdin exclude each other');
        const secret = o.clear ? null : await readSecret(io, { fromStdin: o.secretStdin === true, what: 'APOP secret', flag: '--secret-stdin' });
        const who = await setApopSecret(store, address, secret);
        io.out(secret === null ? `APOP secret cleared for ${who}\n` : `APOP secret set for ${who}\n`);
        if (secret !== null) io.err(APOP_WARNING);
      });
    });
}

function registerDomain(program: Command, io: CliIo, setCode: SetCode): void {
  const domain = program.command('domain').description('the domains this server receives mail for');
  storeOptions(domain.command('add').description('add a local domain'))
    .argument('<name>')
    .action(async (name: string, o: StoreFlags) => {
      await withStore(io, setCode, o, true, async (store) => io.out(`added domain ${await addDomain(store, name)}\n`));
    });
  storeOptions(domain.command('list').description('list the local domains')).action(async (o: StoreFlags) => {
    await withStore(io, setCode, o, false, async (store) => {
      for (const d of await listDomains(store)) io.out(`${d}\n`);
    });
  });
  storeOptions(domain.command('del').description('remove a local domain (refused while it has users)'))
    .argument('<name>')
    .action(async (name: string, o: StoreFlags) => {
      await withStore(io, setCode, o, false, async (store) => io.out(`deleted domain ${await deleteDomain(store, name)}\n`));
    });
}

function registerAlias(program: Command, io: CliIo, setCode: SetCode): void {
  const alias = program.command('alias').description('forward an address (or a whole @domain) to other addresses');
  storeOptions(alias.command('add').description('add an alias from SOURCE (address or @domain) to one or more targets'))
    .argument('<source>')
    .argument('<targets...>')
    .action(async (source: string, targets: string[], o: StoreFlags) => {
      await withStore(io, setCode, o, true, async (store) => {
        const r = await addAlias(store, source, targets);
        if (r.domainAdded) io.out(`added domain ${r.source.slice(r.source.lastIndexOf('@') + 1)}\n`);
        io.out(`added alias ${r.source} -> ${r.targets.join(', ')}\n`);
      });
    });
  storeOptions(alias.command('list').description('list the aliases')).action(async (o: StoreFlags) => {
    await withStore(io, setCode, o, false, async (store) => {
      for (const a of await listAliases(store)) io.out(`${a.source} -> ${a.targets.join(', ')}\n`);
    });
  });
  storeOptions(alias.command('del').description('remove an alias'))
    .argument('<source>')
    .action(async (source: string, o: StoreFlags) => {
      await withStore(io, setCode, o, false, async (store) => io.out(`deleted alias ${await deleteAlias(store, source)}\n`));
    });
}

/**
 * Adds the `user`, `domain`, `alias` and `status` commands.
 *
 * @example
 * ```ts
 * registerAdmin(program, io, (code) => (exitCode = code));
 * ```
 */
export function registerAdmin(program: Command, io: CliIo, setCode: SetCode): void {
  registerUser(program, io, setCode);
  registerDomain(program, io, setCode);
  registerAlias(program, io, setCode);
  storeOptions(program.command('status').description('the queue and, per user, the messages in their mailbox'))
    .option('--json', 'print JSON for scripts')
    .action(async (o: StoreFlags & { json?: boolean }) => {
      await withStore(io, setCode, o, false, async (store) => {
        const s = await status(store);
        if (o.json) return io.out(JSON.stringify(s, null, 2) + '\n');
        const q = s.queue;
        io.out(`queue: ${q.items} message(s) (pending ${q.pending}, deferred ${q.deferred}, held ${q.held})\n`);
        io.out(s.mailboxes.length === 0 ? 'mailboxes: none (add a user with: postroom user add you@domain)\n' : 'mailboxes:\n');
        const width = Math.max(0, ...s.mailboxes.map((m) => m.address.length));
        for (const m of s.mailboxes) io.out(`  ${m.address.padEnd(width)}  ${String(m.messages).padStart(6)} message(s)  ${formatBytes(m.bytes).padStart(10)}\n`);
      });
    });
}
