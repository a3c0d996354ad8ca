// `npm run load [-- --users 1000 --minutes 3 --js-sdk 4 --drain-seconds 120]`: the full load run of
// issue #8 (see load-run.ts), then the privacy scan of every database file and log (privacy-scan.ts).
// Prints a table and writes bench/results/load.json. Exits non-zero unless there were no errors,
// every message was decrypted exactly once by everyone it was owed to, and the scan found nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile, report, round, type Figure } from '../../bench/stats.ts';
import { olmChatClient } from './chat-client.ts';
import { runLoad, startLoadPair, type LoadOutcome } from './load-run.ts';
import { scanAfterLoad, type PrivacyOutcome } from './privacy-check.ts';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '1000' },
    minutes: { type: 'string', default: '3' },
    'js-sdk': { type: 'string', default: '4' },
    'drain-seconds': { type: 'string', default: '120' },
  },
});
const users = Number(args.users);
const minutes = Number(args.minutes);
if (!(users >= 8 && users <= 5000) || !(minutes > 0 && minutes <= 60)) {
  process.stderr.write('usage: npm run load -- [--users 8..5000] [--minutes 0..60] [--js-sdk N] [--drain-seconds N]\n');
  process.exit(2);
}

const logDir = mkdtempSync(join(tmpdir(), 'peerline-load-logs-'));
const pair = await startLoadPair();
// Interrupted: the servers stop and their data goes, as after a normal end.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`load: ${signal}, stopping the servers\n`);
    void pair.stop().finally(() => {
      rmSync(logDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}
let outcome: LoadOutcome | undefined;
const cpuBefore = process.cpuUsage();
let machineLoad: number[] | undefined;
let privacy: PrivacyOutcome | undefined;
try {
  outcome = await runLoad(pair, {
    users, durationMs: minutes * 60_000, drainMs: Number(args['drain-seconds']) * 1000, jsSdkPeople: Number(args['js-sdk']),
    lightClient: olmChatClient, exchanges: 3, escalationShare: 0.15, groupShare: 0.3, logDir,
    progress: (line) => process.stdout.write(`${line}\n`),
  });
  machineLoad = loadavg();
  privacy = await scanAfterLoad(pair, outcome);
} finally {
  await pair.stop();
  rmSync(logDir, { recursive: true, force: true });
}

const o = outcome;
const s = o.ledger.summary();
const ms = (v: number[], p: number): number => round(percentile(v, p), 0);
const lat = (name: string, v: number[], what: string): Figure[] => [50, 95, 99].map((p) => ({
  name: `${name}, p${p}`, value: ms(v, p), unit: 'ms', ...(p === 50 ? { reference: `${v.length} ${what}; max ${ms(v, 100)} ms` } : {}),
}));
const mem = o.memory.figures();
const figures: Figure[] = [
  { name: 'simulated people', value: users, unit: 'people', reference: `${o.people.students} students, ${o.people.supporters} supporters, ${o.people.counsellors} counsellors; ${o.people.light} light (libolm) clients, ${o.people.jsSdk} matrix-js-sdk; 2 institutions` },
  { name: 'time until the last student was done', value: round(o.loadSeconds, 1), unit: 's', reference: `new requests for ${minutes} min, then the chats under way finish; then ${round(o.drainSeconds, 1)} s for the last deliveries and claims` },
  { name: 'logins (password, own address)', value: o.logins, unit: 'logins' },
  { name: 'bridge sign-ins (OpenID, own address)', value: o.bridgeSignIns, unit: 'sign-ins' },
  { name: 'peer chats matched', value: o.chats, unit: 'chats', reference: `${o.crossInstitutionChats} across the institutions` },
  { name: 'escalations (signed consent receipts) / claimed', value: o.escalations, unit: 'escalations', reference: `${o.claims} claimed by counsellors` },
  { name: 'support group joins / posts', value: o.groupJoins, unit: 'joins', reference: `${o.groupPosts} posts` },
  { name: 'encrypted messages sent', value: s.messagesSent, unit: 'messages', reference: `${round(s.messagesSent / (o.loadSeconds + o.drainSeconds), 1)} per second` },
  { name: 'deliveries owed / decrypted exactly once', value: s.deliveredOnce, unit: 'deliveries', reference: `${s.expectedDeliveries} owed; ${round(s.deliveredOnce / (o.loadSeconds + o.drainSeconds), 1)} per second` },
  { name: 'missing deliveries', value: s.missing, unit: 'deliveries', floor: '0' },
  { name: 'duplicate deliveries', value: s.duplicates, unit: 'deliveries', floor: '0' },
  { name: 'decryption failures', value: s.decryptionFailures, unit: 'events', floor: '0' },
  { name: 'HTTP calls by the simulated people (besides the clients\' own sync and keys)', value: s.httpCalls, unit: 'calls', reference: `${round(s.httpCalls / (o.loadSeconds + o.drainSeconds), 1)} per second` },
  { name: 'errors (failed HTTP calls, sends, joins, decryptions)', value: s.errors, unit: 'errors', floor: '0', reference: Object.entries(s.errorsByKind).map(([k, n]) => `${k}: ${n}`).join(', ') },
  ...lat('login (password, scrypt)', o.ledger.latencies.login, 'logins'),
  ...lat('bridge sign-in (OpenID token, checked by the bridge)', o.ledger.latencies.bridgeSignIn, 'sign-ins'),
  ...lat('send → decrypted at the receiver', o.ledger.latencies.sendToDecrypt, 'deliveries'),
  ...lat('support request → matched and in the room', o.ledger.latencies.requestToMatch, 'matches'),
  ...lat('escalation → claimed by a counsellor', o.ledger.latencies.escalationToClaim, 'claims'),
  ...lat('group join request → in the room', o.ledger.latencies.groupJoin, 'joins'),
  ...Object.entries(mem).map(([name, m]): Figure => ({ name: `resident memory of ${name}, peak`, value: round(m.peakMb, 1), unit: 'MB', reference: `mean ${round(m.meanMb, 1)} MB, at the end ${round(m.lastMb, 1)} MB, ${m.samples} samples; ${round(m.cpuSeconds, 0)} CPU s in all` })),
  { name: 'CPU time of this process (the 1,000 simulated people)', value: round((process.cpuUsage(cpuBefore).user + process.cpuUsage(cpuBefore).system) / 1e6, 0), unit: 's', reference: 'set-up included' },
  { name: 'machine load average at the end of the load (1 / 5 / 15 min)', value: round(machineLoad?.[0] ?? NaN, 1), unit: '', reference: `${(machineLoad ?? []).map((x) => round(x, 1)).join(' / ')} on ${availableParallelism()} cores (other work on the machine included)` },
  { name: 'privacy scan: files / MB read', value: privacy!.scan.filesScanned, unit: 'files', reference: `${round(privacy!.scan.bytesScanned / 1048576, 1)} MB (databases with WAL while running and after stopping, and the process logs)` },
  { name: 'privacy scan: secrets found (plaintext, tokens, passwords)', value: privacy!.scan.findings.reduce((a, f) => a + f.count, 0), unit: 'hits', floor: '0', reference: `searched for ${Object.entries(privacy!.scan.needles).map(([k, n]) => `${n} ${k}`).join(', ')}` },
  { name: 'room keys ever sent to the bridge bots / their device keys', value: privacy!.bots.reduce((a, b) => a + b.toDeviceMessages, 0), unit: 'to-device messages', floor: '0', reference: `device keys ${privacy!.bots.reduce((a, b) => a + b.deviceKeys + b.oneTimeKeys + b.fallbackKeys, 0)}` },
];
report('load.json', `Load: ${users} people, two federated institutions, ${minutes} min`, figures, {
  options: { users, minutes, js_sdk_people: o.people.jsSdk, drain_seconds: Number(args['drain-seconds']) },
  errors_by_kind: s.errorsByKind, error_samples: o.ledger.errorSamples,
  memory_mb: mem, privacy: { findings: privacy!.scan.findings.map((f) => ({ kind: f.kind, file: f.file.split('/').slice(-1)[0], count: f.count })), bots: privacy!.bots },
});
const clean = s.errors === 0 && s.missing === 0 && s.duplicates === 0 && s.unexpected === 0 && s.decryptionFailures === 0 && privacy!.clean;
process.stdout.write(clean ? 'load: clean — no errors, every message decrypted exactly once, nothing found by the privacy scan\n' : 'load: NOT clean (see above and bench/results/load.json)\n');
process.exit(clean ? 0 : 1);
