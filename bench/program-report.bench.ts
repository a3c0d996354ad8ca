// Program report benchmark (issue #9): a year of data — 10,000 ended sessions across five topics,
// their requests (plus 15 % never matched), escalations with receipts, anonymous feedback and a
// roster of 200 supporters — seeded through the stores' own write paths into a bridge SQLite store
// (and PostgreSQL, unless --no-pg), then the whole-year report generated as JSON, CSV and printable
// HTML several times; the median of each is reported. Figures are merged into
// bench/results/program.json under the key "report" (other benchmarks write other keys).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openSqliteStore } from '../bridge-service/src/store/sqlite/index.ts';
import { openPostgresStore } from '../bridge-service/src/store/postgres/index.ts';
import type { Store, SupporterRecord } from '../bridge-service/src/store/store.ts';
import { ManualClock } from '../bridge-service/src/core/clock.ts';
import { samplePolicy } from '../bridge-service/src/test-fixture.ts';
import { ReportService } from '../bridge-service/src/report/report-service.ts';
import { reportCsv } from '../bridge-service/src/report/report-csv.ts';
import { reportHtml } from '../bridge-service/src/report/report-html.ts';
import { seedProgram, type SeedStore } from '../bridge-service/src/report/test-fixture.ts';
import { startPostgres } from '../tests/helpers/postgres.ts';
import { median, round, type Figure } from './stats.ts';

const quick = process.argv.includes('--quick');
const withPg = !process.argv.includes('--no-pg');
const RUNS = quick ? 3 : 7;
const SESSIONS = 10_000;
const FROM_TS = Date.UTC(2025, 0, 6); // Monday of 2025-W02
const NOW = Date.UTC(2026, 0, 4, 12); // Sunday of 2026-W01: the year 2025-W02 … 2026-W01 is complete
const policy = samplePolicy();
policy.topics.push(
  { id: 'relationships', label: 'Relationships', needs_training: ['listening'] },
  { id: 'loneliness', label: 'Loneliness', needs_training: ['listening'] },
  { id: 'bullying', label: 'Bullying', needs_training: ['listening', 'mhfa'] },
);
const TOPICS = policy.topics.map((t) => t.id);

type ReportStores = SeedStore & Pick<Store, 'figures' | 'report' | 'roster'>;

async function seed(store: ReportStores): Promise<{ ms: number; counts: Awaited<ReturnType<typeof seedProgram>> }> {
  const t0 = performance.now();
  const counts = await seedProgram(store, {
    fromTs: FROM_TS, days: 364, sessions: SESSIONS, topics: TOPICS, students: 4_000, timeZone: policy.support_hours.time_zone,
    targets: policy.escalation.response_targets_minutes, seed: 2026,
  });
  for (let i = 0; i < 200; i++) {
    const rec: SupporterRecord = {
      user_id: `@sup-${i}:a.example`, topics: TOPICS.filter((_, j) => (i + j) % 2 === 0), capacity: null, active: i % 10 !== 0, updated_ts: NOW, updated_by: '@admin:a.example',
      training: [
        { module: 'listening', version: 2, completed: i % 7 === 0 ? '2025-01-20' : '2025-09-01', expires: null },
        { module: 'safeguarding', version: 1, completed: '2025-06-01', expires: null },
        ...(i % 3 === 0 ? [{ module: 'mhfa', version: 1, completed: '2025-03-01', expires: null }] : []),
      ],
    };
    await store.roster.putSupporter(rec, { actor: '@admin:a.example', action: 'roster.supporter.put', subject: rec.user_id, details: {} });
  }
  return { ms: performance.now() - t0, counts };
}

async function time(store: ReportStores): Promise<{ json: number[]; csv: number[]; html: number[]; bytes: { json: number; csv: number; html: number }; cells: number; suppressed: number }> {
  const clock = new ManualClock(NOW);
  const service = new ReportService({ figures: store.figures, report: store.report, roster: store.roster, feedback: () => store.feedback, policy: () => policy, clock });
  const q = { from: '2025-W02', to: '2026-W01' };
  const out = { json: [] as number[], csv: [] as number[], html: [] as number[], bytes: { json: 0, csv: 0, html: 0 }, cells: 0, suppressed: 0 };
  await service.report(q); // warm-up: statement caches, JIT
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const r = await service.report(q);
    const json = JSON.stringify(r);
    out.json.push(performance.now() - t);
    t = performance.now();
    const csv = reportCsv(await service.report(q));
    out.csv.push(performance.now() - t);
    t = performance.now();
    const html = reportHtml(await service.report(q), { institution: policy.institution.name, lang: 'de' });
    out.html.push(performance.now() - t);
    out.bytes = { json: json.length, csv: csv.length, html: Buffer.byteLength(html) };
    out.cells = r.cells.length;
    out.suppressed = r.cells.filter((c) => c.suppressed).length;
  }
  return out;
}

function figures(backend: string, t: Awaited<ReturnType<typeof time>>): Figure[] {
  return [
    { name: `report, a year at 10,000 sessions, JSON (${backend})`, value: round(median(t.json)), unit: 'ms' },
    { name: `report, a year at 10,000 sessions, CSV (${backend})`, value: round(median(t.csv)), unit: 'ms' },
    { name: `report, a year at 10,000 sessions, HTML (${backend})`, value: round(median(t.html)), unit: 'ms' },
  ];
}

/** Read-modify-write: the low-bandwidth benchmark writes other keys of the same file. */
function merge(key: string, value: unknown): void {
  const dir = resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'program.json');
  let doc: Record<string, unknown> = {};
  try { doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>; } catch { /* first writer */ }
  doc[key] = value;
  writeFileSync(path, JSON.stringify(doc, null, 2) + '\n');
}

const dir = mkdtempSync(join(tmpdir(), 'peerline-report-bench-'));
const results: Record<string, unknown> = {};
const all: Figure[] = [];
try {
  const sqlite = openSqliteStore(join(dir, 'bridge.sqlite'), { durable: false });
  const seeded = await seed(sqlite);
  const t = await time(sqlite);
  sqlite.close();
  all.push(...figures('SQLite', t));
  results['sqlite'] = { seed_ms: round(seeded.ms, 0), seeded: seeded.counts, runs: RUNS, median_ms: { json: round(median(t.json)), csv: round(median(t.csv)), html: round(median(t.html)) }, bytes: t.bytes, cells: t.cells, suppressed_cells: t.suppressed };
  if (withPg) {
    const cluster = await startPostgres();
    try {
      const pg = await openPostgresStore(await cluster.createDatabase(), { maxConnections: 5 });
      const pgSeeded = await seed(pg as unknown as ReportStores);
      const tp = await time(pg as unknown as ReportStores);
      await pg.close();
      all.push(...figures('PostgreSQL', tp));
      results['postgres'] = { seed_ms: round(pgSeeded.ms, 0), seeded: pgSeeded.counts, runs: RUNS, median_ms: { json: round(median(tp.json)), csv: round(median(tp.csv)), html: round(median(tp.html)) }, bytes: tp.bytes, cells: tp.cells, suppressed_cells: tp.suppressed };
    } finally {
      await cluster.stop();
    }
  } else {
    results['postgres'] = 'skipped (--no-pg)';
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

merge('report', {
  title: 'Program report generation: a year (2025-W02 … 2026-W01) at 10,000 sessions', date: new Date().toISOString(), node: process.version,
  runId: process.env['PEERLINE_BENCH_RUN'] ?? `single-${process.pid}`, figures: all, ...results,
});
const rows = all.map((f) => [f.name, `${f.value} ${f.unit}`, f.floor ?? '']);
const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['figure', 'value', 'floor'][i]!.length));
const line = (r: string[]): string => '| ' + r.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
process.stdout.write(`\nProgram report generation\n${line(['figure', 'value', 'floor'])}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n(merged into bench/results/program.json under "report")\n`);
