// Roster management for admins: supporters (topics, training records, capacity, active flag),
// counsellors (team, on-duty schedule) and admins. Every change is checked against the policy in
// force and written together with its audit entry.
import { trustedServerNames, type InstitutionPolicy, type Schedule } from '../../../protocol/src/policy.ts';
import type { AdminRecord, CounsellorRecord, RosterStore, SupporterRecord, TrainingRecord } from '../store/store.ts';
import type { AuditDetails, AuditEntry } from '../core/audit-chain.ts';
import type { Clock } from '../core/clock.ts';
import { BridgeError, notFound } from '../errors.ts';
import type { AuditService } from './audit.ts';
import type { RoleResolver } from './roles.ts';

export interface SupporterInput {
  topics: string[];
  training: { module: string; version: number; completed: string; expires?: string | null }[];
  capacity?: number | null;
  active?: boolean;
}

export interface CounsellorInput {
  team?: string;
  on_duty?: Schedule | null;
  active?: boolean;
}

const invalid = (message: string, problems: string[] = []): BridgeError =>
  new BridgeError(400, 'M_INVALID_PARAM', problems.length > 0 ? `${message}: ${problems.join('; ')}` : message, problems.length > 0 ? { problems } : {});

export class RosterService {
  private readonly store: RosterStore;
  private readonly audit: AuditService;
  private readonly roles: RoleResolver;
  private readonly policy: () => InstitutionPolicy;
  private readonly clock: Clock;

  constructor(opts: { store: RosterStore; audit: AuditService; roles: RoleResolver; policy: () => InstitutionPolicy; clock: Clock }) {
    this.store = opts.store;
    this.audit = opts.audit;
    this.roles = opts.roles;
    this.policy = opts.policy;
    this.clock = opts.clock;
  }

  private audited(entry: AuditEntry | undefined): void {
    if (entry) this.audit.noteAppended();
  }

  // ── supporters ──

  supporters(): Promise<SupporterRecord[]> {
    return this.store.supporters();
  }

  async supporter(userId: string): Promise<SupporterRecord> {
    const s = await this.store.supporter(userId);
    if (!s) throw notFound(`${userId} is not on the supporter roster`);
    return s;
  }

  async putSupporter(actor: string, userId: string, input: SupporterInput): Promise<SupporterRecord> {
    const policy = this.policy();
    const problems: string[] = [];
    const server = userId.slice(userId.indexOf(':') + 1);
    if (!trustedServerNames(policy).includes(server)) problems.push(`${userId} is not a user of this institution or of a partner in the policy`);
    const topics = new Set(policy.topics.map((t) => t.id));
    for (const t of input.topics) if (!topics.has(t)) problems.push(`topic '${t}' is not in the policy`);
    const modules = new Set(policy.supporters.training.modules.map((m) => m.id));
    input.training.forEach((t, i) => {
      if (!modules.has(t.module)) problems.push(`training[${i}].module '${t.module}' is not in the policy`);
      if (t.expires != null && t.expires < t.completed) problems.push(`training[${i}].expires is before its completion`);
    });
    if (input.capacity != null && input.capacity > policy.supporters.capacity.max) {
      problems.push(`capacity ${input.capacity} is above the policy's maximum ${policy.supporters.capacity.max}`);
    }
    if (problems.length > 0) throw invalid('The supporter record does not fit the policy', problems);
    // A completion taken in the app keeps its score when an admin's edit lists it again.
    const existing = await this.store.supporter(userId);
    const before = existing?.training ?? [];
    const scoreOf = (t: { module: string; version: number; completed: string }): number | undefined =>
      before.find((b) => b.module === t.module && b.version === t.version && b.completed === t.completed)?.score;
    const training: TrainingRecord[] = input.training.map((t) => {
      const score = scoreOf(t);
      return { module: t.module, version: t.version, completed: t.completed, expires: t.expires ?? null, ...(score !== undefined ? { score } : {}) };
    });
    const rec: SupporterRecord = {
      user_id: userId, topics: [...new Set(input.topics)].sort(), training, capacity: input.capacity ?? null,
      active: input.active ?? true, updated_ts: this.clock.now(), updated_by: actor,
    };
    this.audited(await this.store.putSupporter(rec, {
      actor, action: existing ? 'roster.supporter.update' : 'roster.supporter.add', subject: userId,
      details: {
        topics: rec.topics, capacity: rec.capacity, active: rec.active,
        training: rec.training.map((t) => ({ module: t.module, version: t.version, completed: t.completed, expires: t.expires, ...(t.score !== undefined ? { score: t.score } : {}) })),
      },
    }));
    return (await this.store.supporter(userId))!;
  }

  /**
   * Records a completed training module on a supporter's roster entry (replacing earlier completions
   * of that module), with an audit entry; `details` (e.g. the check's score) go into the audit only.
   */
  async recordTraining(actor: string, userId: string, completion: TrainingRecord, details: AuditDetails = {}): Promise<SupporterRecord> {
    if (!this.policy().supporters.training.modules.some((m) => m.id === completion.module)) {
      throw invalid(`training module '${completion.module}' is not in the policy`);
    }
    // Only this module's records change, in one write: an admin's concurrent edit of the entry stays.
    const entry = await this.store.recordTraining(userId, completion, {
      actor, action: 'roster.training.complete', subject: userId,
      details: { ...details, module: completion.module, version: completion.version, completed: completion.completed, expires: completion.expires },
    }, this.clock.now(), actor);
    if (!entry) throw notFound(`${userId} is not on the supporter roster`);
    this.audited(entry);
    return (await this.store.supporter(userId))!;
  }

  async removeSupporter(actor: string, userId: string): Promise<void> {
    const e = await this.store.removeSupporter(userId, { actor, action: 'roster.supporter.remove', subject: userId, details: {} }, this.clock.now());
    if (!e) throw notFound(`${userId} is not on the supporter roster`);
    this.audited(e);
  }

  // ── counsellors ──

  counsellors(): Promise<CounsellorRecord[]> {
    return this.store.counsellors();
  }

  async counsellor(userId: string): Promise<CounsellorRecord> {
    const c = await this.store.counsellor(userId);
    if (!c) throw notFound(`${userId} is not on the counsellor roster`);
    return c;
  }

  async putCounsellor(actor: string, userId: string, input: CounsellorInput): Promise<CounsellorRecord> {
    if (!this.roles.isLocal(userId)) throw invalid(`${userId} is not a user of this institution; counsellors act for their own institution only`);
    const rec: CounsellorRecord = {
      user_id: userId, team: input.team ?? this.policy().escalation.counsellor_team, on_duty: input.on_duty ?? null,
      active: input.active ?? true, updated_ts: this.clock.now(), updated_by: actor,
    };
    if (rec.on_duty) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: rec.on_duty.time_zone });
      } catch {
        throw invalid(`on_duty.time_zone '${rec.on_duty.time_zone}' is not an IANA time zone`);
      }
    }
    const existed = (await this.store.counsellor(userId)) !== undefined;
    this.audited(await this.store.putCounsellor(rec, {
      actor, action: existed ? 'roster.counsellor.update' : 'roster.counsellor.add', subject: userId,
      details: { team: rec.team, active: rec.active, on_duty: rec.on_duty === null ? null : JSON.parse(JSON.stringify(rec.on_duty)) },
    }));
    return (await this.store.counsellor(userId))!;
  }

  async removeCounsellor(actor: string, userId: string): Promise<void> {
    const e = await this.store.removeCounsellor(userId, { actor, action: 'roster.counsellor.remove', subject: userId, details: {} }, this.clock.now());
    if (!e) throw notFound(`${userId} is not on the counsellor roster`);
    this.audited(e);
  }

  // ── admins ──

  /** Roster admins plus the bootstrap admins of the config (which the API cannot remove). */
  async admins(): Promise<(AdminRecord & { bootstrap: boolean })[]> {
    const listed = await this.store.admins();
    const out = listed.map((a) => ({ ...a, bootstrap: this.roles.isBootstrapAdmin(a.user_id) }));
    for (const id of this.roles.bootstrapAdmins()) {
      if (!listed.some((a) => a.user_id === id)) out.push({ user_id: id, added_ts: 0, added_by: 'config', bootstrap: true });
    }
    return out.sort((a, b) => a.user_id.localeCompare(b.user_id));
  }

  async putAdmin(actor: string, userId: string): Promise<AdminRecord> {
    if (!this.roles.isLocal(userId)) throw invalid(`${userId} is not a user of this institution`);
    const existing = await this.store.admin(userId);
    if (existing) return existing;
    this.audited(await this.store.putAdmin({ user_id: userId, added_ts: this.clock.now(), added_by: actor }, {
      actor, action: 'roster.admin.add', subject: userId, details: {},
    }));
    return (await this.store.admin(userId))!;
  }

  async removeAdmin(actor: string, userId: string): Promise<void> {
    if (this.roles.isBootstrapAdmin(userId) && !(await this.store.admin(userId))) {
      throw new BridgeError(409, 'ORG.PEERLINE.BOOTSTRAP_ADMIN', `${userId} is an admin by the bridge config; remove it there`);
    }
    const e = await this.store.removeAdmin(userId, { actor, action: 'roster.admin.remove', subject: userId, details: {} }, this.clock.now());
    if (!e) throw notFound(`${userId} is not on the admin roster`);
    this.audited(e);
  }
}
