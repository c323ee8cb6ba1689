#!/usr/bin/env -S node --single-threaded-gc
// The postroom executable: runs the compiled CLI (npm run build produces dist/).
// --single-threaded-gc (here and in `npm start`): measured with npm run bench:pop3 and bench/pop3/probe.ts, V8's
// garbage-collector helper threads cost more CPU in all than the server's own work per message and slowed its main
// thread too; collecting on the main thread costs a small part of that, and the server's heap is small enough for
// short pauses. V8 takes the flag only at start (changing it in a running process can crash V8).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
