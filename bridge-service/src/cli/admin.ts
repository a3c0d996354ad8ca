// `npm run admin -- <command> …`: operations for an institution admin. Which installation: the
// bridge config (--config FILE or PEERLINE_BRIDGE_CONFIG) gives the bridge's and homeserver's URLs
// and the bridge's data directory; --homeserver-data/--homeserver-config name the embedded
// homeserver's. Commands that talk to a running installation authenticate as an admin from the
// environment (PEERLINE_ADMIN_TOKEN, or PEERLINE_ADMIN_USER + PEERLINE_ADMIN_PASSWORD); no token is
// ever printed. Exit codes: 0 done, 1 failed (or audit chain broken), 2 wrong usage.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ConfigError, loadBridgeConfig, type BridgeConfig } from '../config.ts';
import { DATABASE_FILE } from '../store/sqlite/index.ts';
import { AdminError, AdminSession, endpointsFrom } from './admin-session.ts';
import { createRegistrationToken, formatTokenTable, listRegistrationTokens, parseExpiry, revokeRegistrationToken } from './registration-tokens.ts';
import { importRoster } from './roster-import.ts';
import { describeVerdict, verifyAuditFile, verifyAuditInStore, verifyAuditOnline } from './audit-verify.ts';
import { describeDatabaseUrl } from '../store/open.ts';
import { fetchFigures, figuresCsv } from './figures-export.ts';
import { rotateAppserviceTokens } from './rotate-tokens.ts';
import { backup, checkRestore, readManifest, restorePart, type BackupSource, type PartName } from './backup.ts';

export const USAGE = `usage: npm run admin -- <command> [options]

  registration-token create [--uses N] [--expires YYYY-MM-DD]   new homeserver registration token (printed)
  registration-token list [--valid | --invalid]
  registration-token revoke TOKEN
  roster import FILE.csv [--dry-run]          supporters/counsellors; all lines applied or none
  audit verify [--db FILE | --online]         verify the audit hash chain; exit 1 naming a broken entry
  figures export --out FILE.csv [--from DATE] [--to DATE]
  rotate-tokens --registration FILE           new as_token/hs_token (registration file + bridge data)
  backup --out DIR                            online copy of homeserver and bridge data, keys, config
  restore --from DIR [--homeserver-data DIR] [--bridge-data DIR] [--force]

installation:
  --config FILE             bridge config (or PEERLINE_BRIDGE_CONFIG): URLs, bridge data, policy
  --homeserver URL          homeserver client API (default: homeserver_url of the bridge config)
  --bridge URL              bridge API (default: the bridge config's listen address)
  --homeserver-data DIR     embedded homeserver's data directory (or PEERLINE_HOMESERVER_DATA)
  --homeserver-config FILE  embedded homeserver's config (its data_dir is used; copied into backups)

credentials (environment): PEERLINE_ADMIN_TOKEN, or PEERLINE_ADMIN_USER and PEERLINE_ADMIN_PASSWORD
`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  homeserver: { type: 'string' },
  bridge: { type: 'string' },
  'homeserver-data': { type: 'string' },
  'homeserver-config': { type: 'string' },
  'bridge-data': { type: 'string' },
  registration: { type: 'string' },
  uses: { type: 'string' },
  expires: { type: 'string' },
  valid: { type: 'boolean' },
  invalid: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  db: { type: 'string' },
  online: { type: 'boolean' },
  out: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const usage = (message: string): AdminError => new AdminError(`${message}\n\n${USAGE}`, 2);

function bridgeConfig(v: Values, env: NodeJS.ProcessEnv, required: boolean): BridgeConfig | null {
  const file = v.config ?? env['PEERLINE_BRIDGE_CONFIG'];
  if (!file) {
    if (required) throw usage('this command needs the bridge config: --config FILE (or PEERLINE_BRIDGE_CONFIG)');
    return null;
  }
  try {
    return loadBridgeConfig(file, env);
  } catch (e) {
    if (e instanceof ConfigError) throw new AdminError(e.message, 2);
    throw e;
  }
}

function homeserverDataDir(v: Values, env: NodeJS.ProcessEnv): string | null {
  const dir = v['homeserver-data'] ?? env['PEERLINE_HOMESERVER_DATA'];
  if (dir) return resolve(dir);
  const file = v['homeserver-config'];
  if (!file) return null;
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new AdminError(`cannot read homeserver config ${file}: ${(e as Error).message.split('\n')[0]}`, 2);
  }
  const d = (doc as { data_dir?: unknown } | null)?.data_dir;
  if (typeof d !== 'string') throw new AdminError(`homeserver config ${file} has no data_dir; give --homeserver-data DIR`, 2);
  return resolve(d);
}

function positiveInt(name: string, text: string | undefined): number | null {
  if (text === undefined) return null;
  if (!/^\d+$/.test(text)) throw usage(`--${name}: expected a whole number, found '${text}'`);
  return Number(text);
}

/** Runs one command; output goes to `out`, returns the exit code. */
/**
 * Registration tokens may start with '-' ([A-Za-z0-9._~-]): the token after `registration-token
 * revoke` is always the positional, so it is passed behind '--' rather than read as an option.
 */
function tokenAsPositional(argv: readonly string[]): string[] {
  const i = argv.findIndex((a, k) => a === 'revoke' && argv[k - 1] === 'registration-token');
  if (i < 0 || i + 1 >= argv.length || !argv[i + 1]!.startsWith('-') || argv[i + 1] === '--') return [...argv];
  return [...argv.slice(0, i + 1), ...argv.slice(i + 2), '--', argv[i + 1]!];
}

export async function runAdmin(argv: readonly string[], io: { out: (s: string) => void; env: NodeJS.ProcessEnv } = { out: (s) => process.stdout.write(s), env: process.env }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: tokenAsPositional(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw usage((e as Error).message);
  }
  const v = parsed.values;
  const [command, sub, ...rest] = parsed.positionals;
  if (v.help || command === undefined || command === 'help') {
    io.out(USAGE);
    return 0;
  }
  const noMore = (args: readonly (string | undefined)[]): void => {
    const extra = args.filter((a) => a !== undefined);
    if (extra.length > 0) throw usage(`unexpected argument '${extra[0]}'`);
  };
  const session = (): AdminSession => new AdminSession(endpointsFrom(bridgeConfig(v, io.env, false), { homeserver: v.homeserver, bridge: v.bridge }), io.env);
  const withSession = async <T>(fn: (s: AdminSession) => Promise<T>): Promise<T> => {
    const s = session();
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  };

  switch (command) {
    case 'registration-token': {
      if (sub === 'create') {
        noMore(rest);
        const uses = positiveInt('uses', v.uses);
        const expires = v.expires ? parseExpiry(v.expires) : null;
        const t = await withSession((s) => createRegistrationToken(s, { uses, expires }));
        io.out(`${t.token}\n`);
        io.out(`# uses allowed: ${t.uses_allowed ?? 'unlimited'}; expires: ${t.expiry_time === null ? 'never' : new Date(t.expiry_time).toISOString()}\n`);
        return 0;
      }
      if (sub === 'list') {
        noMore(rest);
        if (v.valid && v.invalid) throw usage('give --valid or --invalid, not both');
        const tokens = await withSession((s) => listRegistrationTokens(s, v.valid ? true : v.invalid ? false : undefined));
        io.out(formatTokenTable(tokens));
        return 0;
      }
      if (sub === 'revoke') {
        const [token, ...more] = rest;
        if (!token) throw usage('registration-token revoke needs the TOKEN');
        noMore(more);
        await withSession((s) => revokeRegistrationToken(s, token));
        io.out(`revoked ${token}\n`);
        return 0;
      }
      throw usage(`registration-token: expected create, list or revoke, found '${sub ?? ''}'`);
    }
    case 'roster': {
      if (sub !== 'import') throw usage(`roster: expected import, found '${sub ?? ''}'`);
      const [file, ...more] = rest;
      if (!file) throw usage('roster import needs the CSV FILE');
      noMore(more);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new AdminError(`cannot read ${file}: ${(e as Error).message}`, 2);
      }
      const dryRun = v['dry-run'] ?? false;
      const report = await withSession((s) => importRoster(s, text, file, dryRun));
      for (const l of report.lines) io.out(`line ${l.line}: ${l.role} ${l.user_id} — ${dryRun ? `would ${l.change}` : l.change === 'add' ? 'added' : 'updated'}\n`);
      io.out(dryRun ? `dry run: ${report.lines.length} line(s) are valid; nothing was applied\n` : `applied ${report.lines.length} line(s)\n`);
      return 0;
    }
    case 'audit': {
      if (sub !== 'verify') throw usage(`audit: expected verify, found '${sub ?? ''}'`);
      noMore(rest);
      if (v.online) {
        const verdict = await withSession((s) => verifyAuditOnline(s));
        io.out(describeVerdict(verdict, 'running bridge'));
        return verdict.ok ? 0 : 1;
      }
      const cfg = v.db ? null : bridgeConfig(v, io.env, true)!;
      if (cfg?.database_url) {
        // The store is on PostgreSQL: read the chain there (a stopped bridge is not needed).
        const source = describeDatabaseUrl(cfg.database_url);
        const verdict = await verifyAuditInStore(cfg);
        io.out(describeVerdict(verdict, source));
        return verdict.ok ? 0 : 1;
      }
      const dbFile = v.db ?? join(cfg!.data_dir, DATABASE_FILE);
      const verdict = verifyAuditFile(dbFile);
      io.out(describeVerdict(verdict, dbFile));
      return verdict.ok ? 0 : 1;
    }
    case 'figures': {
      if (sub !== 'export') throw usage(`figures: expected export, found '${sub ?? ''}'`);
      noMore(rest);
      if (!v.out) throw usage('figures export needs --out FILE.csv');
      const report = await withSession((s) => fetchFigures(s, { from: v.from, to: v.to }));
      const tmp = `${v.out}.tmp-${process.pid}`;
      writeFileSync(tmp, figuresCsv(report));
      renameSync(tmp, v.out);
      io.out(`wrote ${report.cells.length} row(s) (${report.from} to ${report.to}, weeks in ${report.time_zone}; cells under ${report.minimum_cell_count} suppressed) to ${v.out}\n`);
      return 0;
    }
    case 'rotate-tokens': {
      noMore([sub, ...rest]);
      const cfg = bridgeConfig(v, io.env, true)!;
      if (!v.registration) throw usage('rotate-tokens needs --registration FILE (the registration file the homeserver reads)');
      const r = rotateAppserviceTokens(cfg, v.registration);
      io.out(`new as_token and hs_token written to ${r.registrationFile} and ${r.tokensFile}\n`
        + 'both running processes still use the old tokens; restart now, in this order:\n'
        + '  1. the homeserver (it reads appservice registrations only at start; for Synapse, the same file under app_service_config_files)\n'
        + '  2. the bridge\n');
      return 0;
    }
    case 'backup': {
      noMore([sub, ...rest]);
      if (!v.out) throw usage('backup needs --out DIR');
      const sources: BackupSource[] = [];
      const cfg = bridgeConfig(v, io.env, false);
      if (cfg) sources.push({ part: 'bridge', dataDir: cfg.data_dir, configFiles: [cfg.file, cfg.policy_file, ...(v.registration ? [v.registration] : [])] });
      const hsData = homeserverDataDir(v, io.env);
      if (hsData) sources.push({ part: 'homeserver', dataDir: hsData, configFiles: v['homeserver-config'] ? [v['homeserver-config']] : [] });
      const m = backup(sources, v.out);
      for (const [part, p] of Object.entries(m.parts)) io.out(`${part}: ${p.files.length} data file(s) from ${p.source_data_dir}, ${p.config_files.length} config file(s)\n`);
      if (cfg?.database_url) {
        io.out(`the bridge's store is in PostgreSQL (${describeDatabaseUrl(cfg.database_url)}) and is not in this backup: back it up with pg_dump (see synapse-config/README.md, Backups)\n`);
      }
      io.out(`backup written to ${resolve(v.out)} (holds signing keys and tokens: keep it private)\n`);
      return 0;
    }
    case 'restore': {
      noMore([sub, ...rest]);
      if (!v.from) throw usage('restore needs --from DIR');
      const m = readManifest(v.from);
      const cfg = v['bridge-data'] ? null : bridgeConfig(v, io.env, false);
      const targets: Record<PartName, string | null> = {
        homeserver: homeserverDataDir(v, io.env) ?? m.parts.homeserver?.source_data_dir ?? null,
        bridge: v['bridge-data'] ? resolve(v['bridge-data']) : cfg?.data_dir ?? m.parts.bridge?.source_data_dir ?? null,
      };
      const parts = (['bridge', 'homeserver'] as const).filter((p) => m.parts[p]);
      if (parts.length === 0) throw new AdminError(`${v.from} holds no data`, 2);
      // Every part is checked before any is written: a refusal leaves everything as it was.
      const plans = parts.map((part) => {
        if (!targets[part]) throw usage(`where should the ${part} data go? give --${part}-data DIR`);
        return checkRestore(v.from!, part, m.parts[part]!, targets[part], { force: v.force ?? false });
      });
      for (const [i, part] of parts.entries()) {
        const r = restorePart(v.from, part, m.parts[part]!, plans[i]!);
        io.out(`${part}: restored ${r.files} file(s) into ${r.target}${r.movedAside ? ` (the data that was there is now in ${r.movedAside})` : ''}\n`);
      }
      const configs = parts.filter((p) => m.parts[p]!.config_files.length > 0).map((p) => join(resolve(v.from!), p, 'config'));
      if (configs.length > 0) io.out(`configuration files from the backup (not restored automatically): ${configs.join(', ')}\n`);
      io.out('start the homeserver, then the bridge\n');
      return 0;
    }
    default:
      throw usage(`unknown command '${command}'`);
  }
}

async function main(): Promise<void> {
  try {
    process.exitCode = await runAdmin(process.argv.slice(2));
  } catch (e) {
    if (e instanceof AdminError) {
      process.stderr.write(`admin: ${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`admin: failed: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

void main();
