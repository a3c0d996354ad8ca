// Homeserver settings: from command-line flags and/or a YAML file (`--config FILE`; flags win).
// Every setting is checked at start; an unknown or malformed one stops the server with a message
// naming it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { yamlModule } from './core/lazy-modules.ts';
import { isValidServerName } from './core/ids.ts';

export interface RateLimitSetting {
  /** Sustained requests per second. */
  per_second: number;
  /** Requests allowed in a burst. */
  burst_count: number;
}

export interface HomeserverConfig {
  server_name: string;
  bind_address: string;
  client_port: number;
  federation_port: number;
  data_dir: string;
  registration_shared_secret: string | null;
  enable_registration: boolean;
  registration_requires_token: boolean;
  app_service_config_files: string[];
  /** Largest accepted JSON request body in bytes. */
  max_request_body_bytes: number;
  rc_message: RateLimitSetting;
  rc_login: RateLimitSetting;
  rc_registration: RateLimitSetting;
  /** fsync every commit (FULL). Turning it off is for throwaway test data only. */
  durable_commits: boolean;
  log_level: 'debug' | 'info' | 'warn' | 'error';
  /** How long an access token stays valid, in ms; null = until logout. */
  access_token_lifetime_ms: number | null;
  public_baseurl: string | null;
  /** PEM certificate (chain) and key of the federation listener; null = self-signed development pair in data_dir. */
  tls_certificate_path: string | null;
  tls_private_key_path: string | null;
  /** Server names (or hosts, `*.domain` globs) whose federation certificates are accepted unverified — development only. */
  federation_insecure_skip_verify_for: string[];
  /** PEM bundle of CAs trusted for federation in addition to the system's. */
  federation_ca_file: string | null;
  /** When set, the only servers we federate with (Synapse's setting); null = any server. */
  federation_domain_whitelist: string[] | null;
  /** Notaries asked for a server's keys when it cannot be reached (Synapse's setting). */
  trusted_key_servers: TrustedKeyServer[];
  /** First wait before re-sending a failed federation transaction, in ms; doubles per failure. */
  federation_retry_initial_ms: number;
  /** Longest wait between federation transaction retries to one server, in ms. */
  federation_retry_max_ms: number;
  /** How long one outgoing federation transaction may take before it counts as failed and is retried, in ms. */
  federation_transaction_timeout_ms: number;
  /** Send device display names to other servers (Synapse's setting; off: names can identify people). */
  allow_device_name_lookup_over_federation: boolean;
  /** How often events past their room's m.room.retention max_lifetime are pruned, in ms. */
  retention_interval_ms: number;
}

export interface TrustedKeyServer {
  server_name: string;
  /** The notary's verify keys (key id → unpadded base64); fetched from it when absent. */
  verify_keys?: Record<string, string>;
}

export class ConfigError extends Error {}

const DEFAULTS: Omit<HomeserverConfig, 'server_name' | 'data_dir'> = {
  bind_address: '127.0.0.1',
  client_port: 8008,
  federation_port: 8448,
  registration_shared_secret: null,
  enable_registration: false,
  registration_requires_token: true,
  app_service_config_files: [],
  max_request_body_bytes: 1024 * 1024,
  rc_message: { per_second: 10, burst_count: 50 },
  rc_login: { per_second: 0.5, burst_count: 10 },
  rc_registration: { per_second: 0.2, burst_count: 5 },
  durable_commits: true,
  log_level: 'info',
  access_token_lifetime_ms: null,
  public_baseurl: null,
  allow_device_name_lookup_over_federation: false,
  retention_interval_ms: 3_600_000,
  tls_certificate_path: null,
  tls_private_key_path: null,
  federation_insecure_skip_verify_for: [],
  federation_ca_file: null,
  federation_domain_whitelist: null,
  trusted_key_servers: [],
  federation_retry_initial_ms: 1_000,
  federation_retry_max_ms: 3_600_000,
  federation_transaction_timeout_ms: 60_000,
};

type Kind = 'string' | 'port' | 'bool' | 'strings' | 'ratelimit' | 'posint' | 'loglevel' | 'nullable-posint' | 'nullable-string'
  | 'nullable-strings' | 'keyservers';

const SCHEMA: Record<keyof HomeserverConfig, Kind> = {
  server_name: 'string',
  bind_address: 'string',
  client_port: 'port',
  federation_port: 'port',
  data_dir: 'string',
  registration_shared_secret: 'nullable-string',
  enable_registration: 'bool',
  registration_requires_token: 'bool',
  app_service_config_files: 'strings',
  max_request_body_bytes: 'posint',
  rc_message: 'ratelimit',
  rc_login: 'ratelimit',
  rc_registration: 'ratelimit',
  durable_commits: 'bool',
  log_level: 'loglevel',
  access_token_lifetime_ms: 'nullable-posint',
  public_baseurl: 'nullable-string',
  allow_device_name_lookup_over_federation: 'bool',
  retention_interval_ms: 'posint',
  tls_certificate_path: 'nullable-string',
  tls_private_key_path: 'nullable-string',
  federation_insecure_skip_verify_for: 'strings',
  federation_ca_file: 'nullable-string',
  federation_domain_whitelist: 'nullable-strings',
  trusted_key_servers: 'keyservers',
  federation_retry_initial_ms: 'posint',
  federation_retry_max_ms: 'posint',
  federation_transaction_timeout_ms: 'posint',
};

function check(name: string, kind: Kind, v: unknown, source: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError(`setting '${name}' (${source}): expected ${expected}, got ${JSON.stringify(v)}`);
  };
  switch (kind) {
    case 'string':
      if (typeof v !== 'string' || v === '') fail('a non-empty string');
      return v;
    case 'nullable-string':
      if (v === null) return null;
      if (typeof v !== 'string' || v === '') fail('a non-empty string or null');
      return v;
    case 'port': {
      const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) fail('a port number 0-65535');
      return n;
    }
    case 'posint':
    case 'nullable-posint': {
      if (kind === 'nullable-posint' && v === null) return null;
      const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) fail('a positive integer');
      return n;
    }
    case 'bool':
      if (v === 'true') return true;
      if (v === 'false') return false;
      if (typeof v !== 'boolean') fail('true or false');
      return v;
    case 'strings':
    case 'nullable-strings':
      if (kind === 'nullable-strings' && v === null) return null;
      if (typeof v === 'string') return [v];
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail('a list of strings');
      return v;
    case 'keyservers': {
      // Synapse's form: [{server_name, verify_keys: {key id: base64}}]; a bare name is accepted too.
      const list = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(list)) fail('a list of {server_name, verify_keys}');
      return (list as unknown[]).map((item, i): TrustedKeyServer => {
        const o = typeof item === 'string' ? { server_name: item } : item;
        if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ConfigError(`setting '${name}[${i}]' (${source}): expected {server_name, verify_keys}`);
        const rec = o as Record<string, unknown>;
        for (const k of Object.keys(rec)) {
          if (k !== 'server_name' && k !== 'verify_keys') throw new ConfigError(`setting '${name}[${i}].${k}' (${source}) is not a known setting`);
        }
        const sn = rec['server_name'];
        if (typeof sn !== 'string' || !isValidServerName(sn)) throw new ConfigError(`setting '${name}[${i}].server_name' (${source}): expected a server name, got ${JSON.stringify(sn)}`);
        const vk = rec['verify_keys'];
        if (vk === undefined || vk === null) return { server_name: sn };
        if (typeof vk !== 'object' || Array.isArray(vk) || !Object.entries(vk).every(([id, key]) => id.startsWith('ed25519:') && typeof key === 'string')) {
          throw new ConfigError(`setting '${name}[${i}].verify_keys' (${source}): expected a mapping of ed25519 key ids to base64 keys`);
        }
        return { server_name: sn, verify_keys: vk as Record<string, string> };
      });
    }
    case 'loglevel':
      if (!['debug', 'info', 'warn', 'error'].includes(v as string)) fail('one of debug, info, warn, error');
      return v;
    case 'ratelimit': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('{per_second, burst_count}');
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (k !== 'per_second' && k !== 'burst_count') {
          throw new ConfigError(`setting '${name}.${k}' (${source}) is not a known setting`);
        }
      }
      const ps = o['per_second'];
      const bc = o['burst_count'];
      if (typeof ps !== 'number' || !(ps > 0)) fail('per_second > 0');
      if (typeof bc !== 'number' || !Number.isInteger(bc) || bc < 1) fail('burst_count a positive integer');
      return { per_second: ps, burst_count: bc };
    }
  }
}

const FLAG_TO_SETTING: Record<string, keyof HomeserverConfig> = Object.fromEntries(
  Object.keys(SCHEMA).map((k) => [k.replace(/_/g, '-'), k as keyof HomeserverConfig]),
);
// Short forms people expect.
FLAG_TO_SETTING['appservice'] = 'app_service_config_files';

/** Parses argv (`--name value`, `--flag`, `--config FILE`) and an optional YAML file into a checked config. */
export function loadConfig(argv: readonly string[]): HomeserverConfig {
  const fromFlags: Record<string, unknown> = {};
  let configFile: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument '${arg}' (settings are given as --name value)`);
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (name === 'config') {
      configFile = value ?? argv[++i] ?? null;
      if (!configFile) throw new ConfigError("setting '--config' needs a file path");
      continue;
    }
    const setting = FLAG_TO_SETTING[name];
    if (!setting) throw new ConfigError(`unknown setting '--${name}'`);
    if (value === undefined) {
      const next = argv[i + 1];
      if (SCHEMA[setting] === 'bool' && (next === undefined || next.startsWith('--'))) value = 'true';
      else value = argv[++i];
    }
    if (value === undefined) throw new ConfigError(`setting '--${name}' needs a value`);
    if (SCHEMA[setting] === 'strings' || SCHEMA[setting] === 'nullable-strings' || SCHEMA[setting] === 'keyservers') {
      fromFlags[setting] = [...((fromFlags[setting] as string[] | undefined) ?? []), value];
    } else if (SCHEMA[setting] === 'ratelimit') {
      throw new ConfigError(`setting '--${name}' can only be given in the config file`);
    } else {
      fromFlags[setting] = value;
    }
  }
  let fromFile: Record<string, unknown> = {};
  if (configFile) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${configFile}: ${(e as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = yamlModule().parse(text);
    } catch (e) {
      throw new ConfigError(`config file ${configFile} is not valid YAML: ${(e as Error).message}`);
    }
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new ConfigError(`config file ${configFile} must hold a mapping of settings`);
    }
    fromFile = (parsed ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(fromFile)) {
      if (!(k in SCHEMA)) throw new ConfigError(`unknown setting '${k}' in ${configFile}`);
    }
  }
  const out: Record<string, unknown> = { ...DEFAULTS };
  for (const [k, v] of Object.entries(fromFile)) out[k] = check(k, SCHEMA[k as keyof HomeserverConfig], v, configFile!);
  for (const [k, v] of Object.entries(fromFlags)) out[k] = check(k, SCHEMA[k as keyof HomeserverConfig], v, 'command line');
  if (typeof out['server_name'] !== 'string') throw new ConfigError("setting 'server_name' is required (--server-name)");
  if (!isValidServerName(out['server_name'])) {
    throw new ConfigError(`setting 'server_name': '${out['server_name']}' is not a valid Matrix server name`);
  }
  if (typeof out['data_dir'] !== 'string') throw new ConfigError("setting 'data_dir' is required (--data-dir)");
  out['data_dir'] = resolve(out['data_dir']);
  if (configFile) {
    out['app_service_config_files'] = (out['app_service_config_files'] as string[]).map((f) => resolve(f));
  }
  return out as unknown as HomeserverConfig;
}
