// `npm run bridge -- [command] --config FILE`
//   (no command)            run the bridge in the foreground; one line on stdout when ready
//   generate-registration   print the appservice registration YAML for the homeserver
//   verify-audit            verify the audit log's hash chain; exit 1 at the first broken link
//   policy-schema           print the JSON Schema institution policies are validated against
import { parseArgs } from 'node:util';
import { ConfigError, loadBridgeConfig, type BridgeConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { PolicyLoadError } from './services/policy.ts';
import { createBridge } from './bridge.ts';
import { loadOrCreateAppserviceTokens, registrationYaml } from './appservice/registration.ts';
import { openBridgeStore, storeKind, StoreOpenError } from './store/open.ts';
import type { Store } from './store/store.ts';
import { AuditService } from './services/audit.ts';
import { systemClock } from './core/clock.ts';
import { CLOCK_OFFSET_ENV, clockOffsetFromEnv, offsetClock } from '../../server-kit/src/clock-offset.ts';
import { policyJsonSchema } from '../../protocol/src/policy.ts';
import { escalationModule } from './escalation/module.ts';
import { feedbackModule } from './feedback/module.ts';
import { figuresModule } from './figures/module.ts';
import { matchingModule } from './matching/module.ts';
import { moderationModule } from './moderation/module.ts';
import { reportModule } from './report/module.ts';
import { supervisionModule } from './supervision/module.ts';
import { trainingModule } from './training/module.ts';

const USAGE = 'usage: npm run bridge -- [generate-registration | verify-audit | policy-schema] --config FILE';

function fail(message: string, code = 2): never {
  process.stderr.write(`bridge: ${message}\n`);
  process.exit(code);
}

function config(file: string | undefined): BridgeConfig {
  if (!file) fail(`--config FILE is required\n${USAGE}`);
  try {
    return loadBridgeConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
}

async function run(cfg: BridgeConfig): Promise<void> {
  const started = performance.now();
  const logger = createLogger(cfg.log_level, { service: 'bridge', server_name: cfg.server_name });
  // Tests of clock skew only: runs the bridge's clock ahead of or behind the machine's.
  let clockOffsetMs = 0;
  try {
    clockOffsetMs = clockOffsetFromEnv();
  } catch (e) {
    fail((e as Error).message);
  }
  if (clockOffsetMs !== 0) logger.warn(`${CLOCK_OFFSET_ENV} is set: the bridge's clock is shifted (for tests only)`, { offset_ms: clockOffsetMs });
  // A bridge process hears the other replicas' wake-ups (PostgreSQL); verify-audit does not need to.
  const store = await openStore(cfg, { replicaSignals: true });
  let bridge;
  try {
    // Supervision nudges the matcher when a supporter's wellbeing break starts or ends.
    const matching = matchingModule();
    bridge = createBridge(cfg, { logger, store, ...(clockOffsetMs !== 0 ? { clock: offsetClock(clockOffsetMs) } : {}), modules: [escalationModule(), figuresModule(), matching, supervisionModule({ onSupporterChange: () => { matching.parts.context.signals.kick(); matching.parts.context.signals.availabilityChanged(); } }), moderationModule(), feedbackModule(), trainingModule(), reportModule()] });
  } catch (e) {
    await store.close();
    if (e instanceof PolicyLoadError) fail(e.message);
    throw e;
  }
  const { port } = await bridge.start();
  process.stdout.write(`peerline bridge ready: server_name=${cfg.server_name} listen=http://${cfg.listen.address}:${port} store=${storeKind(cfg)} startup_ms=${Math.round(performance.now() - started)}\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    bridge.stop().then(() => process.exit(0), (e: unknown) => {
      logger.error('stop failed', { error: (e as Error).message });
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function openStore(cfg: BridgeConfig, opts: { replicaSignals?: boolean } = {}): Promise<Store> {
  try {
    return await openBridgeStore(cfg, opts);
  } catch (e) {
    if (e instanceof StoreOpenError) fail(e.message, 1);
    throw e;
  }
}

async function verifyAudit(cfg: BridgeConfig): Promise<void> {
  const store = await openStore(cfg);
  try {
    const status = await new AuditService({ store: store.audit, clock: systemClock }).verify();
    if (status.ok) {
      process.stdout.write(`audit chain intact: ${status.length} entries, head ${status.head_hash ?? '(empty)'}\n`);
      return;
    }
    process.stdout.write(`audit chain BROKEN at entry ${status.first_break!.seq}: ${status.first_break!.reason} (${status.length} entries verified before it)\n`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [command, ...rest] = parsed.positionals;
  if (rest.length > 0) fail(`unexpected argument '${rest[0]}'\n${USAGE}`);
  switch (command) {
    case undefined:
      return run(config(parsed.values.config));
    case 'generate-registration': {
      const cfg = config(parsed.values.config);
      process.stdout.write(registrationYaml(cfg, loadOrCreateAppserviceTokens(cfg.data_dir)));
      return;
    }
    case 'verify-audit':
      return verifyAudit(config(parsed.values.config));
    case 'policy-schema':
      process.stdout.write(JSON.stringify(policyJsonSchema(), null, 2) + '\n');
      return;
    default:
      fail(`unknown command '${command}'\n${USAGE}`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bridge: failed: ${(e as Error).message}\n`);
  process.exit(1);
});
