import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli, tempDir } from '../testing/app-cli.js';
import { startDaemonChild, type DaemonChild } from '../testing/app-daemon.js';
import { Pop3Script } from '../testing/pop3-client.js';
import { messageText, sendOverSmtp, waitForMailbox } from '../testing/pop3-daemon.js';

const ANN = 'ann@example.test';
const PASSWORD = 'correct horse';

/** The JSON log lines `postroom start` (and its worker, on the same standard error) wrote so far. */
function logLines(d: DaemonChild): Record<string, unknown>[] {
  return d
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Waits (up to 15 s) until `count` log lines say `msg`; returns them. */
async function waitForLog(d: DaemonChild, msg: string, count = 1): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 300; i++) {
    const lines = logLines(d).filter((l) => l['msg'] === msg);
    if (lines.length >= count) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${count} × "${msg}" in the log:\n${d.stderr()}`);
}

/** The pid of the process that served each POP3 connection so far, in the order they came. */
const servedBy = (d: DaemonChild): number[] => logLines(d).filter((l) => l['msg'] === 'Connected' && String(l['conn']).startsWith('p')).map((l) => Number(l['pid']));

/**
 * `postroom start` with `pop3.processes = 2` (plus `toml`), SMTP, POP3 and POP3S on free ports, ann with one
 * message; resolves once its worker is ready. Connections alternate: the first goes to the worker.
 */
async function start(t: TestContext, toml = ''): Promise<{ d: DaemonChild; dir: string; pop3: number; pop3s: number; worker: number; size: number }> {
  const base = tempDir(t);
  const dir = path.join(base, 'data');
  const config = path.join(base, 'postroom.toml');
  writeFileSync(config, `pop3.processes = 2\npop3.auth_failure_delay = "0s"\n${toml}`);
  // prettier-ignore
  const d = await startDaemonChild(t, [
    '--config', config, '--data-dir', dir, '--hostname', 'mx.example.test', '--domain', 'example.test', '--log-level', 'info',
    '--smtp-listen', '127.0.0.1:0', '--submission-listen', 'off', '--pop3-listen', '127.0.0.1:0', '--pop3s-listen', '127.0.0.1:0', '--web-listen', 'off',
  ]);
  const [ready] = await waitForLog(d, 'pop3 worker ready');
  assert.equal((await runCli(['user', 'add', ANN, '--password-stdin', '--data-dir', dir], `${PASSWORD}\n`)).code, 0);
  const { data } = messageText(['From: bob@example.net', `To: ${ANN}`, 'Subject: one', '', '.a line with a dot', 'body', '']);
  await sendOverSmtp(d.addresses.get('smtp')!.port, 'bob@example.net', ANN, data);
  await waitForMailbox(dir, ANN, 1);
  const c = Pop3Script.open(d.addresses.get('pop3')!.port);
  await c.login(ANN, PASSWORD).send('STAT').expect(/^\+OK 1 \d+$/);
  const size = Number(c.replies.at(-1)!.split(' ')[2]);
  await c.send('QUIT').expect(/^\+OK/).expectClosed();
  return { d, dir, pop3: d.addresses.get('pop3')!.port, pop3s: d.addresses.get('pop3s')!.port, worker: Number(ready!['worker']), size };
}

test('pop3.processes = 2: connections alternate between the server and its worker; both serve the same maildrop, over POP3 and POP3S', async (t) => {
  const { d, pop3, pop3s, worker, size } = await start(t);
  const bodies: string[] = [];
  for (const [port, tls] of [[pop3, false], [pop3, false], [pop3s, true], [pop3s, true]] as const) {
    const c = Pop3Script.open(port, { tls });
    await c.login(ANN, PASSWORD).send('RETR 1').expectMulti(/^\+OK/);
    assert.equal(c.lastBody.length, size, 'RETR sends LIST\'s size');
    bodies.push(c.lastBody.toString('latin1'));
    await c.send('QUIT').expect(/^\+OK/).expectClosed();
  }
  assert.ok(bodies.every((b) => b === bodies[0]) && bodies[0]!.includes('\r\n.a line with a dot\r\n'), 'the same octets from both processes');
  const pids = servedBy(d);
  assert.equal(new Set(pids).size, 2, `two processes served: ${pids.join(', ')}`);
  assert.ok(pids.includes(worker) && pids.includes(d.child.pid!), `the server ${d.child.pid} and its worker ${worker}: ${pids.join(', ')}`);
});

test('pop3.processes = 2: one session per maildrop across processes (-ERR [IN-USE] either way), and QUIT in the worker deletes', async (t) => {
  const { d, pop3, worker } = await start(t);
  const first = Pop3Script.open(pop3);
  await first.login(ANN, PASSWORD); // the next connection (the setup's went to the worker) → the server process
  const second = Pop3Script.open(pop3);
  await second.expect(/^\+OK /).send(`USER ${ANN}`).expect(/^\+OK/).send(`PASS ${PASSWORD}`).expect(/^-ERR \[IN-USE\] /);
  await first.send('QUIT').expect(/^\+OK/).expectClosed();
  const third = Pop3Script.open(pop3); // the server process again: second is still open in the worker
  await third.expect(/^\+OK /).send(`USER ${ANN}`).expect(/^\+OK/).send(`PASS ${PASSWORD}`).expect(/^\+OK/);
  await second.send(`USER ${ANN}`).expect(/^\+OK/).send(`PASS ${PASSWORD}`).expect(/^-ERR \[IN-USE\] /); // the worker's session is refused now
  await third.send('QUIT').expect(/^\+OK/).expectClosed();
  await second.send(`USER ${ANN}`).expect(/^\+OK/).send(`PASS ${PASSWORD}`).expect(/^\+OK/).send('DELE 1').expect(/^\+OK/).send('QUIT').expect(/^\+OK/).expectClosed();
  const pids = servedBy(d);
  assert.deepEqual(pids.slice(1), [d.child.pid, worker, d.child.pid], 'first in the server, second in the worker, third in the server');
  const after = Pop3Script.open(pop3);
  await after.login(ANN, PASSWORD).send('STAT').expect('+OK 0 0');
  await after.send('QUIT').expect(/^\+OK/).expectClosed();
});

test('pop3.processes = 2: a worker killed with DELEs pending deletes nothing; its lock goes with it, and another worker starts', async (t) => {
  const { d, pop3, worker } = await start(t);
  await Pop3Script.open(pop3).expect(/^\+OK /).send('QUIT').expect(/^\+OK/).expectClosed(); // the server process; the next goes to the worker
  const doomed = Pop3Script.open(pop3);
  await doomed.login(ANN, PASSWORD).send('DELE 1').expect(/^\+OK/);
  assert.equal(servedBy(d).at(-1), worker);
  process.kill(worker, 'SIGKILL');
  await doomed.expectClosed();
  await waitForLog(d, 'pop3 worker exited; starting another');
  // The maildrop is not left locked by the dead worker, and the message is still there.
  const c = Pop3Script.open(pop3);
  await c.login(ANN, PASSWORD).send('STAT').expect(/^\+OK 1 \d+$/);
  await c.send('QUIT').expect(/^\+OK/).expectClosed();
  const [, again] = await waitForLog(d, 'pop3 worker ready', 2);
  const next = Number(again!['worker']);
  assert.notEqual(next, worker);
  for (let i = 0; i < 2; i++) {
    const s = Pop3Script.open(pop3);
    await s.login(ANN, PASSWORD).send('STAT').expect(/^\+OK 1 \d+$/).send('QUIT').expect(/^\+OK/).expectClosed();
  }
  assert.ok(servedBy(d).slice(-2).includes(next), `the new worker serves: ${servedBy(d).join(', ')}`);
});

test('pop3.processes = 2: login failures counted in one process lock the client out in the other', async (t) => {
  const { d, pop3, worker } = await start(t, 'smtp.auth_lockout_failures = 2\n');
  await Pop3Script.open(pop3).expect(/^\+OK /).send(`USER ${ANN}`).expect(/^\+OK/).send('PASS wrong').expect(/^-ERR \[AUTH\] /).send('QUIT').expect(/^\+OK/).expectClosed();
  // The second failure, in the worker, reaches the limit there: the worker knew of the first.
  await new Promise((r) => setTimeout(r, 200));
  await Pop3Script.open(pop3).expect(/^\+OK /).send(`USER ${ANN}`).expect(/^\+OK/).send('PASS wrong').expect(/^-ERR \[LOGIN-DELAY\] /).expectClosed();
  const pids = servedBy(d).slice(1);
  assert.deepEqual(pids, [d.child.pid, worker], 'one failure in each process');
  // Both processes now refuse this client, whichever gets the connection (a failure reaches the other process over
  // IPC, in the time the client takes to connect again; the pause leaves a loaded machine room for it).
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < 2; i++) await Pop3Script.open(pop3).expect(/^\+OK /).send(`USER ${ANN}`).expect(/^-ERR \[LOGIN-DELAY\] /).expectClosed();
});

test('pop3.processes = 2: SIGTERM tells a session idle in the worker that the server is stopping; the server exits 0, the worker with it', async (t) => {
  const { d, pop3, worker } = await start(t);
  await Pop3Script.open(pop3).expect(/^\+OK /).send('QUIT').expect(/^\+OK/).expectClosed(); // the server process; the next goes to the worker
  const idle = Pop3Script.open(pop3);
  await idle.login(ANN, PASSWORD).send('DELE 1').expect(/^\+OK/);
  assert.equal(servedBy(d).at(-1), worker);
  const code = d.stop('SIGTERM');
  await idle.expect(/^-ERR \[SYS\/TEMP\] /).expectClosed();
  assert.equal(await code, 0);
  assert.throws(() => process.kill(worker, 0), /ESRCH/, 'the worker is gone');
});
