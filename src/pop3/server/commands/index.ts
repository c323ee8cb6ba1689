/**
 * The POP3 command table (STYLE.md §6): for each verb, the states it is allowed in (RFC 1939 §3–7, RFC 2449,
 * RFC 2595, RFC 5034, RFC 6856) and its flags, as data; each command runs from its own file. The engine answers
 * a command in the wrong state with state.ts's outOfState reply, and an unknown one with -ERR Unknown command.
 */
import type { CommandTable } from '../../../proto/index.js';
import type { Pop3Conn, Pop3State } from '../conn.js';
import { apop } from './apop.js';
import { auth } from './auth.js';
import { capa } from './capa.js';
import { dele } from './dele.js';
import { list } from './list.js';
import { noop } from './noop.js';
import { pass } from './pass.js';
import { quit } from './quit.js';
import { retr } from './retr.js';
import { rset } from './rset.js';
import { stat } from './stat.js';
import { stls } from './stls.js';
import { top } from './top.js';
import { uidl } from './uidl.js';
import { user } from './user.js';
import { utf8 } from './utf8.js';

export { capabilities } from './capa.js';

const authorization: readonly Pop3State[] = ['authorization'];
const transaction: readonly Pop3State[] = ['transaction'];
const both: readonly Pop3State[] = ['authorization', 'transaction'];

/** Every POP3 command. No `preTls` flags: POP3 never requires TLS before a whole command (Pop3Conn.mustStartTls); USER, PASS and AUTH check the policy themselves. */
export const pop3Commands: CommandTable<Pop3State, Pop3Conn> = Object.freeze({
  CAPA: { states: both, run: capa },
  QUIT: { states: both, run: quit },
  // RFC 6856 §2: UTF-8 user names and passwords.
  USER: { states: authorization, utf8: true, run: user },
  PASS: { states: authorization, utf8: true, run: pass },
  APOP: { states: authorization, utf8: true, run: apop },
  // RFC 5034 §4: the AUTH line (with an initial response) may exceed 255 octets.
  AUTH: { states: authorization, longLine: true, run: auth },
  STLS: { states: authorization, run: stls },
  UTF8: { states: authorization, run: utf8 },
  STAT: { states: transaction, run: stat },
  LIST: { states: transaction, run: list },
  UIDL: { states: transaction, run: uidl },
  RETR: { states: transaction, run: retr },
  TOP: { states: transaction, run: top },
  DELE: { states: transaction, run: dele },
  RSET: { states: transaction, run: rset },
  NOOP: { states: transaction, run: noop },
});
