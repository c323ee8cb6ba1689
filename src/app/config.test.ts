import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultPop3Limits } from '../pop3/index.js';
import { repoRoot } from '../testing/peers.js';
import { applyFlags, applyToml, checkConfig, ConfigError, defaultConfig, KEYS, loadConfig, readErrorWhy, type Config } from './config.js';
import { duration, listen, showValue, size } from './config-schema.js';

const ctx = { baseDir: '/etc/postroom' };
const FILE = '/etc/postroom/postroom.toml';

test('defaultConfig: data in ./data, domain localhost, SMTP 2525, submission 2587, submissions off, POP3 1110, web 8025', () => {
  const c = defaultConfig('/srv/mail');
  assert.equal(c.dataDir, '/srv/mail/data');
  assert.deepEqual(c.domains, ['localhost']);
  assert.deepEqual(c.listen.smtp, { host: '127.0.0.1', port: 2525 });
  assert.deepEqual(c.listen.submission, { host: '127.0.0.1', port: 2587 });
  assert.equal(c.listen.submissions, null);
  assert.deepEqual(c.listen.pop3, { host: '127.0.0.1', port: 1110 });
  assert.deepEqual(c.listen.web, { host: '127.0.0.1', port: 8025 });
  assert.equal(c.smtp.maxMessageBytes, 25 * 1024 * 1024);
  assert.equal(c.smtp.bareNewline, 'reject');
  assert.ok(c.hostname.length > 0);
});

test('defaultConfig: POP3 limits are the server\'s own defaults; USER/PASS without TLS on loopback only; APOP off', () => {
  const p = defaultConfig('/').pop3;
  assert.deepEqual(p, {
    maxLineLength: defaultPop3Limits.maxLineBytes,
    maxAuthLineLength: defaultPop3Limits.maxAuthLineBytes,
    idleTimeoutMs: defaultPop3Limits.idleTimeoutMs,
    sessionTimeoutMs: defaultPop3Limits.sessionTimeoutMs,
    maxErrors: defaultPop3Limits.maxErrors,
    maxConnections: defaultPop3Limits.maxConnections,
    maxConnectionsPerIp: defaultPop3Limits.maxConnectionsPerIp,
    authFailureDelayMs: defaultPop3Limits.authFailureDelayMs,
    authWithoutTls: 'loopback',
    apop: false,
    processes: 1,
  });
  // RFC 1939 §3: the autologout timer is at least 10 minutes.
  assert.ok(p.idleTimeoutMs >= 600_000);
  assert.equal(defaultConfig('/').listen.pop3s, null);
});

test('every configuration key is documented in docs/configuration.md', () => {
  const doc = readFileSync(path.join(repoRoot, 'docs', 'configuration.md'), 'utf8');
  for (const k of KEYS) assert.ok(doc.includes(`| \`${k.key}\` |`), `${k.key} has a row in docs/configuration.md`);
});

test('schema examples: size, duration, listen, showValue; readErrorWhy', () => {
  assert.equal(size(1).parse('25MiB', ctx), 26_214_400);
  assert.equal(duration().parse('1h30m', ctx), 5_400_000);
  assert.deepEqual(listen.parse('127.0.0.1:2525', ctx), { host: '127.0.0.1', port: 2525 });
  assert.deepEqual(listen.parse('[::1]:0', ctx), { host: '::1', port: 0 });
  assert.equal(listen.parse('off', ctx), null);
  assert.equal(showValue('big'), '"big"');
  assert.equal(showValue(12), '12');
  assert.equal(showValue(['a', 1]), '["a", 1]');
  assert.equal(readErrorWhy(Object.assign(new Error('x'), { code: 'ENOENT' })), 'no such file');
});

const good: [toml: string, check: (c: Config) => unknown, want: unknown][] = [
  ['smtp.max_message_size = "10MiB"', (c) => c.smtp.maxMessageBytes, 10 * 1024 * 1024],
  ['smtp.max_message_size = "10 MB"', (c) => c.smtp.maxMessageBytes, 10_000_000],
  ['smtp.max_message_size = 2048', (c) => c.smtp.maxMessageBytes, 2048],
  ['[smtp]\nmax_message_size = "1.5GiB"', (c) => c.smtp.maxMessageBytes, 1.5 * 1024 ** 3],
  ['smtp.max_recipients = 50', (c) => c.smtp.maxRecipients, 50],
  ['smtp.bare_newline = "normalize"', (c) => c.smtp.bareNewline, 'normalize'],
  ['smtp.auth_without_tls = true', (c) => c.smtp.authWithoutTls, 'always'],
  ['smtp.auth_without_tls = false', (c) => c.smtp.authWithoutTls, 'loopback'],
  ['smtp.auth_without_tls = "never"', (c) => c.smtp.authWithoutTls, 'never'],
  ['smtp.min_data_rate = "1KiB"', (c) => c.smtp.minDataRate, 1024],
  ['smtp.min_free_disk = "1GiB"', (c) => c.smtp.minFreeDisk, 1024 ** 3],
  ['smtp.command_timeout = "2m"', (c) => c.smtp.commandTimeoutMs, 120_000],
  ['queue.min_backoff = "1m"', (c) => c.queue.minBackoffMs, 60_000],
  ['queue.lifetime = "2d12h"', (c) => c.queue.lifetimeMs, 2.5 * 86_400_000],
  ['store.inline_max_bytes = "16KiB"', (c) => c.store.inlineMaxBytes, 16_384],
  ['store.inline_max_bytes = 0', (c) => c.store.inlineMaxBytes, 0],
  ['data_dir = "var/data"', (c) => c.dataDir, '/etc/postroom/var/data'],
  ['data_dir = "/var/lib/postroom"', (c) => c.dataDir, '/var/lib/postroom'],
  ['hostname = "MX.Example.ORG"', (c) => c.hostname, 'mx.example.org'],
  ['domains = ["example.org", "Example.NET."]', (c) => c.domains, ['example.org', 'example.net']],
  ['user = "postroom"', (c) => c.user, 'postroom'],
  ['user = 1001', (c) => c.user, '1001'],
  ['log_level = "debug"', (c) => c.logLevel, 'debug'],
  ['trusted_networks = ["10.0.0.0/8", "::1", "2001:db8::/32"]', (c) => c.trustedNetworks, ['10.0.0.0/8', '::1', '2001:db8::/32']],
  ['listen.smtp = "0.0.0.0:25"', (c) => c.listen.smtp, { host: '0.0.0.0', port: 25 }],
  ['listen.submissions = "[::]:465"', (c) => c.listen.submissions, { host: '::', port: 465 }],
  ['listen.pop3 = "off"', (c) => c.listen.pop3, null],
  ['listen.web = "localhost:8080"', (c) => c.listen.web, { host: 'localhost', port: 8080 }],
  ['[tls]\ncert = "cert.pem"\nkey = "/k/key.pem"', (c) => c.tls, { cert: '/etc/postroom/cert.pem', key: '/k/key.pem' }],
  ['shutdown_timeout = "10s"', (c) => c.shutdownTimeoutMs, 10_000],
  ['pop3.max_line_length = 1024', (c) => c.pop3.maxLineLength, 1024],
  ['pop3.max_auth_line_length = 4096', (c) => c.pop3.maxAuthLineLength, 4096],
  ['pop3.idle_timeout = "30m"', (c) => c.pop3.idleTimeoutMs, 1_800_000],
  ['pop3.session_timeout = "2h"', (c) => c.pop3.sessionTimeoutMs, 7_200_000],
  ['pop3.max_errors = 5', (c) => c.pop3.maxErrors, 5],
  ['pop3.max_connections = 50', (c) => c.pop3.maxConnections, 50],
  ['pop3.max_connections_per_ip = 3', (c) => c.pop3.maxConnectionsPerIp, 3],
  ['pop3.auth_failure_delay = "0s"', (c) => c.pop3.authFailureDelayMs, 0],
  ['pop3.auth_without_tls = "never"', (c) => c.pop3.authWithoutTls, 'never'],
  ['pop3.auth_without_tls = true', (c) => c.pop3.authWithoutTls, 'always'],
  ['[pop3]\napop = true', (c) => c.pop3.apop, true],
  ['pop3.processes = 4', (c) => c.pop3.processes, 4],
  ['listen.pop3s = "0.0.0.0:995"', (c) => c.listen.pop3s, { host: '0.0.0.0', port: 995 }],
  ['queue.delay_warning = "1h"', (c) => c.queue.delayWarningMs, 3_600_000],
  ['queue.concurrency = 100', (c) => c.queue.concurrency, 100],
  ['queue.deliver_at_receipt = false', (c) => c.queue.deliverAtReceipt, false],
  ['queue.bounce_size_limit = "100KiB"', (c) => c.queue.bounceSizeLimit, 102_400],
  ['relay.tls = "required"', (c) => c.relay.tls, 'required'],
  ['relay.mx_port = 2525', (c) => c.relay.mxPort, 2525],
  ['relay.destination_concurrency = 5', (c) => c.relay.destinationConcurrency, 5],
  ['relay.recipient_limit = 10', (c) => c.relay.recipientLimit, 10],
  ['relay.connect_timeout = "5s"', (c) => c.relay.connectTimeoutMs, 5000],
  ['relay.connection_cache_time = "0s"', (c) => c.relay.connectionCacheTimeMs, 0],
  [
    'relay.smarthost = "[smtp.provider.test]:587"\nrelay.smarthost_tls = "required"\nrelay.smarthost_user = "me"\nrelay.smarthost_password_file = "pw"',
    (c) => c.relay.smarthost,
    { host: 'smtp.provider.test', port: 587, mx: false, tls: 'required', user: 'me', passwordFile: '/etc/postroom/pw', caFile: null },
  ],
  ['relay.smarthost = "relay.test"', (c) => c.relay.smarthost, { host: 'relay.test', port: 25, mx: true, tls: 'opportunistic', user: null, passwordFile: null, caFile: null }],
  [
    '[routes]\n"Example.NET" = "[127.0.0.1]:2526"\n"b.test" = { host = "[::1]:25", tls = "none", ca_file = "ca.pem" }',
    (c) => c.relay.routes,
    {
      'example.net': { host: '127.0.0.1', port: 2526, mx: false, tls: 'opportunistic', user: null, passwordFile: null, caFile: null },
      'b.test': { host: '::1', port: 25, mx: false, tls: 'none', user: null, passwordFile: null, caFile: '/etc/postroom/ca.pem' },
    },
  ],
];

for (const [toml, get, want] of good) {
  test(`applyToml accepts ${JSON.stringify(toml)}`, () => {
    assert.deepEqual(get(applyToml(defaultConfig('/'), toml, FILE)), want);
  });
}

const badValues: [toml: string, error: string][] = [
  ['smtp.max_message_size = "big"', 'config: smtp.max_message_size = "big": expected a size like 25MiB (at least 1024 bytes)'],
  ['smtp.max_message_size = 10', 'config: smtp.max_message_size = 10: expected a size like 25MiB (at least 1024 bytes)'],
  ['smtp.max_message_size = "25 parsecs"', 'config: smtp.max_message_size = "25 parsecs": expected a size like 25MiB (at least 1024 bytes)'],
  ['smtp.max_recipients = 0', 'config: smtp.max_recipients = 0: expected a whole number from 1 to 100000'],
  ['smtp.max_recipients = "10"', 'config: smtp.max_recipients = "10": expected a whole number from 1 to 100000'],
  ['smtp.max_recipients = 1.5', 'config: smtp.max_recipients = 1.5: expected a whole number from 1 to 100000'],
  ['smtp.bare_newline = "accept"', 'config: smtp.bare_newline = "accept": expected "reject" or "normalize"'],
  ['smtp.auth_without_tls = "yes"', 'config: smtp.auth_without_tls = "yes": expected true, false, "never", "loopback" or "always"'],
  ['smtp.command_timeout = 300', 'config: smtp.command_timeout = 300: expected a duration like 300s, 5m, 1h or 5d'],
  ['queue.lifetime = "5 days"', 'config: queue.lifetime = "5 days": expected a duration like 300s, 5m, 1h or 5d'],
  ['store.inline_max_bytes = "lots"', 'config: store.inline_max_bytes = "lots": expected a size like 25MiB'],
  ['queue.min_backoff = "10m"\nqueue.max_backoff = "5m"', 'config: queue.max_backoff = "300s": expected a duration of at least queue.min_backoff (600s)'],
  ['hostname = "mail_server"', 'config: hostname = "mail_server": expected a host name like mail.example.org'],
  ['domains = ["example.org", "bad domain"]', 'config: domains = ["example.org", "bad domain"]: expected a list of domain names like ["example.org"]'],
  ['domains = []', 'config: domains = []: expected at least one domain name'],
  ['log_level = "loud"', 'config: log_level = "loud": expected "fatal" or "error" or "warn" or "info" or "debug" or "trace" or "silent"'],
  ['trusted_networks = ["10.0.0.0/33"]', 'config: trusted_networks = ["10.0.0.0/33"]: expected IP networks like ["127.0.0.0/8", "::1/128"]'],
  ['listen.smtp = "2525"', 'config: listen.smtp = "2525": expected HOST:PORT (like 127.0.0.1:2525 or [::1]:2525) or off'],
  ['listen.smtp = "127.0.0.1:70000"', 'config: listen.smtp = "127.0.0.1:70000": expected HOST:PORT (like 127.0.0.1:2525 or [::1]:2525) or off'],
  ['listen.smtp = "::1:25"', 'config: listen.smtp = "::1:25": expected HOST:PORT (like 127.0.0.1:2525 or [::1]:2525) or off'],
  ['listen.smtp = false', 'config: listen.smtp = false: expected HOST:PORT (like 127.0.0.1:2525 or [::1]:2525) or off'],
  ['user = "bad user"', 'config: user = "bad user": expected a user name like postroom, or a numeric user id'],
  ['tls.cert = "c.pem"', 'config: tls.key = (unset): expected a file path when tls.cert is set'],
  ['smtp.max_mesage_size = "1MiB"', 'config: smtp.max_mesage_size = "1MiB": expected a known key (see docs/configuration.md)'],
  ['[smtp]\nmax_message_size = "big"', 'config: smtp.max_message_size = "big": expected a size like 25MiB (at least 1024 bytes)'],
  ['smtp = 1', 'config: smtp = 1: expected a known key (see docs/configuration.md)'],
  ['hostname = ', `config: ${FILE}:1:12: invalid value`],
  ['pop3.max_line_length = 254', 'config: pop3.max_line_length = 254: expected a whole number from 255 to 1048576'],
  ['pop3.max_auth_line_length = 100', 'config: pop3.max_auth_line_length = 100: expected a whole number from 255 to 1048576'],
  ['pop3.idle_timeout = "9m59s"', 'config: pop3.idle_timeout = "9m59s": expected a duration of at least 10m (RFC 1939 §3)'],
  ['pop3.idle_timeout = 600', 'config: pop3.idle_timeout = 600: expected a duration of at least 10m (RFC 1939 §3)'],
  ['pop3.session_timeout = "10"', 'config: pop3.session_timeout = "10": expected a duration like 300s, 5m, 1h or 5d'],
  ['pop3.max_errors = 0', 'config: pop3.max_errors = 0: expected a whole number from 1 to 10000'],
  ['pop3.max_connections = -1', 'config: pop3.max_connections = -1: expected a whole number from 1 to 1000000'],
  ['pop3.max_connections_per_ip = 0', 'config: pop3.max_connections_per_ip = 0: expected a whole number from 1 to 1000000'],
  ['pop3.auth_failure_delay = "2"', 'config: pop3.auth_failure_delay = "2": expected a duration like 300s, 5m, 1h or 5d'],
  ['pop3.auth_without_tls = "sometimes"', 'config: pop3.auth_without_tls = "sometimes": expected true, false, "never", "loopback" or "always"'],
  ['pop3.apop = "yes"', 'config: pop3.apop = "yes": expected true or false'],
  ['pop3.processes = 0', 'config: pop3.processes = 0: expected a whole number from 1 to 64'],
  ['pop3.processes = 65', 'config: pop3.processes = 65: expected a whole number from 1 to 64'],
  ['pop3.processes = 1.5', 'config: pop3.processes = 1.5: expected a whole number from 1 to 64'],
  ['pop3.processes = "4"', 'config: pop3.processes = "4": expected a whole number from 1 to 64'],
  ['pop3.max_line_length = 20000', 'config: pop3.max_auth_line_length = 12288: expected a whole number of at least pop3.max_line_length (20000)'],
  // The lockout is shared with SMTP: there is no POP3 key of its own.
  ['pop3.auth_lockout_failures = 3', 'config: pop3.auth_lockout_failures = 3: expected a known key (see docs/configuration.md)'],
  ['relay.smarthost = "smtp.test:99999"', 'config: relay.smarthost = "smtp.test:99999": expected a next hop like [mail.example.org]:587, mail.example.org or 192.0.2.1:25'],
  ['relay.smarthost_tls = "maybe"', 'config: relay.smarthost_tls = "maybe": expected "none" or "opportunistic" or "required" or "implicit"'],
  ['relay.smarthost_user = "me"', 'config: relay.smarthost = (unset): expected a next hop when relay.smarthost_* keys are set'],
  ['relay.smarthost = "[s.test]:587"\nrelay.smarthost_user = "me"', 'config: relay.smarthost: expected both user and password_file, or neither'],
  ['[routes]\n"bad domain" = "[127.0.0.1]:25"', 'config: routes."bad domain" = "bad domain": expected a domain name like example.org'],
  ['[routes]\n"x.test" = "[127.0.0.1]:port"', 'config: routes."x.test".host = "[127.0.0.1]:port": expected a next hop like [mail.example.org]:587, mail.example.org or 192.0.2.1:25'],
  ['[routes]\n"x.test" = { tls = "none" }', 'config: routes."x.test" = {…}: expected "host:port" or a table with host = "host:port"'],
  ['[routes]\n"x.test" = { host = "h.test", color = "red" }', 'config: routes."x.test".color = "red": expected a known key: host, tls, user, password_file or ca_file'],
  ['routes = 3', 'config: routes = 3: expected a table of domain = "host:port"'],
  ['queue.concurrency = 0', 'config: queue.concurrency = 0: expected a whole number from 1 to 10000'],
];

for (const [toml, error] of badValues) {
  test(`applyToml refuses ${JSON.stringify(toml)} with one line`, () => {
    assert.throws(
      () => {
        // loadConfig checks the rules that involve more than one key after reading the file
        return checkConfig(applyToml(defaultConfig('/'), toml, FILE));
      },
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.message, error);
        assert.ok(!err.message.includes('\n'));
        return true;
      },
    );
  });
}

const badFlags: [flags: Parameters<typeof applyFlags>[1], error: string][] = [
  [{ smtpListen: 'localhost' }, 'config: --smtp-listen = "localhost": expected HOST:PORT (like 127.0.0.1:2525 or [::1]:2525) or off'],
  [{ hostname: '-x-' }, 'config: --hostname = "-x-": expected a host name like mail.example.org'],
  [{ domain: ['ok.test', 'not ok'] }, 'config: --domain = ["ok.test", "not ok"]: expected a list of domain names like ["example.org"]'],
  [{ logLevel: 'verbose' }, 'config: --log-level = "verbose": expected "fatal" or "error" or "warn" or "info" or "debug" or "trace" or "silent"'],
  [{ webListen: '1.2.3.4:' }, 'config: --web-listen = "1.2.3.4:": expected HOST:PORT (like 127.0.0.1:2525 or [::1]:2525) or off'],
  [{ pop3Processes: 'two' }, 'config: --pop3-processes = "two": expected a whole number from 1 to 64'],
  [{ pop3Processes: '0' }, 'config: --pop3-processes = 0: expected a whole number from 1 to 64'],
];

test('applyFlags: --pop3-processes takes a decimal number', () => {
  assert.equal(applyFlags(defaultConfig('/'), { pop3Processes: '3' }, '/').pop3.processes, 3);
});

for (const [flags, error] of badFlags) {
  test(`applyFlags refuses ${JSON.stringify(flags)} with one line`, () => {
    assert.throws(() => applyFlags(defaultConfig('/'), flags, '/'), { name: 'ConfigError', message: error });
  });
}

test('loadConfig: flags override the file; relative flag paths resolve against the working directory', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'postroom-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'postroom.toml');
  writeFileSync(
    file,
    [
      'data_dir = "store"',
      'hostname = "file.example"',
      'domains = ["file.example"]',
      'log_level = "warn"',
      '[listen]',
      'smtp = "127.0.0.1:25"',
      'submission = "127.0.0.1:587"',
      'pop3s = "127.0.0.1:995"',
      '[smtp]',
      'max_recipients = 7',
    ].join('\n'),
  );
  const fromFile = await loadConfig({ config: file }, '/tmp');
  assert.equal(fromFile.file, file);
  assert.equal(fromFile.dataDir, path.join(dir, 'store'));
  assert.deepEqual(fromFile.listen.smtp, { host: '127.0.0.1', port: 25 });
  assert.deepEqual(fromFile.listen.pop3s, { host: '127.0.0.1', port: 995 });
  const c = await loadConfig(
    { config: file, dataDir: 'elsewhere', hostname: 'flag.example', domain: ['a.test', 'b.test'], smtpListen: 'off', submissionListen: '[::1]:0', logLevel: 'error' },
    '/tmp',
  );
  assert.equal(c.dataDir, '/tmp/elsewhere');
  assert.equal(c.hostname, 'flag.example');
  assert.deepEqual(c.domains, ['a.test', 'b.test']);
  assert.equal(c.listen.smtp, null);
  assert.deepEqual(c.listen.submission, { host: '::1', port: 0 });
  assert.deepEqual(c.listen.pop3s, { host: '127.0.0.1', port: 995 });
  assert.equal(c.logLevel, 'error');
  assert.equal(c.smtp.maxRecipients, 7);
});

test('loadConfig: a missing file is one line naming it', async () => {
  await assert.rejects(loadConfig({ config: '/nonexistent/postroom.toml' }), {
    name: 'ConfigError',
    message: 'config: /nonexistent/postroom.toml: no such file',
  });
});
