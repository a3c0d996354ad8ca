// `admin rotate-tokens --registration FILE`: new as_token and hs_token for the bridge. Both places
// that hold them are rewritten — the bridge's data directory (appservice-tokens.json) and the
// registration file the homeserver reads — each by writing a new file beside it, fsyncing and
// renaming over, so neither is ever half-written. Running processes keep the old tokens in memory
// until restarted: the homeserver (embedded or Synapse) reads registrations only at start, the
// bridge its tokens only at start, so both are restarted afterwards (homeserver first).
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { newToken } from '../core/tokens.ts';
import { registrationYaml, TOKENS_FILE, type AppserviceTokens } from '../appservice/registration.ts';
import type { BridgeConfig } from '../config.ts';
import { AdminError } from './admin-session.ts';

function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function rotateAppserviceTokens(config: BridgeConfig, registrationFile: string): { registrationFile: string; tokensFile: string } {
  if (existsSync(registrationFile)) {
    let doc: unknown;
    try {
      doc = parse(readFileSync(registrationFile, 'utf8'));
    } catch (e) {
      throw new AdminError(`${registrationFile} is not valid YAML (${(e as Error).message.split('\n')[0]}); not touched`);
    }
    const id = (doc as { id?: unknown } | null)?.id;
    if (id !== config.appservice.id) {
      throw new AdminError(`${registrationFile} is the registration of '${String(id)}', not of this bridge ('${config.appservice.id}'); not touched`);
    }
  }
  const tokens: AppserviceTokens = { as_token: newToken('plas'), hs_token: newToken('plhs') };
  const tokensFile = join(config.data_dir, TOKENS_FILE);
  // Registration first: if the second write fails, running again rotates both once more.
  writeFileAtomic(registrationFile, registrationYaml(config, tokens));
  writeFileAtomic(tokensFile, JSON.stringify(tokens, null, 2) + '\n');
  return { registrationFile, tokensFile };
}
