"""Retrieves a whole maildrop with Python's poplib, one RETR after the other (no pipelining), for npm run bench:pop3.

Usage: poplib-fetch.py HOST PORT USER PASSWORD
Logs in, prints "ready N" (N = messages in the maildrop), waits for a line on standard input (so the benchmark
samples the servers' CPU after the login), retrieves messages 1..N, then prints one JSON line with the
retrieval time (perf_counter, login and QUIT excluded), the message count and the octets poplib counted, and QUITs.
Every socket wait is bounded by poplib's timeout.
"""
import json
import poplib
import sys
import time


def main() -> None:
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    p = poplib.POP3(host, port, timeout=120)
    p.user(user)
    p.pass_(password)
    count, _size = p.stat()
    print(f"ready {count}", flush=True)
    sys.stdin.readline()
    t0 = time.perf_counter()
    octets = 0
    for n in range(1, count + 1):
        _resp, _lines, o = p.retr(n)
        octets += o
    seconds = time.perf_counter() - t0
    p.quit()
    print(json.dumps({"seconds": seconds, "messages": count, "octets": octets}), flush=True)


if __name__ == "__main__":
    main()
