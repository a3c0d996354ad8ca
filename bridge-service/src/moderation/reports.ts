// Message reports in support groups. Any member may report a message of another; the reporter's
// client sends only the plaintext the reporter chose to share (the bridge cannot read the room).
// The group's moderators see the report with that text and the reported sender — never who
// reported it. Reports are deleted when the group retention period ends; the audit log records
// that a report was made and closed, never its text.
import { randomBytes } from 'node:crypto';
import type { Role } from '../services/roles.ts';
import { BridgeError, forbidden, invalidParam, notFound } from '../errors.ts';
import { DuplicateReportError, type ReportReason, type ReportRecord } from '../store/moderation-store.ts';
import type { GroupAccess, ModerationContext } from './context.ts';

const DAY_MS = 86_400_000;

export interface ReportInput {
  room_id: string;
  event_id: string;
  reason_code: ReportReason;
  shared_text?: string;
}

/** What moderators see: no reporter. */
export type ReportView = Omit<ReportRecord, 'reporter' | 'purge_after_ts'>;

export function reportView(r: ReportRecord): ReportView {
  const { reporter: _reporter, purge_after_ts: _purge, ...view } = r;
  return view;
}

export class MessageReports {
  private readonly c: ModerationContext;
  private readonly access: GroupAccess;

  constructor(c: ModerationContext, access: GroupAccess) {
    this.c = c;
    this.access = access;
  }

  async create(reporter: string, input: ReportInput): Promise<ReportRecord> {
    const room = await this.c.matching.room(input.room_id);
    if (!room || room.kind !== 'group') throw notFound(`No support group has room ${input.room_id}`);
    const g = await this.access.group(room.ref_id, { open: true });
    const members = await this.access.members(g.room_id);
    if (members.get(reporter)?.membership !== 'join') throw forbidden('Only members of this group can report its messages');
    const sender = await this.access.senderOf(g.room_id, input.event_id);
    if (sender === reporter) throw invalidParam('You cannot report your own message');
    const text = input.shared_text?.trim() ?? '';
    const now = this.c.clock.now();
    const record: ReportRecord = {
      report_id: `rp_${randomBytes(15).toString('base64url')}`, group_id: g.id, room_id: g.room_id, event_id: input.event_id,
      reported_user_id: sender, reporter, reason_code: input.reason_code, shared_text: text === '' ? null : text,
      created_ts: now, closed_ts: null, closed_by: null, purge_after_ts: now + this.c.policy().retention_days.group * DAY_MS,
    };
    try {
      await this.c.store.insertReport(record, {
        actor: reporter, action: 'group.report.created', subject: record.report_id,
        details: { group_id: g.id, reason_code: input.reason_code, text_shared: record.shared_text !== null },
      });
    } catch (e) {
      if (e instanceof DuplicateReportError) throw new BridgeError(409, 'ORG.PEERLINE.ALREADY_REPORTED', 'You have already reported this message; the moderators have it');
      throw e;
    }
    this.c.audit.noteAppended();
    this.c.metrics.reports.inc({ event: 'created', reason: input.reason_code });
    return record;
  }

  async list(actor: string, roles: readonly Role[], groupId: string, status: 'open' | 'all'): Promise<ReportView[]> {
    const g = await this.access.group(groupId);
    await this.access.requireModerator(actor, roles, g);
    return (await this.c.store.reportsOfGroup(g.id, { open: status === 'open', limit: 200 })).map(reportView);
  }

  async close(actor: string, roles: readonly Role[], reportId: string): Promise<ReportView> {
    const r = await this.c.store.report(reportId);
    if (!r) throw notFound(`No report ${reportId}`);
    await this.access.requireModerator(actor, roles, await this.access.group(r.group_id));
    const now = this.c.clock.now();
    const closed = await this.c.store.closeReport(r.report_id, actor, now, {
      actor, action: 'group.report.closed', subject: r.report_id, details: { group_id: r.group_id, reason_code: r.reason_code },
    });
    if (!closed) throw new BridgeError(409, 'ORG.PEERLINE.NO_CHANGE', `Report ${reportId} is closed already`);
    this.c.audit.noteAppended();
    this.c.metrics.reports.inc({ event: 'closed', reason: r.reason_code });
    return reportView({ ...r, closed_ts: now, closed_by: actor });
  }

  /** Deletes reports past the retention period. */
  async purgeDue(): Promise<number> {
    const n = await this.c.store.purgeReports(this.c.clock.now(), (count) => ({ actor: 'system', action: 'group.report.purged', subject: null, details: { count } }));
    if (n > 0) {
      this.c.audit.noteAppended();
      this.c.metrics.reports.inc({ event: 'purged', reason: 'retention' }, n);
    }
    return n;
  }
}
