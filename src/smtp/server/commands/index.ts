/**
 * The SMTP command table (STYLE.md §6): for each verb, the states it is allowed in and its flags, as data; each
 * command runs from its own file.
 */
import type { CommandTable } from '../../../proto/index.js';
import type { SmtpConn, SmtpState } from '../conn.js';
import { auth } from './auth.js';
import { bdat, discardChunk } from './bdat.js';
import { data } from './data.js';
import { ehlo } from './ehlo.js';
import { helo } from './helo.js';
import { help } from './help.js';
import { mail } from './mail.js';
import { noop } from './noop.js';
import { quit } from './quit.js';
import { rcpt } from './rcpt.js';
import { rset } from './rset.js';
import { starttls } from './starttls.js';
import { vrfy } from './vrfy.js';

export { extensions } from './ehlo.js';

const any: readonly SmtpState[] = ['connected', 'greeted', 'mail', 'rcpt', 'bdat'];

/** Every SMTP command. */
export const smtpCommands: CommandTable<SmtpState, SmtpConn> = Object.freeze({
  // RFC 2920 §3.1: EHLO, HELO and DATA end a pipelined group.
  EHLO: { states: any, preTls: true, lastInGroup: true, run: ehlo },
  HELO: { states: any, preTls: true, lastInGroup: true, run: helo },
  MAIL: { states: ['greeted'], utf8: true, run: mail },
  RCPT: { states: ['mail', 'rcpt'], utf8: true, run: rcpt },
  DATA: { states: ['rcpt'], lastInGroup: true, run: data },
  BDAT: { states: ['rcpt', 'bdat'], run: bdat, refused: discardChunk },
  RSET: { states: any, preTls: true, run: rset },
  NOOP: { states: any, preTls: true, run: noop },
  QUIT: { states: any, preTls: true, run: quit },
  VRFY: { states: any, utf8: true, run: vrfy },
  HELP: { states: any, preTls: true, run: help },
  STARTTLS: { states: ['connected', 'greeted'], preTls: true, run: starttls },
  AUTH: { states: ['greeted'], longLine: true, run: auth },
});
