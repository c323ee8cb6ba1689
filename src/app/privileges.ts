/**
 * Dropping root privileges after the listeners are bound (ports below 1024 need root or CAP_NET_BIND_SERVICE):
 * the data directory is handed to the configured user, then the process takes that user's group (as its only group) and
 * user id, in that order (the user id last, or the group change would no longer be allowed).
 *
 * Guarantees: after dropPrivileges resolves, the process can no longer regain root (setuid sets the real, effective
 * and saved user id). A user that does not exist, or a configured user while not running as root (and not already
 * that user), is a ConfigError naming `user`.
 * Limits: users are looked up in /etc/passwd (no NSS: LDAP users need a numeric id).
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from './config.js';
import { showValue } from './config-schema.js';

/** A system account. */
export interface SystemUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Finds a user by name or numeric id in a passwd file.
 *
 * @example
 * ```ts
 * await lookupUser('nobody'); // { name: 'nobody', uid: 65534, gid: 65534 }
 * ```
 */
export async function lookupUser(user: string, passwdFile = '/etc/passwd'): Promise<SystemUser | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(passwdFile, 'utf8');
  } catch {
    text = '';
  }
  for (const line of text.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === undefined || uid === undefined || gid === undefined) continue;
    if (name === user || uid === user) return { name, uid: Number(uid), gid: Number(gid) };
  }
  if (/^\d+$/.test(user)) return { name: user, uid: Number(user), gid: Number(user) };
  return undefined;
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await fsp.lchown(dir, uid, gid);
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(p, uid, gid);
    else await fsp.lchown(p, uid, gid);
  }
}

/**
 * Resolves the configured user and checks that we can become it (before anything is started).
 * Returns null when no change is needed.
 */
export async function resolveRunAs(user: string | null): Promise<SystemUser | null> {
  if (user === null) return null;
  const found = await lookupUser(user);
  if (!found) throw new ConfigError(`config: user = ${showValue(user)}: expected an existing user (not found in /etc/passwd)`);
  const uid = process.getuid?.();
  if (uid === found.uid) return null;
  if (uid !== 0) throw new ConfigError(`config: user = ${showValue(user)}: expected to be started as root to switch to that user`);
  return found;
}

/**
 * Gives the data directory to `to` and switches the process to that user.
 *
 * @example
 * ```ts
 * const runAs = await resolveRunAs(config.user);
 * // … bind the ports …
 * if (runAs) await dropPrivileges(runAs, config.dataDir);
 * ```
 */
export async function dropPrivileges(to: SystemUser, dataDir: string): Promise<void> {
  await chownTree(dataDir, to.uid, to.gid);
  process.setgroups?.([to.gid]); // drop root's supplementary groups
  process.setgid?.(to.gid);
  process.setuid?.(to.uid);
  try {
    await fsp.access(dataDir, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : 'cannot be reached';
    throw new ConfigError(`config: user = ${showValue(to.name)}: expected a user that can use data_dir ${dataDir} (${why}: check the directories above it)`);
  }
}
