// Privacy at rest and in logs, after a load run: every database file (homeserver.db and bridge.sqlite
// with their WAL and shared-memory files) and every log the processes wrote is searched for the
// plaintext of every message sent, every access token, bridge session token and password of the run.
// Each message body carries a random 128-bit marker, searched for on its own too, so that a body
// stored in pieces or escaped still shows. And the bridge's bot was never sent a room key: no
// to-device message addressed to it waits in the homeserver's store, and it has no device keys
// (without them no client can encrypt a room key to it).
//
// The scanner reports where it found what, never the secret itself.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export type SecretKind = 'message plaintext' | 'access token' | 'bridge session token' | 'password';

export interface PrivacyInput {
  bodies: string[];
  accessTokens: string[];
  sessionTokens: string[];
  passwords: string[];
  /** Database files and logs to read. */
  files: string[];
}

export interface PrivacyFinding { kind: SecretKind; file: string; count: number }

export interface PrivacyReport {
  filesScanned: number;
  bytesScanned: number;
  needles: Record<SecretKind, number>;
  findings: PrivacyFinding[];
}

/** The database files of the run's data directories (main file, WAL, shared memory). */
export function databaseFiles(dirs: string[]): string[] {
  const out: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (/\.(db|sqlite)(-wal|-shm|-journal)?$/.test(name) && statSync(join(dir, name)).isFile()) out.push(join(dir, name));
    }
  }
  return out;
}

/** The random marker in a load message body (see Ledger.body); the body itself when it has none. */
export function markerOf(body: string): string {
  return /[0-9a-f]{32}/.exec(body)?.[0] ?? body;
}

interface Needle { bytes: Buffer; kind: SecretKind; anchor: number }

export function scanForSecrets(input: PrivacyInput): PrivacyReport {
  const needles: Needle[] = [];
  const add = (kind: SecretKind, values: string[]): void => {
    for (const v of new Set(values)) {
      const bytes = Buffer.from(v, 'utf8');
      if (bytes.length < 8) throw new Error(`a ${kind} to search for must be at least 8 bytes long`);
      // Anchored on the last four bytes: tokens share prefixes (syt_…), their tails are random.
      needles.push({ bytes, kind, anchor: bytes.length - 4 });
    }
  };
  add('message plaintext', input.bodies);
  add('message plaintext', input.bodies.map(markerOf));
  add('access token', input.accessTokens);
  add('bridge session token', input.sessionTokens);
  add('password', input.passwords);
  const table = new Map<number, Needle[]>();
  for (const n of needles) {
    const key = n.bytes.readUInt32LE(n.anchor);
    const list = table.get(key);
    if (list) list.push(n);
    else table.set(key, [n]);
  }
  const findings = new Map<string, PrivacyFinding>();
  let bytesScanned = 0;
  for (const file of input.files) {
    const buf = readFileSync(file);
    bytesScanned += buf.length;
    for (let i = 0; i + 4 <= buf.length; i++) {
      const key = (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)) >>> 0;
      const list = table.get(key);
      if (!list) continue;
      for (const n of list) {
        const start = i - n.anchor;
        if (start < 0 || start + n.bytes.length > buf.length) continue;
        if (buf.compare(n.bytes, 0, n.bytes.length, start, start + n.bytes.length) !== 0) continue;
        const id = `${n.kind}|${file}`;
        const f = findings.get(id) ?? { kind: n.kind, file, count: 0 };
        f.count++;
        findings.set(id, f);
      }
    }
  }
  const count = (kind: SecretKind): number => needles.filter((n) => n.kind === kind).length;
  return {
    filesScanned: input.files.length, bytesScanned,
    needles: { 'message plaintext': count('message plaintext'), 'access token': count('access token'), 'bridge session token': count('bridge session token'), password: count('password') },
    findings: [...findings.values()],
  };
}

export interface BotKeyReport {
  bot: string;
  /** To-device messages addressed to the bot still in the homeserver's store. */
  toDeviceMessages: number;
  deviceKeys: number;
  oneTimeKeys: number;
  fallbackKeys: number;
}

/** What the homeserver's database holds of room keys for the bridge's bot (read only). */
export function botKeyReport(homeserverDb: string, bot: string): BotKeyReport {
  const db = new DatabaseSync(homeserverDb, { readOnly: true });
  try {
    const n = (sql: string): number => Number((db.prepare(sql).get(bot) as { n: number }).n);
    return {
      bot,
      toDeviceMessages: n('SELECT COUNT(*) AS n FROM e2ee_to_device WHERE user_id = ?'),
      deviceKeys: n('SELECT COUNT(*) AS n FROM e2ee_device_keys WHERE user_id = ?'),
      oneTimeKeys: n('SELECT COUNT(*) AS n FROM e2ee_one_time_keys WHERE user_id = ?'),
      fallbackKeys: n('SELECT COUNT(*) AS n FROM e2ee_fallback_keys WHERE user_id = ?'),
    };
  } finally {
    db.close();
  }
}

/** The number of rows in `table` of a database (a check that the scan looked at a store that was used). */
export function rowCount(dbFile: string, table: string): number {
  const db = new DatabaseSync(dbFile, { readOnly: true });
  try {
    return Number((db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
  } finally {
    db.close();
  }
}
