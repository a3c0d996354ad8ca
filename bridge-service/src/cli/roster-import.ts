// `admin roster import FILE.csv`: supporters and counsellors from a spreadsheet, through the bridge's
// admin API. All or nothing: every line is checked first (syntax, then against the policy in force)
// and every problem is reported with its line and column; only a file without problems is applied,
// and if the bridge still refuses a line while applying, the lines already applied are put back.
//
// Columns (header row required, any order, names case-insensitive):
//   user_id   @localpart:server (required)
//   role      supporter | counsellor (required; a user with both roles has two lines)
//   topics    topic ids separated by ';' (supporters)
//   training  module:version:YYYY-MM-DD entries separated by ';' (supporters; date = completion)
//   active    true | false | yes | no | 1 | 0 (default true)
//   capacity  concurrent sessions, empty = the policy's default (supporters; optional column)
//   team      counsellor team id, empty = the policy's (counsellors; optional column)
import { Value } from '@sinclair/typebox/value';
import { MatrixUserIdSchema } from '../../../protocol/src/common-schemas.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import { parseCsv, CsvSyntaxError } from './csv.ts';
import { AdminError, describeError, type AdminSession } from './admin-session.ts';

export const ROSTER_COLUMNS = ['user_id', 'role', 'topics', 'training', 'active', 'capacity', 'team'] as const;
type Column = typeof ROSTER_COLUMNS[number];
const REQUIRED: Column[] = ['user_id', 'role'];

export interface RosterProblem {
  line: number;
  /** 1-based column number and its header name; null for problems of a whole line. */
  column: number | null;
  columnName: string | null;
  message: string;
}

export interface SupporterRow {
  line: number;
  role: 'supporter';
  user_id: string;
  body: { topics: string[]; training: { module: string; version: number; completed: string }[]; capacity: number | null; active: boolean };
}
export interface CounsellorRow {
  line: number;
  role: 'counsellor';
  user_id: string;
  body: { team?: string; active: boolean };
}
export type RosterRow = SupporterRow | CounsellorRow;

const SLUG = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const DATE = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

function realDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCDate() === Number(m[3]);
}

export function problemText(p: RosterProblem): string {
  const where = p.column === null ? `line ${p.line}` : `line ${p.line}, column ${p.column} (${p.columnName})`;
  return `${where}: ${p.message}`;
}

/**
 * Parses and checks the CSV; with `policy`, topics, training modules and (for counsellors) the
 * server name are checked against it too. Returns the rows and every problem found.
 */
export function checkRosterCsv(text: string, policy: InstitutionPolicy | null): { rows: RosterRow[]; problems: RosterProblem[] } {
  let records;
  try {
    records = parseCsv(text);
  } catch (e) {
    if (e instanceof CsvSyntaxError) return { rows: [], problems: [{ line: e.line, column: null, columnName: null, message: e.message.replace(/^line \d+: /, '') }] };
    throw e;
  }
  const problems: RosterProblem[] = [];
  const header = records.shift();
  if (!header) return { rows: [], problems: [{ line: 1, column: null, columnName: null, message: `the file is empty (expected a header row: ${ROSTER_COLUMNS.join(',')})` }] };
  const index = new Map<Column, number>();
  header.fields.forEach((raw, i) => {
    const name = raw.trim().toLowerCase();
    const known = (ROSTER_COLUMNS as readonly string[]).includes(name);
    if (!known) problems.push({ line: header.line, column: i + 1, columnName: raw, message: `unknown column '${raw}' (expected one of ${ROSTER_COLUMNS.join(', ')})` });
    else if (index.has(name as Column)) problems.push({ line: header.line, column: i + 1, columnName: raw, message: `column '${name}' appears twice` });
    else index.set(name as Column, i);
  });
  for (const c of REQUIRED) {
    if (!index.has(c)) problems.push({ line: header.line, column: null, columnName: null, message: `the header has no '${c}' column (expected at least ${REQUIRED.join(', ')})` });
  }
  if (problems.length > 0) return { rows: [], problems };

  const topics = policy ? new Set(policy.topics.map((t) => t.id)) : null;
  const modules = policy ? new Map(policy.supporters.training.modules.map((m) => [m.id, m])) : null;
  const seen = new Map<string, number>();
  const rows: RosterRow[] = [];
  for (const rec of records) {
    const before = problems.length;
    const problem = (col: Column | null, message: string): void => {
      const i = col === null ? null : index.get(col)!;
      problems.push({ line: rec.line, column: i === null ? null : i + 1, columnName: col, message });
    };
    if (rec.fields.length !== header.fields.length) {
      problem(null, `expected ${header.fields.length} fields like the header, found ${rec.fields.length}`);
      continue;
    }
    const cell = (c: Column): string => {
      const i = index.get(c);
      return i === undefined ? '' : rec.fields[i]!.trim();
    };
    const userId = cell('user_id');
    if (!Value.Check(MatrixUserIdSchema, userId)) problem('user_id', `expected a Matrix user id such as @s-7kq2m9:school.example, found '${userId}'`);
    const role = cell('role').toLowerCase();
    if (role !== 'supporter' && role !== 'counsellor') problem('role', `expected 'supporter' or 'counsellor', found '${cell('role')}'`);
    const activeText = cell('active').toLowerCase();
    const active = activeText === '' ? true : ['true', 'yes', '1'].includes(activeText) ? true : ['false', 'no', '0'].includes(activeText) ? false : null;
    if (active === null) problem('active', `expected true or false (or yes/no, 1/0), found '${cell('active')}'`);
    const key = `${role} ${userId}`;
    if (seen.has(key)) problem('user_id', `${userId} already has a ${role} line (line ${seen.get(key)})`);
    else seen.set(key, rec.line);

    if (role === 'supporter') {
      const topicList = cell('topics') === '' ? [] : cell('topics').split(';').map((t) => t.trim()).filter((t) => t !== '');
      for (const t of topicList) {
        if (!SLUG.test(t)) problem('topics', `expected topic ids (lower-case letters, digits, '.', '_', '-') separated by ';', found '${t}'`);
        else if (topics && !topics.has(t)) problem('topics', `topic '${t}' is not in the policy (expected one of ${[...topics].join(', ')})`);
      }
      const training: SupporterRow['body']['training'] = [];
      const entries = cell('training') === '' ? [] : cell('training').split(';').map((t) => t.trim()).filter((t) => t !== '');
      for (const entry of entries) {
        const [module = '', version = '', completed = '', ...extra] = entry.split(':').map((p) => p.trim());
        if (extra.length > 0 || !SLUG.test(module) || !/^[1-9]\d{0,5}$/.test(version) || !realDate(completed)) {
          problem('training', `expected 'module:version:YYYY-MM-DD' (completion date) entries separated by ';', found '${entry}'`);
          continue;
        }
        const m = modules?.get(module);
        if (modules && !m) problem('training', `training module '${module}' is not in the policy (expected one of ${[...modules.keys()].join(', ')})`);
        if (completed > new Date().toISOString().slice(0, 10)) problem('training', `completion date ${completed} of '${module}' is in the future`);
        training.push({ module, version: Number(version), completed });
      }
      const capText = cell('capacity');
      const capacity = capText === '' ? null : /^\d+$/.test(capText) && Number(capText) >= 1 && Number(capText) <= 50 ? Number(capText) : NaN;
      if (Number.isNaN(capacity)) problem('capacity', `expected a whole number 1-50 or empty (the policy's default), found '${capText}'`);
      if (cell('team') !== '') problem('team', 'a team applies to counsellors only; leave it empty on supporter lines');
      if (problems.length === before) rows.push({ line: rec.line, role, user_id: userId, body: { topics: [...new Set(topicList)], training, capacity, active: active! } });
    } else if (role === 'counsellor') {
      if (cell('topics') !== '') problem('topics', 'topics apply to supporters only; leave it empty on counsellor lines');
      if (cell('training') !== '') problem('training', 'training applies to supporters only; leave it empty on counsellor lines');
      if (cell('capacity') !== '') problem('capacity', 'capacity applies to supporters only; leave it empty on counsellor lines');
      const team = cell('team');
      if (team !== '' && !SLUG.test(team)) problem('team', `expected a team id (lower-case letters, digits, '.', '_', '-'), found '${team}'`);
      if (policy && userId.startsWith('@') && !userId.endsWith(`:${policy.institution.server_name}`)) {
        problem('user_id', `counsellors must be users of this institution (${policy.institution.server_name}), found ${userId}`);
      }
      if (problems.length === before) rows.push({ line: rec.line, role, user_id: userId, body: { ...(team !== '' ? { team } : {}), active: active! } });
    }
  }
  if (records.length === 0 && problems.length === 0) problems.push({ line: header.line, column: null, columnName: null, message: 'the file has a header but no roster lines' });
  return { rows, problems };
}

export interface ImportReport {
  applied: boolean;
  lines: { line: number; user_id: string; role: string; change: 'add' | 'update' }[];
}

interface Previous { row: RosterRow; before: Record<string, unknown> | null }

const rosterPath = (row: { role: string; user_id: string }): string => `/v1/admin/roster/${row.role === 'supporter' ? 'supporters' : 'counsellors'}/${encodeURIComponent(row.user_id)}`;

/** The input that recreates a record as the bridge returned it. */
function inputOf(role: string, rec: Record<string, unknown>): Record<string, unknown> {
  if (role === 'supporter') {
    const training = (rec['training'] as { module: string; version: number; completed: string }[]).map((t) => ({ module: t.module, version: t.version, completed: t.completed }));
    return { topics: rec['topics'], training, capacity: rec['capacity'], active: rec['active'] };
  }
  return { team: rec['team'], on_duty: rec['on_duty'], active: rec['active'] };
}

/**
 * Checks the file against the policy in force and, unless `dryRun`, applies it through the bridge.
 * Throws AdminError listing every problem when anything is wrong; nothing is applied then.
 */
export async function importRoster(session: AdminSession, text: string, file: string, dryRun: boolean): Promise<ImportReport> {
  const policyRes = await session.bridge<{ policy: InstitutionPolicy }>('GET', '/v1/admin/policy');
  if (policyRes.status !== 200) throw new AdminError(`cannot read the policy in force from the bridge (${describeError(policyRes)})`);
  const { rows, problems } = checkRosterCsv(text, policyRes.body.policy);
  if (problems.length > 0) {
    throw new AdminError(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was applied:\n${problems.map((p) => `  ${problemText(p)}`).join('\n')}`);
  }
  const previous: Previous[] = [];
  for (const row of rows) {
    const cur = await session.bridge<Record<string, unknown>>('GET', rosterPath(row));
    if (cur.status !== 200 && cur.status !== 404) throw new AdminError(`cannot read the roster record of ${row.user_id} (line ${row.line}): ${describeError(cur)}; nothing was applied`);
    previous.push({ row, before: cur.status === 200 ? cur.body : null });
  }
  const lines = previous.map((p) => ({ line: p.row.line, user_id: p.row.user_id, role: p.row.role, change: p.before ? 'update' as const : 'add' as const }));
  if (dryRun) return { applied: false, lines };

  const done: Previous[] = [];
  for (const p of previous) {
    const res = await session.bridge('PUT', rosterPath(p.row), p.row.body);
    if (res.status === 200) {
      done.push(p);
      continue;
    }
    // Put back what was applied, newest first, so the roster is as it was before the import.
    const unrestored: string[] = [];
    for (const d of done.reverse()) {
      const back = d.before ? await session.bridge('PUT', rosterPath(d.row), inputOf(d.row.role, d.before)) : await session.bridge('DELETE', rosterPath(d.row));
      if (back.status !== 200) unrestored.push(`line ${d.row.line} (${d.row.user_id}): ${describeError(back)}`);
    }
    const why = `line ${p.row.line}: the bridge refused ${p.row.user_id} as ${p.row.role} (${describeError(res)})`;
    if (unrestored.length > 0) throw new AdminError(`${file}: ${why}; these applied lines could not be put back:\n  ${unrestored.join('\n  ')}`);
    throw new AdminError(`${file}: ${why}; the ${done.length} line(s) applied before it were put back, nothing changed`);
  }
  return { applied: true, lines };
}
