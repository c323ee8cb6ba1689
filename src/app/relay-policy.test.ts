import test from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { applyToml, checkConfig, ConfigError, defaultConfig } from './config.js';
import { relayPolicy } from './wiring.js';
import { tempDir } from '../testing/app-cli.js';
import type { DnsResolver } from '../mta/index.js';

const noDns: DnsResolver = {
  resolveMx: () => Promise.reject(new Error('no DNS in tests')),
  resolve4: () => Promise.reject(new Error('no DNS in tests')),
  resolve6: () => Promise.reject(new Error('no DNS in tests')),
};

test('relayPolicy reads the smarthost\'s password file and a route\'s CA file when the server starts', (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'pw'), 'secret words\n');
  writeFileSync(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const file = path.join(dir, 'postroom.toml');
  const config = checkConfig(
    applyToml(
      defaultConfig(dir),
      'relay.smarthost = "[smtp.provider.test]:587"\nrelay.smarthost_tls = "required"\nrelay.smarthost_user = "me"\nrelay.smarthost_password_file = "pw"\n' +
        '[routes."partner.test"]\nhost = "[192.0.2.25]:25"\ntls = "required"\nca_file = "ca.pem"\n',
      file,
    ),
  );
  const p = relayPolicy(config, noDns);
  assert.deepEqual(p.smarthost, { host: 'smtp.provider.test', port: 587, mx: false, tls: 'required', auth: { user: 'me', pass: 'secret words' } });
  assert.match(p.routes.get('partner.test')?.ca ?? '', /BEGIN CERTIFICATE/);
  assert.equal(p.mxPort, 25);
  assert.equal(p.mxTls, 'opportunistic');
});

test('relayPolicy stops the start with one line naming the key when a file it names cannot be read', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'postroom.toml');
  const config = checkConfig(applyToml(defaultConfig(dir), 'relay.smarthost = "[s.test]:587"\nrelay.smarthost_user = "me"\nrelay.smarthost_password_file = "missing"\n', file));
  assert.throws(() => relayPolicy(config, noDns), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.message, `config: relay.smarthost_password_file = ${JSON.stringify(path.join(dir, 'missing'))}: no such file`);
    return true;
  });
});
