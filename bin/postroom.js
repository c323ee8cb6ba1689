#!/usr/bin/env -S node --v8-pool-size=1
// The postroom executable: runs the compiled CLI (npm run build produces dist/).
// --v8-pool-size=1 (here and in `npm start`): one V8 helper thread (garbage collection, compiling) instead of
// four. Measured on a 2-core machine (npm run bench:pop3, bench:smtp, bench/pop3/probe.ts): the four competed with
// the event loop for the cores; with one, POP3 RETR ran 11–34 % faster and SMTP as fast. --single-threaded-gc cut
// POP3's CPU further but moved every collection onto the event loop, and SMTP, bound by the event loop, lost a
// quarter of its throughput. The server's heap is small, so one helper keeps collections short.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
