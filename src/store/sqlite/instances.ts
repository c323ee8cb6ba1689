/**
 * Which processes have a data directory open: one file per open store under `<dataDir>/run/`, named
 * `<pid>.<random>` and holding the process start time (for people; liveness does not read it).
 *
 * Why: garbage collection at start (stale temp files, blobs without a row) and stealing a dead process's mailbox
 * locks are only safe when the other writer is gone. A store that finds another live instance skips collection
 * (the admin CLI opening the store while the server runs must not delete a blob the server has just written).
 * Guarantees: an instance counts as live while its file exists and its process is alive; an instance of a
 * killed process is recognized as dead, also when its pid was reused by this process (this process knows the
 * instances it registered). A file that cannot be checked now (EMFILE, EACCES …) counts as there: its process
 * decides, so a lock another process holds is never taken over on an I/O error (RFC 1939 §8).
 * Limits: one machine (pids are local); a pid reused by an unrelated process keeps a dead instance "live", which
 * only delays collection (the safe side).
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

const startedAt = Math.round(Date.now() - process.uptime() * 1000);

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parse(name: string): number | undefined {
  const m = /^(\d+)\.[0-9a-f]+$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The instances this process registered (and has not unregistered). */
const ours = new Set<string>();

/**
 * Whether the instance `name`, whose file is there, is live: by its process; with this process's pid, only an
 * instance this process registered (another is a killed process's whose pid this one now has).
 */
function alive(name: string): boolean {
  const pid = parse(name);
  if (pid === undefined) return false;
  return pid === process.pid ? ours.has(name) : pidAlive(pid);
}

/** Whether a stat error says the file is gone (any other error leaves it counted as there). */
const gone = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** This store's registration in `<dataDir>/run/`. */
export class Instance {
  private constructor(
    readonly runDir: string,
    /** The instance id, also the file name. */
    readonly id: string,
  ) {}

  /** Registers a new instance. */
  static async register(dataDir: string): Promise<Instance> {
    const runDir = path.join(dataDir, 'run');
    await mkdir(runDir, { recursive: true });
    const id = `${process.pid}.${randomBytes(6).toString('hex')}`;
    await writeFile(path.join(runDir, id), String(startedAt), { flag: 'wx' });
    ours.add(id);
    return new Instance(runDir, id);
  }

  /** The other live instances; removes the files of dead ones. */
  async others(): Promise<string[]> {
    const live: string[] = [];
    for (const name of await readdir(this.runDir)) {
      if (name === this.id) continue;
      const file = path.join(this.runDir, name);
      if (await stat(file).then(() => false, gone)) continue; // unregistered meanwhile
      if (alive(name)) live.push(name);
      else await rm(file, { force: true }).catch(() => {}); // best effort: it is dead either way
    }
    return live;
  }

  /** Whether an instance (of any process) is live now. Synchronous: used inside a transaction. */
  isLive(id: string): boolean {
    if (id === this.id) return true;
    try {
      statSync(path.join(this.runDir, id));
    } catch (err) {
      if (gone(err)) return false;
    }
    return alive(id);
  }

  /** Removes the registration (on close). */
  async unregister(): Promise<void> {
    await rm(path.join(this.runDir, this.id), { force: true });
    ours.delete(this.id);
  }
}
