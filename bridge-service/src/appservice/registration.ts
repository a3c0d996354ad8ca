// The bridge's appservice registration, in the YAML format Synapse (and the embedded homeserver)
// reads. The as_token and hs_token are random 256-bit secrets created once and kept in the data
// directory (mode 0600), so the registration printed later and the running bridge always agree.
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { newToken } from '../core/tokens.ts';
import type { BridgeConfig } from '../config.ts';

export interface AppserviceTokens {
  as_token: string;
  hs_token: string;
}

export const TOKENS_FILE = 'appservice-tokens.json';

/** Reads the tokens from the data directory, creating them on first use. */
export function loadOrCreateAppserviceTokens(dataDir: string): AppserviceTokens {
  const file = join(dataDir, TOKENS_FILE);
  if (existsSync(file)) {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<AppserviceTokens>;
    if (typeof doc.as_token !== 'string' || typeof doc.hs_token !== 'string' || doc.as_token === '' || doc.hs_token === '') {
      throw new Error(`${file} does not hold as_token and hs_token; remove it to create new tokens (and re-register the bridge)`);
    }
    return { as_token: doc.as_token, hs_token: doc.hs_token };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tokens: AppserviceTokens = { as_token: newToken('plas'), hs_token: newToken('plhs') };
  // Written beside and renamed, so a crash never leaves a half-written file.
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(tokens, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
  return tokens;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The registration document: only the bot's own user id is claimed, exclusively. */
export function registrationDocument(config: BridgeConfig, tokens: AppserviceTokens): Record<string, unknown> {
  return {
    id: config.appservice.id,
    url: config.appservice.url,
    as_token: tokens.as_token,
    hs_token: tokens.hs_token,
    sender_localpart: config.appservice.sender_localpart,
    namespaces: {
      users: [{ exclusive: true, regex: `^${escapeRegex(`@${config.appservice.sender_localpart}:${config.server_name}`)}$` }],
      aliases: [],
      rooms: [],
    },
    rate_limited: false,
    // The bridge never holds an E2EE device; ephemeral data is opt-in for modules that need receipts.
    receive_ephemeral: false,
  };
}

export function registrationYaml(config: BridgeConfig, tokens: AppserviceTokens): string {
  return `# Peerline bridge appservice registration for ${config.server_name}.\n`
    + '# Give this file to the homeserver (Synapse: app_service_config_files). It holds secrets.\n'
    + stringify(registrationDocument(config, tokens));
}
