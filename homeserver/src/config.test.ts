import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'peerline-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
/** Writes a YAML config file and returns its path. */
function yamlFile(text: string): string {
  const p = join(dir, `config-${++fileNo}.yaml`);
  writeFileSync(p, text);
  return p;
}

const BASE = ['--server-name', 'school.example', '--data-dir', dir];

/** The ConfigError loadConfig throws for these arguments (fails the test when none is thrown). */
function errorFor(argv: string[]): ConfigError {
  try {
    loadConfig(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(argv)}) did not fail`);
}

describe('loadConfig', () => {
  it('applies defaults and reads flags, both --name value and --name=value', () => {
    const c = loadConfig([...BASE, '--client-port=9008', '--federation-port', '9448', '--enable-registration', '--registration-requires-token', 'false']);
    expect(c.server_name).toBe('school.example');
    expect(c.data_dir).toBe(resolve(dir));
    expect(c.client_port).toBe(9008);
    expect(c.federation_port).toBe(9448);
    expect(c.enable_registration).toBe(true);
    expect(c.registration_requires_token).toBe(false);
    expect(c.rc_login).toEqual({ per_second: 0.5, burst_count: 10 });
    expect(c.log_level).toBe('info');
  });

  it('rejects an unknown flag, naming it', () => {
    expect(errorFor([...BASE, '--no-such-setting', '1']).message).toContain("'--no-such-setting'");
  });

  it('rejects a flag without its value, naming it', () => {
    expect(errorFor([...BASE, '--client-port']).message).toContain("'--client-port'");
  });

  it('rejects a positional argument', () => {
    expect(errorFor([...BASE, 'stray']).message).toContain("'stray'");
  });

  it.each([['abc'], ['70000'], ['-1'], ['80.5']])('rejects the malformed port %s, naming client_port', (port) => {
    const e = errorFor([...BASE, '--client-port', port]);
    expect(e.message).toContain("'client_port'");
    expect(e.message).toContain('port number');
  });

  it('rejects a malformed boolean and log level, naming each setting', () => {
    expect(errorFor([...BASE, '--enable-registration', 'maybe']).message).toContain("'enable_registration'");
    expect(errorFor([...BASE, '--log-level', 'loud']).message).toContain("'log_level'");
  });

  it('rejects an unknown key in the YAML file, naming the key and the file', () => {
    const file = yamlFile('server_name: school.example\nclinet_port: 8008\n');
    const e = errorFor(['--config', file, '--data-dir', dir]);
    expect(e.message).toContain("'clinet_port'");
    expect(e.message).toContain(file);
  });

  it('rejects a malformed port in the YAML file, naming the setting and the file', () => {
    const file = yamlFile('server_name: school.example\nfederation_port: "eighty"\n');
    const e = errorFor(['--config', file, '--data-dir', dir]);
    expect(e.message).toContain("'federation_port'");
    expect(e.message).toContain(file);
  });

  it.each([
    ['a list instead of a mapping', 'rc_message: [1, 2]', "'rc_message'"],
    ['a missing burst_count', 'rc_message:\n  per_second: 1', "'rc_message'"],
    ['a zero per_second', 'rc_login:\n  per_second: 0\n  burst_count: 3', "'rc_login'"],
    ['a fractional burst_count', 'rc_registration:\n  per_second: 1\n  burst_count: 2.5', "'rc_registration'"],
    ['an unknown key inside it', 'rc_message:\n  per_second: 1\n  burst_count: 2\n  burst: 4', "'rc_message.burst'"],
  ])('rejects a rate limit with %s, naming the setting', (_what, yaml, named) => {
    const e = errorFor(['--config', yamlFile(`server_name: school.example\n${yaml}\n`), '--data-dir', dir]);
    expect(e.message).toContain(named);
  });

  it('refuses rate limits as flags (they have two parts), naming the flag', () => {
    expect(errorFor([...BASE, '--rc-message', '5']).message).toContain("'--rc-message'");
  });

  it('reads a well-formed rate limit from the file', () => {
    const c = loadConfig(['--config', yamlFile('server_name: school.example\nrc_message:\n  per_second: 2.5\n  burst_count: 7\n'), '--data-dir', dir]);
    expect(c.rc_message).toEqual({ per_second: 2.5, burst_count: 7 });
  });

  it('lets flags override the file, whatever their order', () => {
    const file = yamlFile('server_name: from-file.example\nclient_port: 1111\nlog_level: debug\nenable_registration: true\n');
    const before = loadConfig(['--client-port', '2222', '--config', file, '--data-dir', dir]);
    const after = loadConfig(['--config', file, '--client-port', '2222', '--enable-registration', 'false', '--data-dir', dir]);
    for (const c of [before, after]) {
      expect(c.client_port).toBe(2222);
      expect(c.server_name).toBe('from-file.example');
      expect(c.log_level).toBe('debug');
    }
    expect(after.enable_registration).toBe(false);
    expect(before.enable_registration).toBe(true);
  });

  it('requires server_name and data_dir, naming each', () => {
    expect(errorFor(['--data-dir', dir]).message).toContain("'server_name'");
    expect(errorFor(['--server-name', 'school.example']).message).toContain("'data_dir'");
  });

  it('rejects an invalid server name, naming the setting', () => {
    expect(errorFor(['--server-name', 'bad name!', '--data-dir', dir]).message).toContain("'server_name'");
  });

  it('names the config file it cannot read or parse', () => {
    const missing = join(dir, 'missing.yaml');
    expect(errorFor(['--config', missing, '--data-dir', dir]).message).toContain(missing);
    const broken = yamlFile('server_name: [unclosed\n');
    expect(errorFor(['--config', broken, '--data-dir', dir]).message).toContain(broken);
  });
});
