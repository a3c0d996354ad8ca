// `npm run homeserver -- …`: starts one embedded homeserver in the foreground, prints one line when
// ready, and stops cleanly on SIGTERM/SIGINT.
import { loadConfig, ConfigError } from './config.ts';
import { createLogger } from './logger.ts';
import { createHomeserver } from './app.ts';
import { CLOCK_OFFSET_ENV, clockOffsetFromEnv, offsetClock } from '../../server-kit/src/clock-offset.ts';

async function main(): Promise<void> {
  const started = performance.now();
  let config;
  try {
    config = loadConfig(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`homeserver: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.log_level, { service: 'homeserver', server_name: config.server_name });
  // Tests of clock skew only: runs this server's clock ahead of or behind the machine's.
  let clockOffsetMs: number;
  try {
    clockOffsetMs = clockOffsetFromEnv();
  } catch (e) {
    process.stderr.write(`homeserver: ${(e as Error).message}\n`);
    process.exit(2);
  }
  if (clockOffsetMs !== 0) logger.warn(`${CLOCK_OFFSET_ENV} is set: this server's clock is shifted (for tests only)`, { offset_ms: clockOffsetMs });
  const hs = createHomeserver(config, { logger, ...(clockOffsetMs !== 0 ? { clock: offsetClock(clockOffsetMs) } : {}) });
  const { clientPort, federationPort } = await hs.start();
  const ms = Math.round(performance.now() - started);
  process.stdout.write(
    `peerline homeserver ready: server_name=${config.server_name} client=http://${config.bind_address}:${clientPort} federation=https://${config.bind_address}:${federationPort} startup_ms=${ms}\n`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    hs.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error('stop failed', { error: (e as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`homeserver: failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
