import { describe, expect, it } from 'vitest';
import { SERVER, testBridge } from '../test-fixture.ts';
import { createApp } from '../app.ts';
import { MIN_CELL_COUNT } from '../figures/figures-service.ts';
import type { SupporterRecord } from '../store/store.ts';
import { reportModule } from './module.ts';
import { ReportService, ALL, type ProgramReport } from './report-service.ts';
import { CellTable, cellKey, type ReportCell } from './suppression.ts';
import { CSV_HEADER } from './report-csv.ts';
import { REPORT_HTML_CSP, STYLE_HASH } from './report-html.ts';
import { REPORT_EXPORTED_ACTION } from './routes.ts';
import { mondayOfWeek, reportPeriod } from './period.ts';
import { requestRow, seedEscalation, seedProgram, seededRandom } from './test-fixture.ts';
import { createHash } from 'node:crypto';

const ADMIN = `@admin:${SERVER}`;
// The test clock starts on Monday 2026-01-12 10:00 UTC: ISO week 2026-W03 (Europe/London).
const W03 = '2026-W03';
const MIN = 60_000;

function reportBridge() {
  const t = testBridge();
  const mod = reportModule();
  const { app } = createApp(t.services, [(r) => mod.register(t.services, r)]);
  const get = (path: string, token?: string): Promise<Response> => Promise.resolve(app.request(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} }));
  const json = async (query = ''): Promise<ProgramReport> => {
    const res = await get(`/v1/admin/report${query}`, await t.signIn(ADMIN));
    expect(res.status).toBe(200);
    return (await res.json()) as ProgramReport;
  };
  return { ...t, get, json };
}
type ReportBridge = ReturnType<typeof reportBridge>;

const fact = (b: ReportBridge, action: string, ts: number, details: Record<string, string | number>): Promise<unknown> =>
  b.store.audit.append({ actor: 'system', action, subject: null, details }, ts);

function cellOf(r: ProgramReport, section: string, week: string, topic: string, measure: string): ReportCell {
  const c = r.cells.find((x) => x.section === section && x.week === week && x.topic === topic && x.measure === measure);
  if (!c) throw new Error(`no cell ${section}/${week}/${topic}/${measure}`);
  return c;
}
const value = (r: ProgramReport, section: string, week: string, topic: string, measure: string): number | null => cellOf(r, section, week, topic, measure).value;

/** RFC 4180, enough for the report: quoted fields with doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; } else if (ch === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; } else field += ch;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

const COUNT_MEASURE = /^(students_asking|requests|matches|matches_local|matches_partner|served_for_partners|sessions|escalations|responses|responses_within_target|responses_late|helpfulness_\d|felt_safe_yes|felt_safe_no|theme:.*|active_supporters|valid:.*|expiring_within_30_days:.*|offering_supporters|qualified_supporters)$/;

/** A small week: exam-stress and low-mood requests, matches, sessions, escalations and feedback, each known. */
async function seedWeek(b: ReportBridge): Promise<void> {
  const t0 = b.clock.now(); // Monday 10:00 of W03
  // exam-stress: 7 requests by 6 students (s0 twice); low-mood: 5 requests, s0 and four others.
  const exam = ['s0', 's0', 's1', 's2', 's3', 's4', 's5'];
  const low = ['s0', 's6', 's7', 's8', 's9'];
  let n = 0;
  for (const [topic, students] of [['exam-stress', exam], ['low-mood', low]] as const) {
    for (const s of students) {
      const id = `r${++n}`;
      await b.store.matching.insertRequest(requestRow(id, `@${s}:${SERVER}`, topic, t0 + n * MIN), {
        facts: [{ actor: 'system', action: 'request.created', subject: id, details: { request_id: id, topic } }],
      });
    }
  }
  // exam-stress: 5 matched by our supporters (10…50 s), 5 by partners' (60…100 s); low-mood: 5 by ours.
  for (let i = 1; i <= 10; i++) await fact(b, 'request.matched', t0 + 3600_000, { topic: 'exam-stress', wait_ms: i * 10_000, scope: i <= 5 ? 'institution' : 'partner' });
  for (let i = 1; i <= 5; i++) await fact(b, 'request.matched', t0 + 3600_000, { topic: 'low-mood', wait_ms: 5_000, scope: 'institution' });
  await fact(b, 'partner_request.matched', t0 + 3600_000, { topic: 'low-mood', partner: 'b.example' });
  // Sessions: exam-stress 6 lasting 10…60 min; low-mood 5 of 5 min.
  for (let i = 1; i <= 6; i++) await fact(b, 'session.ended', t0 + 7200_000, { topic: 'exam-stress', duration_ms: i * 10 * MIN });
  for (let i = 1; i <= 5; i++) await fact(b, 'session.ended', t0 + 7200_000, { topic: 'low-mood', duration_ms: 5 * MIN });
  // low-mood: 5 high-severity escalations (target 30 min) answered after 10, 20, 40, 50, 60 min.
  for (const [i, m] of [10, 20, 40, 50, 60].entries()) {
    const created = t0 + 3 * 3600_000;
    await seedEscalation(b.store, { id: `e${i}`, student: `@s${i}:${SERVER}`, topic: 'low-mood', severity: 'high', createdTs: created, dueTs: created + 30 * MIN, claimedTs: created + m * MIN });
  }
  // Feedback: exam-stress 6 responses (helpfulness 3, 4, 4, 5, 5, 5; all felt safe).
  for (const [i, h] of [3, 4, 4, 5, 5, 5].entries()) {
    await b.store.feedback.submit({ nonce_hash: `n${i}`, ticket_week: W03 }, { week: W03, topic: 'exam-stress', supporter: null, helpfulness: h as 5, felt_safe: true, themes: i < 5 ? ['listened-to'] : [] }, t0);
  }
  // Training: 10 active supporters of both topics with listening and safeguarding; 5 of them completed
  // listening a year ago (it runs out on 2026-01-26, within 30 days); nobody has mhfa.
  for (let i = 0; i < 10; i++) {
    const rec: SupporterRecord = {
      user_id: `@sup${i}:${SERVER}`, topics: ['exam-stress', 'low-mood'], capacity: null, active: true, updated_ts: t0, updated_by: ADMIN,
      training: [
        { module: 'listening', version: 2, completed: i < 5 ? '2025-01-25' : '2025-12-01', expires: null },
        { module: 'safeguarding', version: 1, completed: '2025-12-01', expires: null },
      ],
    };
    await b.store.roster.putSupporter(rec, { actor: ADMIN, action: 'roster.supporter.put', subject: rec.user_id, details: {} });
  }
  await b.store.roster.putSupporter({ user_id: `@gone:${SERVER}`, topics: ['exam-stress'], capacity: null, active: false, updated_ts: t0, updated_by: ADMIN, training: [] },
    { actor: ADMIN, action: 'roster.supporter.put', subject: `@gone:${SERVER}`, details: {} });
}

describe('GET /v1/admin/report on a known week', () => {
  it('counts participation, requests and matches, waits, sessions, escalations, feedback and training, and suppresses what is small', async () => {
    const b = reportBridge();
    await seedWeek(b);
    const r = await b.json(`?from=${W03}&to=${W03}`);
    expect(r).toMatchObject({ from_week: W03, to_week: W03, from: '2026-01-12', to: '2026-01-18', weeks: [W03], minimum_cell_count: 5, time_zone: 'Europe/London', feedback_available: true, training_as_of: '2026-01-12' });
    expect(r.topics.map((t) => t.id)).toEqual(['exam-stress', 'low-mood']);
    // Participation: distinct students, not requests.
    expect(value(r, 'participation', W03, 'exam-stress', 'students_asking')).toBe(6);
    expect(value(r, 'participation', W03, 'low-mood', 'students_asking')).toBe(5);
    expect(value(r, 'participation', W03, ALL, 'students_asking')).toBe(10);
    expect(value(r, 'requests', W03, ALL, 'requests')).toBe(12);
    expect(value(r, 'requests', W03, 'exam-stress', 'requests')).toBe(7);
    // Matches split by who served; low-mood's partner cell is 0 (suppressed, and harmlessly derivable).
    expect(value(r, 'requests', W03, 'exam-stress', 'matches')).toBe(10);
    expect(value(r, 'requests', W03, 'exam-stress', 'matches_partner')).toBe(5);
    expect(cellOf(r, 'requests', W03, 'low-mood', 'matches_partner')).toMatchObject({ value: null, suppressed: true });
    expect(value(r, 'requests', W03, 'low-mood', 'matches_local')).toBe(5);
    expect(value(r, 'requests', W03, ALL, 'matches')).toBe(15);
    expect(cellOf(r, 'requests', W03, 'low-mood', 'served_for_partners').suppressed).toBe(true);
    // Nearest-rank: median of 10 waits is the 5th (50 s), p90 the 9th (90 s).
    expect(value(r, 'requests', W03, 'exam-stress', 'wait_median_ms')).toBe(50_000);
    expect(value(r, 'requests', W03, 'exam-stress', 'wait_p90_ms')).toBe(90_000);
    expect(value(r, 'sessions', W03, 'exam-stress', 'sessions')).toBe(6);
    expect(value(r, 'sessions', W03, 'exam-stress', 'length_median_ms')).toBe(30 * MIN);
    expect(value(r, 'sessions', W03, 'exam-stress', 'length_p90_ms')).toBe(60 * MIN);
    expect(value(r, 'sessions', ALL, ALL, 'sessions')).toBe(11);
    // Escalations against the 30-minute target: 2 within, 3 late — both hidden, the 5 responses shown.
    expect(value(r, 'escalations', W03, 'low-mood', 'escalations')).toBe(5);
    expect(value(r, 'escalations', W03, 'low-mood', 'responses')).toBe(5);
    expect(cellOf(r, 'escalations', W03, 'low-mood', 'responses_within_target').suppressed).toBe(true);
    expect(cellOf(r, 'escalations', W03, 'low-mood', 'responses_late').suppressed).toBe(true);
    expect(cellOf(r, 'escalations', W03, 'low-mood', 'responses_within_target_percent').suppressed).toBe(true);
    expect(value(r, 'escalations', W03, 'low-mood', 'response_median_ms')).toBe(40 * MIN);
    expect(r.response_targets_minutes).toEqual({ critical: 5, high: 30, medium: 240, low: 1440 });
    // Feedback: 6 responses, mean (3 + 4 + 4 + 5 + 5 + 5) / 6 = 4.33; each score is under 5.
    expect(value(r, 'feedback', W03, 'exam-stress', 'responses')).toBe(6);
    expect(value(r, 'feedback', W03, 'exam-stress', 'helpfulness_mean')).toBe(4.33);
    expect(cellOf(r, 'feedback', W03, 'exam-stress', 'helpfulness_5').suppressed).toBe(true);
    expect(value(r, 'feedback', W03, 'exam-stress', 'felt_safe_yes')).toBe(6);
    expect(value(r, 'feedback', W03, 'exam-stress', 'theme:listened-to')).toBe(5);
    expect(cellOf(r, 'feedback', W03, 'low-mood', 'responses').suppressed).toBe(true);
    // Training: a snapshot; the inactive supporter does not count.
    expect(value(r, 'training', ALL, ALL, 'active_supporters')).toBe(10);
    expect(value(r, 'training', ALL, ALL, 'valid:listening')).toBe(10);
    expect(value(r, 'training', ALL, ALL, 'expiring_within_30_days:listening')).toBe(5);
    expect(cellOf(r, 'training', ALL, ALL, 'valid:mhfa').suppressed).toBe(true);
    expect(value(r, 'training', ALL, 'exam-stress', 'qualified_supporters')).toBe(10);
    expect(cellOf(r, 'training', ALL, 'low-mood', 'qualified_supporters').suppressed).toBe(true);
    // Nothing names anyone.
    expect(JSON.stringify(r)).not.toMatch(/@/);
  });

  it('suppresses a topic of 4 and, with it, the other topic of the week, so the week total cannot give it away', async () => {
    const b = reportBridge();
    const t0 = b.clock.now();
    for (let i = 0; i < 7; i++) await fact(b, 'request.created', t0, { topic: 'exam-stress' });
    for (let i = 0; i < 4; i++) await fact(b, 'request.created', t0, { topic: 'low-mood' });
    const r = await b.json(`?from=${W03}&to=${W03}`);
    expect(value(r, 'requests', W03, ALL, 'requests')).toBe(11);
    expect(cellOf(r, 'requests', W03, 'low-mood', 'requests')).toEqual(expect.objectContaining({ value: null, suppressed: true }));
    expect(cellOf(r, 'requests', W03, 'exam-stress', 'requests')).toEqual(expect.objectContaining({ value: null, suppressed: true }));
    // A one-week period: the topic totals equal the hidden cells, so they are hidden too.
    expect(cellOf(r, 'requests', ALL, 'exam-stress', 'requests').suppressed).toBe(true);
    expect(value(r, 'requests', ALL, ALL, 'requests')).toBe(11);
  });
});

describe('complementary suppression', () => {
  it('hides the smallest shown part when one part alone is hidden, and the total when every part is', () => {
    const t = new CellTable();
    const total = t.count('s', ALL, ALL, 'm', 30);
    t.group(total, [t.count('s', 'a', ALL, 'm', 3), t.count('s', 'b', ALL, 'm', 20), t.count('s', 'c', ALL, 'm', 7)]);
    const tiny = t.count('s', ALL, ALL, 'n', 6);
    t.group(tiny, [t.count('s', 'a', ALL, 'n', 3), t.count('s', 'b', ALL, 'n', 3)]);
    const cells = new Map(t.cells().map((c) => [cellKey(c.section, c.week, c.topic, c.measure), c]));
    expect(cells.get(cellKey('s', 'a', ALL, 'm'))!.suppressed).toBe(true);
    expect(cells.get(cellKey('s', 'c', ALL, 'm'))!.suppressed).toBe(true);
    expect(cells.get(cellKey('s', 'b', ALL, 'm'))!.value).toBe(20);
    expect(cells.get(cellKey('s', ALL, ALL, 'm'))!.value).toBe(30);
    // Two hidden parts holding 6 ≥ 5: the total stays.
    expect(cells.get(cellKey('s', ALL, ALL, 'n'))!.value).toBe(6);
  });

  it('leaves no total from which a hidden cell of a random table could be worked out', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = seededRandom(seed);
      const rows = 2 + Math.floor(rnd() * 6);
      const cols = 2 + Math.floor(rnd() * 4);
      const raw = Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.floor(rnd() * rnd() * 14)));
      const t = new CellTable();
      const k = (r: string, c: string): string => cellKey('s', r, c, 'm');
      raw.forEach((row, r) => row.forEach((v, c) => t.count('s', `r${r}`, `c${c}`, 'm', v)));
      const rowSum = raw.map((row) => row.reduce((a, b) => a + b, 0));
      const colSum = raw[0]!.map((_, c) => raw.reduce((a, row) => a + row[c]!, 0));
      rowSum.forEach((v, r) => t.count('s', `r${r}`, ALL, 'm', v));
      colSum.forEach((v, c) => t.count('s', ALL, `c${c}`, 'm', v));
      t.count('s', ALL, ALL, 'm', rowSum.reduce((a, b) => a + b, 0));
      const groups: [string, string[]][] = [
        ...raw.map((row, r): [string, string[]] => [k(`r${r}`, ALL), row.map((_, c) => k(`r${r}`, `c${c}`))]),
        ...raw[0]!.map((_, c): [string, string[]] => [k(ALL, `c${c}`), raw.map((__, r) => k(`r${r}`, `c${c}`))]),
        [k(ALL, ALL), raw.map((_, r) => k(`r${r}`, ALL))],
        [k(ALL, ALL), raw[0]!.map((_, c) => k(ALL, `c${c}`))],
      ];
      for (const [total, parts] of groups) t.group(total, parts);
      const out = new Map(t.cells().map((c) => [cellKey(c.section, c.week, c.topic, c.measure), c]));
      const rawOf = (key: string): number => {
        const [, r, c] = key.split('\u0000');
        if (r === ALL && c === ALL) return rowSum.reduce((a, b) => a + b, 0);
        if (r === ALL) return colSum[Number(c!.slice(1))]!;
        if (c === ALL) return rowSum[Number(r!.slice(1))]!;
        return raw[Number(r!.slice(1))]![Number(c!.slice(1))]!;
      };
      for (const c of out.values()) if (!c.suppressed) expect(c.value).toBeGreaterThanOrEqual(MIN_CELL_COUNT);
      for (const [total, parts] of groups) {
        if (out.get(total)!.suppressed) continue;
        const hidden = parts.filter((p) => out.get(p)!.suppressed);
        const residue = hidden.reduce((a, p) => a + rawOf(p), 0);
        // Either the hidden parts are all zero, or at least two of them share at least 5.
        expect(residue === 0 || (hidden.length >= 2 && residue >= MIN_CELL_COUNT), `seed ${seed}, group ${total.replaceAll('\u0000', '/')}`).toBe(true);
      }
    }
  });
});

describe('a seeded term in JSON, CSV and HTML', () => {
  it('shows no count under 5 anywhere, and the three formats agree', async () => {
    const b = reportBridge();
    const policy = b.services.policy.current();
    const fromTs = Date.UTC(2025, 10, 17); // Monday of 2025-W47
    await seedProgram(b.store, {
      fromTs, days: 56, sessions: 300, topics: ['exam-stress', 'low-mood', 'old-topic'], students: 120, timeZone: 'Europe/London',
      targets: policy.escalation.response_targets_minutes, escalationShare: 0.1, feedbackShare: 0.3, seed: 7,
    });
    const admin = await b.signIn(ADMIN);
    const q = '?from=2025-W47&to=2026-W02';
    const r = (await (await b.get(`/v1/admin/report${q}`, admin)).json()) as ProgramReport;
    expect(r.weeks).toHaveLength(8);
    expect(r.topics.map((t) => t.id)).toEqual(['exam-stress', 'low-mood', 'old-topic']);
    const counts = r.cells.filter((c) => COUNT_MEASURE.test(c.measure));
    expect(counts.filter((c) => !c.suppressed).length).toBeGreaterThan(50);
    expect(counts.filter((c) => c.suppressed).length).toBeGreaterThan(10);
    for (const c of counts) if (!c.suppressed) expect(c.value, `${c.section}/${c.week}/${c.topic}/${c.measure}`).toBeGreaterThanOrEqual(5);
    for (const c of r.cells) expect(c.suppressed === (c.value === null)).toBe(true);
    expect(value(r, 'sessions', ALL, ALL, 'sessions')).toBe(300);

    const csvRes = await b.get(`/v1/admin/report.csv${q}`, admin);
    expect(csvRes.status).toBe(200);
    expect(csvRes.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csvRes.headers.get('content-disposition')).toMatch(/attachment; filename="peerline-report-2025-W47-2026-W02\.csv"/);
    const rows = parseCsv(await csvRes.text());
    expect(rows[0]).toEqual([...CSV_HEADER]);
    expect(rows).toHaveLength(r.cells.length + 1);
    for (const [i, row] of rows.slice(1).entries()) {
      const c = r.cells[i]!;
      expect(row.slice(0, 4)).toEqual([c.section, c.week, c.topic, c.measure]);
      expect(row[4]).toBe(c.suppressed ? 'suppressed' : String(c.value));
      if (COUNT_MEASURE.test(c.measure) && row[4] !== 'suppressed') expect(Number(row[4])).toBeGreaterThanOrEqual(5);
    }

    const htmlRes = await b.get(`/v1/admin/report.html${q}&lang=de`, admin);
    expect(htmlRes.status).toBe(200);
    expect(htmlRes.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await htmlRes.text();
    expect(page).toMatch(/^<!doctype html>\n<html lang="de">/);
    // A count cell of the tables is never 0 to 4 (durations carry "min", shares "%", means two decimals).
    expect(page).not.toMatch(/<td class="num">[0-4]<\/td>/);
    expect(page).toContain('weniger als 5');
    expect(page).toContain('@media print');
    expect((page.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(6);
    expect(page).not.toMatch(/@[a-z0-9-]+:a\.example/);
  });
});

describe('the printable page', () => {
  it('is self-contained: no scripts, no external references, one style allowed by its hash', async () => {
    const b = reportBridge();
    await seedWeek(b);
    const res = await b.get(`/v1/admin/report.html?from=${W03}&to=${W03}`, await b.signIn(ADMIN));
    const page = await res.text();
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(`${REPORT_HTML_CSP}; frame-ancestors 'none'`);
    expect(page).not.toMatch(/<script|<link|<img|<iframe|<object|@import|url\(/i);
    expect(page).not.toMatch(/\b(src|href|action|srcset)\s*=/i);
    expect(page).not.toMatch(/\son[a-z]+\s*=/i);
    expect(page).not.toMatch(/\sstyle\s*=/i);
    // The only URL is the SVG namespace, which is a name, not a fetch.
    expect([...page.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0])).toEqual(expect.arrayContaining([]));
    for (const m of page.matchAll(/https?:\/\/[^\s"'<>]+/g)) expect(m[0]).toBe('http://www.w3.org/2000/svg');
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
    expect(`sha256-${createHash('sha256').update(style).digest('base64')}`).toBe(STYLE_HASH);
    expect(page.match(/<style>/g)).toHaveLength(1);
    // Charts carry a text alternative and their numbers in a table.
    expect(page).toMatch(/<svg [^>]*role="img" aria-labelledby="chart-\d+-t chart-\d+-d"/);
    expect(page).toContain('<desc id=');
    expect(page).toContain('<caption>Requests and matches — by week</caption>');
  });
});

describe('access, audit and the period', () => {
  it('is for admins only, in every format', async () => {
    const b = reportBridge();
    const student = await b.signIn(`@s-1:${SERVER}`);
    for (const path of ['/v1/admin/report', '/v1/admin/report.csv', '/v1/admin/report.html']) {
      expect((await b.get(path, student)).status).toBe(403);
      expect((await b.get(path)).status).toBe(401);
    }
    expect((await b.store.audit.latest(50)).some((e) => e.action === REPORT_EXPORTED_ACTION)).toBe(false);
  });

  it('audits each export with its format and period, naming the admin only', async () => {
    const b = reportBridge();
    const admin = await b.signIn(ADMIN);
    await b.get(`/v1/admin/report.csv?from=2026-W01&to=${W03}`, admin);
    await b.get('/v1/admin/report.html', admin);
    const entries = (await b.store.audit.latest(10)).filter((e) => e.action === REPORT_EXPORTED_ACTION);
    expect(entries.map((e) => ({ actor: e.actor, details: e.details }))).toEqual([
      { actor: ADMIN, details: { format: 'html', from_week: '2025-W44', to_week: W03 } },
      { actor: ADMIN, details: { format: 'csv', from_week: '2026-W01', to_week: W03 } },
    ]);
  });

  it('defaults to the last 12 weeks and rejects malformed, non-existent, reversed and over-long periods', async () => {
    const b = reportBridge();
    const r = await b.json();
    expect(r.weeks).toHaveLength(12);
    expect(r.to_week).toBe(W03);
    const admin = await b.signIn(ADMIN);
    for (const q of ['?from=2026-03', '?from=2025-W53', '?from=2026-W05&to=2026-W01', '?from=2020-W01&to=2026-W01', '?to=2026-W54']) {
      expect((await b.get(`/v1/admin/report${q}`, admin)).status, q).toBe(400);
    }
  });

  it('knows ISO weeks: week 53 where it exists, and week starts in the institution\'s time zone', () => {
    expect(mondayOfWeek('2026-W53')).toBe('2026-12-28');
    expect(mondayOfWeek('2025-W53')).toBeNull();
    expect(mondayOfWeek('2025-W01')).toBe('2024-12-30');
    const p = reportPeriod({ from: '2026-W03', to: '2026-W04' }, 0, 'Pacific/Auckland');
    // Monday 2026-01-12 00:00 in Auckland (UTC+13) is Sunday 11:00 UTC.
    expect(p.starts[0]).toBe(Date.UTC(2026, 0, 11, 11));
    expect(p.starts).toHaveLength(3);
  });

  it('says so when the bridge keeps no feedback, and reports the rest', async () => {
    const b = reportBridge();
    const s = b.services;
    const service = new ReportService({ figures: s.store.figures, report: s.store.report, roster: s.store.roster, feedback: () => undefined, policy: () => s.policy.current(), clock: s.clock });
    const r = await service.report({ from: W03, to: W03 });
    expect(r.feedback_available).toBe(false);
    expect(r.cells.some((c) => c.section === 'feedback')).toBe(false);
    expect(r.cells.some((c) => c.section === 'requests')).toBe(true);
  });
});
