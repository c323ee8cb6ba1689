/**
 * Password hashing for accounts: scrypt (RFC 7914) from node:crypto, run on the libuv thread pool so a login never
 * blocks the event loop. Hash format (parameters travel with the hash, so they can be raised later):
 *
 *   $scrypt$N=16384,r=8,p=1$<salt, base64 without padding>$<key, base64 without padding>
 *
 * Guarantees: a fresh 16-byte random salt per hash; a 32-byte key; verification compares in constant time and
 * answers false (never throws) for a malformed hash or parameters outside safe bounds (so a planted hash cannot
 * make a login allocate gigabytes). Limits: N=2^14, r=8 costs 16 MiB and about 50 ms per hash on one core; the
 * thread pool (4 threads by default) bounds parallel logins.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const defaults = { N: 16384, r: 8, p: 1 } as const;
const keyLength = 32;
const FORMAT = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function scrypt(pw: string, salt: Buffer, len: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(pw.normalize('NFC'), salt, len, o, (err, key) => (err ? reject(err) : resolve(key))));
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

/**
 * Hashes a password with scrypt and a random salt.
 * @example
 * const h = await hashPassword('correct horse'); // '$scrypt$N=16384,r=8,p=1$…$…'
 * await verifyPassword('correct horse', h);       // true
 */
export async function hashPassword(password: string, params: { N: number; r: number; p: number } = defaults): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, keyLength, { ...params, maxmem: 256 * params.N * params.r + (1 << 20) });
  return `$scrypt$N=${params.N},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/**
 * Checks a password against a hash from hashPassword, in constant time; false for a malformed hash.
 * @example await verifyPassword('wrong', await hashPassword('right')) // false
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = FORMAT.exec(hash);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounds: N a power of two up to 2^20, r ≤ 32, p ≤ 16, memory (128·N·r) ≤ 256 MiB.
  if (!(N >= 2 && N <= 1 << 20 && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) return false;
  if (128 * N * r > 256 * 1024 * 1024) return false;
  const salt = Buffer.from(m[4]!, 'base64');
  const want = Buffer.from(m[5]!, 'base64');
  if (salt.length < 8 || want.length < 16 || want.length > 64) return false;
  const got = await scrypt(password, salt, want.length, { N, r, p, maxmem: 256 * N * r + (1 << 20) });
  return timingSafeEqual(got, want);
}

/**
 * A hash to check a password against when the account does not exist: the default scrypt parameters, so the check
 * costs what a real one costs and the time taken does not tell which addresses exist. Its password is a random
 * string nobody kept; the result is to be ignored.
 * @example
 * const ok = await verifyPassword(password, user?.passwordHash ?? unknownAccountHash); // then refuse when !user
 */
export const unknownAccountHash = '$scrypt$N=16384,r=8,p=1$CygUujckXwd79kgJFV0ynQ$oVcPeYE4JX66cxJrPgAOXV7uoiPJFKBkdspDtKQSZEg';
