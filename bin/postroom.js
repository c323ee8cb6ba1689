#!/usr/bin/env -S node --v8-pool-size=1 --max-semi-space-size=4
// The postroom executable: runs the compiled CLI (npm run build produces dist/).
// The node options are on the first line only: `npm start` runs this file, the benchmarks read that line, and POP3
// worker processes (pop3.processes) get the server's own.
// --v8-pool-size=1: one V8 helper thread (garbage collection, compiling) instead of
// four. Measured on a 2-core machine (npm run bench:pop3, bench:smtp, bench/pop3/probe.ts): the four competed with
// the event loop for the cores; with one, POP3 RETR ran 11–34 % faster and SMTP as fast. --single-threaded-gc cut
// POP3's CPU further but moved every collection onto the event loop, and SMTP, bound by the event loop, lost a
// quarter of its throughput. The server's heap is small, so one helper keeps collections short.
// --max-semi-space-size=4 (MiB; node 20's default is 16): V8 starts a full collection when the room left under the
// old generation's limit, less what was allocated outside the heap since the last one (message bodies, 4 KiB each
// from SQLite), falls to the young generation's size. With a 16 MiB young generation and the server's ~14 MiB heap
// that happened every few thousand messages of a pipelined RETR; with 4 MiB it did not happen once in 30,000. Same
// order of runs, fresh server, 40,000 RETRs: 0.94–1.36 s of CPU against 0.71–0.87 s (the GC helper thread 226–383
// ms against 72–99), peak RSS 206–212 MiB against 173–178; npm run bench:smtp as fast (0.59 against 0.58 ms of CPU
// per message) with a lower peak RSS (178 against 154 MiB).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
