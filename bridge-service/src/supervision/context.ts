// What the parts of the supervision module share, and who supervises: the active counsellors of
// this institution (of the policy's `supervision.team` when it names one), for the supporters of this
// institution only. A counsellor of another institution has no counsellor role here at all.
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../logger.ts';
import type { AuditService } from '../services/audit.ts';
import type { HomeserverClient } from '../services/homeserver-client.ts';
import { forbidden } from '../errors.ts';
import type { CounsellorRecord, RosterStore } from '../store/store.ts';
import type { EscalationStore } from '../store/escalation-store.ts';
import type { SupervisionStore } from '../store/supervision-store.ts';

/** The part of HomeserverClient the module uses (unit tests give a fake). */
export type SupervisionHomeserver = Pick<HomeserverClient, 'botUserId' | 'createRoom'>;

export interface SupervisionContext {
  store: SupervisionStore;
  escalation: Pick<EscalationStore, 'receiptsOf'>;
  /** The session's student and room, to look for a consent receipt (never returned to anyone). */
  sessionOf: (sessionId: string) => Promise<{ supporter: string; student: string | null; room_id: string | null; role: 'host' | 'partner' } | undefined>;
  roster: RosterStore;
  audit: AuditService;
  policy: () => InstitutionPolicy;
  clock: Clock;
  logger: Logger;
  homeserver: SupervisionHomeserver;
  serverName: string;
  /** A supporter's break began or ended: let the matcher look again. */
  supporterChanged: () => void;
}

export const serverOf = (userId: string): string => userId.slice(userId.indexOf(':') + 1);

/** Whether this counsellor record supervises under the policy. */
export function supervises(c: CounsellorRecord | undefined, policy: InstitutionPolicy, serverName: string): c is CounsellorRecord {
  if (!c || !c.active || serverOf(c.user_id) !== serverName) return false;
  const team = policy.supervision?.team;
  return team === undefined || c.team === team;
}

/** Throws 403 unless the caller supervises (the route already required the counsellor role). */
export async function requireSupervisor(ctx: SupervisionContext, userId: string): Promise<CounsellorRecord> {
  const rec = await ctx.roster.counsellor(userId);
  if (!supervises(rec, ctx.policy(), ctx.serverName)) throw forbidden(`Only counsellors of the supervision team (${ctx.policy().supervision?.team ?? 'any'}) supervise supporters`);
  return rec;
}

/** The supervisors, by user id. */
export async function supervisors(ctx: SupervisionContext): Promise<CounsellorRecord[]> {
  const policy = ctx.policy();
  return (await ctx.roster.counsellors()).filter((c) => supervises(c, policy, ctx.serverName)).sort((a, b) => (a.user_id < b.user_id ? -1 : 1));
}
