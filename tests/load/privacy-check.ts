// The privacy check after a load run, used by `npm run load` and its bounded form alike: the scan of
// privacy-scan.ts over the databases while the processes still run (the WAL files hold the latest
// writes) and again after they stopped (checkpointed into the main files), over every log they
// wrote, and the bots' room-key report from each homeserver's database.
import { join } from 'node:path';
import type { BridgePair } from '../helpers/bridge-pair.ts';
import type { LoadOutcome } from './load-run.ts';
import { writeLogs } from './load-run.ts';
import { botKeyReport, databaseFiles, rowCount, scanForSecrets, type BotKeyReport, type PrivacyReport } from './privacy-scan.ts';

export interface PrivacyOutcome {
  scan: PrivacyReport;
  bots: BotKeyReport[];
  /** Encrypted events in each homeserver's store (the scan read a store that was used). */
  encryptedEvents: number[];
  clean: boolean;
}

export async function scanAfterLoad(pair: BridgePair, o: LoadOutcome): Promise<PrivacyOutcome> {
  const dbs = (): string[] => databaseFiles([...o.dataFiles.homeserverDirs, ...o.dataFiles.bridgeDirs]);
  const secrets = { bodies: o.ledger.bodies(), ...o.secrets };
  const running = scanForSecrets({ ...secrets, files: [...dbs(), ...o.logFiles] });
  await Promise.all([pair.a.bridge.stop(), pair.b.bridge.stop()]);
  await Promise.all([pair.a.hs.stop(), pair.b.hs.stop()]);
  const logDir = join(o.logFiles[0]!, '..');
  const stopped = scanForSecrets({ ...secrets, files: [...dbs(), ...writeLogs(pair, logDir)] });
  const bots = o.bots.map((b) => botKeyReport(join(b.homeserverDir, 'homeserver.db'), b.userId));
  const encryptedEvents = o.dataFiles.homeserverDirs.map((d) => rowCount(join(d, 'homeserver.db'), "events WHERE type = 'm.room.encrypted'"));
  const scan: PrivacyReport = {
    filesScanned: running.filesScanned + stopped.filesScanned, bytesScanned: running.bytesScanned + stopped.bytesScanned,
    needles: running.needles, findings: [...running.findings, ...stopped.findings],
  };
  const clean = scan.findings.length === 0 && bots.every((b) => b.toDeviceMessages + b.deviceKeys + b.oneTimeKeys + b.fallbackKeys === 0);
  return { scan, bots, encryptedEvents, clean };
}
