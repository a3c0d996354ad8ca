// The admin desk's side of the bridge API: policy status and reload, the roster (supporters,
// counsellors, admins), aggregate figures, the audit log and the matching overview. One typed
// function per route, plus turning a bridge error into problems that name the field they concern.
import type { InstitutionPolicy, PolicyProblem } from '../../../protocol/src/policy.ts';
import { BridgeError, type BridgeClient } from './bridge-client.ts';

export type { InstitutionPolicy, PolicyProblem };

export interface PolicyStatus {
  file: string;
  sha256: string;
  loaded_ts: number;
  version: number;
  last_rejected: { ts: number; sha256: string; problems: PolicyProblem[] } | null;
}
export type ReloadResult = 'applied' | 'unchanged' | 'rejected';

export interface TrainingRecordInput { module: string; version: number; completed: string; expires?: string | null }
export interface SupporterInput { topics: string[]; training: TrainingRecordInput[]; capacity?: number | null; active?: boolean }
export interface Supporter {
  user_id: string;
  topics: string[];
  training: { module: string; version: number; completed: string; expires: string | null }[];
  capacity: number | null;
  active: boolean;
  updated_ts: number;
  updated_by: string;
  effective_capacity: number;
  qualified_topics: string[];
  missing_training: string[];
}
export interface CounsellorInput { team?: string; active?: boolean }
export interface Counsellor { user_id: string; team: string; active: boolean; updated_ts: number; updated_by: string; on_duty_now: boolean }
export interface Admin { user_id: string; added_ts: number; added_by: string; bootstrap: boolean }

export interface FigureCell { value: number | null; suppressed: boolean }
export const FIGURE_METRICS = ['requests', 'matches', 'sessions', 'escalations', 'wait_median_ms', 'response_median_ms'] as const;
export type FigureMetric = typeof FIGURE_METRICS[number];
export type FiguresRow = { week: string; topic: string } & Record<FigureMetric | 'wait_p90_ms' | 'response_p90_ms', FigureCell>;
export interface FiguresReport {
  from: string;
  to: string;
  time_zone: string;
  minimum_cell_count: number;
  weeks: string[];
  topics: string[];
  cells: FiguresRow[];
}

export interface AuditEntry { seq: number; ts: number; actor: string; action: string; subject: string | null; details: Record<string, unknown>; prev_hash: string; hash: string }
export interface ChainStatus { ok: boolean; length: number; head_hash: string | null; first_break: { seq: number; reason: string } | null }
export interface AuditPage { entries: AuditEntry[]; chain: ChainStatus }

export interface MatchingStatus {
  queue: { waiting: number; offered: number; by_topic: Record<string, number> };
  supporters: { available: number; paused: number };
  sessions: { active: number; creating: number };
  partners: { partner: string; status: string; outbox_pending: number }[];
}

const enc = encodeURIComponent;

/** GET /v1/admin/policy */
export const getPolicy = (b: BridgeClient): Promise<{ policy: InstitutionPolicy; status: PolicyStatus }> => b.request('GET', '/v1/admin/policy');
/** POST /v1/admin/policy/reload */
export const reloadPolicy = (b: BridgeClient): Promise<{ result: ReloadResult; status: PolicyStatus }> => b.request('POST', '/v1/admin/policy/reload', { body: {} });

/** GET /v1/admin/roster/supporters */
export const listSupporters = async (b: BridgeClient): Promise<Supporter[]> => (await b.request<{ supporters: Supporter[] }>('GET', '/v1/admin/roster/supporters')).supporters;
/** PUT /v1/admin/roster/supporters/{userId} */
export const putSupporter = (b: BridgeClient, userId: string, input: SupporterInput): Promise<Supporter> => b.request('PUT', `/v1/admin/roster/supporters/${enc(userId)}`, { body: input });
/** DELETE /v1/admin/roster/supporters/{userId} */
export const removeSupporter = async (b: BridgeClient, userId: string): Promise<void> => { await b.request('DELETE', `/v1/admin/roster/supporters/${enc(userId)}`); };

/** GET /v1/admin/roster/counsellors */
export const listCounsellors = async (b: BridgeClient): Promise<Counsellor[]> => (await b.request<{ counsellors: Counsellor[] }>('GET', '/v1/admin/roster/counsellors')).counsellors;
/** PUT /v1/admin/roster/counsellors/{userId} */
export const putCounsellor = (b: BridgeClient, userId: string, input: CounsellorInput): Promise<Counsellor> => b.request('PUT', `/v1/admin/roster/counsellors/${enc(userId)}`, { body: input });
/** DELETE /v1/admin/roster/counsellors/{userId} */
export const removeCounsellor = async (b: BridgeClient, userId: string): Promise<void> => { await b.request('DELETE', `/v1/admin/roster/counsellors/${enc(userId)}`); };

/** GET /v1/admin/roster/admins */
export const listAdmins = async (b: BridgeClient): Promise<Admin[]> => (await b.request<{ admins: Admin[] }>('GET', '/v1/admin/roster/admins')).admins;
/** PUT /v1/admin/roster/admins/{userId} */
export const putAdmin = async (b: BridgeClient, userId: string): Promise<void> => { await b.request('PUT', `/v1/admin/roster/admins/${enc(userId)}`, { body: {} }); };
/** DELETE /v1/admin/roster/admins/{userId} */
export const removeAdmin = async (b: BridgeClient, userId: string): Promise<void> => { await b.request('DELETE', `/v1/admin/roster/admins/${enc(userId)}`); };

/** GET /v1/admin/figures */
export const getFigures = (b: BridgeClient, range: { from?: string; to?: string } = {}): Promise<FiguresReport> => {
  const q = new URLSearchParams(Object.entries(range).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return b.request('GET', `/v1/admin/figures${q.size > 0 ? `?${q}` : ''}`);
};

/** GET /v1/admin/audit — newest first; `before` pages back (entries with a lower seq). */
export const getAudit = (b: BridgeClient, page: { limit?: number; before?: number } = {}): Promise<AuditPage> => {
  const q = new URLSearchParams();
  if (page.limit !== undefined) q.set('limit', String(page.limit));
  if (page.before !== undefined) q.set('before', String(page.before));
  return b.request('GET', `/v1/admin/audit${q.size > 0 ? `?${q}` : ''}`);
};

/** GET /v1/admin/matching */
export const getMatchingStatus = (b: BridgeClient): Promise<MatchingStatus> => b.request('GET', '/v1/admin/matching');

/** A form field a bridge problem concerns (null: the record as a whole). */
export type RosterField = 'user' | 'topics' | 'training' | 'capacity' | 'team' | null;

/** What the bridge said was wrong, one entry per problem, each naming its field where it can. */
export interface AdminProblem { field: RosterField; message: string }
export interface AdminError { errcode: string; message: string; problems: AdminProblem[] }

function fieldOf(text: string): RosterField {
  const t = text.replace(/^body\.?/, '');
  if (/^topics\b|topic '/.test(t)) return 'topics';
  if (/^training\b|training\[/.test(t)) return 'training';
  if (/^capacity\b|capacity \d/.test(t)) return 'capacity';
  if (/^team\b/.test(t)) return 'team';
  if (/user id|is not a user of/.test(t)) return 'user';
  return null;
}

/** A bridge error as the forms show it: errcode, message, and the problems it lists ({path, message} or strings). */
export function adminErrorOf(e: unknown): AdminError {
  if (!(e instanceof BridgeError)) return { errcode: 'UNKNOWN', message: e instanceof Error ? e.message : String(e), problems: [] };
  const raw = Array.isArray(e.body['problems']) ? (e.body['problems'] as unknown[]) : [];
  const problems: AdminProblem[] = raw.map((p) => {
    if (typeof p === 'string') return { field: fieldOf(p), message: p };
    const o = (p ?? {}) as { path?: unknown; message?: unknown };
    const path = typeof o.path === 'string' ? o.path : '';
    return { field: fieldOf(path), message: `${path.replace(/^body\.?/, '')}: ${String(o.message ?? '')}`.replace(/^: /, '') };
  });
  if (problems.length === 0) problems.push({ field: fieldOf(e.message), message: e.message });
  return { errcode: e.errcode, message: e.message, problems };
}
