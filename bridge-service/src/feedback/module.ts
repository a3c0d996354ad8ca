// Anonymous session feedback (issue #9): after a peer session the student may say how helpful it was
// (1–5), whether they felt safe, and tick themes from a fixed list (protocol/src/feedback.ts). The
// bridge keeps it so that nobody — an admin with the database included — can tie an answer to a
// student or a session; supporters see their own aggregate only in batches of at least 5.
//
// How, and why:
// - Tickets, not identity. When a session has ended, the student's client asks for a one-time
//   ticket (only the session's own student, once per session; the client asks automatically whether
//   or not the student answers, so "ticket issued" says nothing about who answered). The answer is
//   sent with the ticket to a public route, without a session token, so the request log has no user.
// - Sealed tickets instead of stored ones (an improvement on storing a ticket hash at issuance): a
//   ticket is AES-256-GCM-sealed under a per-ISO-week key and holds the supporter, the topic and a
//   256-bit nonce. Issuing writes only the session's "ticket issued" marker; spending writes only the
//   hash of the nonce (single use, atomically with the counting). A stored ticket row written at
//   issuance would let anyone comparing two database snapshots tie the ticket (hence the session) to
//   the spend; here no table holds anything created at issuance except the marker. Keys and markers
//   are deleted once their week's tickets expire (the session's week and the next), after which even
//   a leaked old ticket opens nothing.
// - Counters, not rows. Answers are added to counters keyed by (ISO week, topic) for the report, and
//   separately by (supporter, batch) for the supporter — never both together, so the counters do not
//   keep the joint (supporter, topic, week) that sessions have; no response row, so no row id,
//   insertion order, timestamp or combination of one student's answers survives. Tables are WITHOUT
//   ROWID (SQLite) with natural keys; no serial or timestamp columns (PostgreSQL); time is the week.
// - Batches for supporters. A supporter's answers go to a pending batch; when it holds 5, it is added
//   to what the supporter sees, and emptied. So the visible aggregate only ever grows by ≥5 at once and
//   a supporter cannot read one student's answer by watching it change.
// - Cross-institution sessions (student at A, supporter at B): the student's client talks to A's
//   bridge, which hosts the session, so A issues the ticket and counts the answer under (week, topic)
//   in A's report. A keeps no per-supporter counters for B's staff (it does not report on them), and B
//   never learns the answers: B's supporter's aggregate covers students of B only. Forwarding batches
//   to the partner is left for later.
// Residual risks, honestly:
// - Small counts: an admin who reads the matching tables knows which sessions ended in a week; if a
//   topic had one session that week, the (week, topic) counter is that student's answer. The report
//   suppresses cells under 5, but database access bypasses that. Likewise a supporter whose pending
//   batch holds one response: an admin can read the pending counters.
// - A live observer (watching the database, its WAL or the access log in real time) can correlate
//   the moment a ticket is issued (logged with the student) with the moment an answer is counted.
//   The design protects data at rest (dumps, backups, later inspection), not a live observer; a
//   client-side random delay before sending, or blind-signed tickets, would narrow this further.
// - Network addresses: the public route sees the client's address like any other request; the bridge
//   does not log or store it beyond the access log's usual fields.
import type { BridgeModule } from '../bridge.ts';
import type { BridgeServices } from '../app.ts';
import type { ApiRouter } from '../api/route.ts';
import { FeedbackService } from './feedback-service.ts';
import { register as registerRoutes } from './routes.ts';

export type FeedbackModule = BridgeModule & { readonly feedback: FeedbackService };

export function feedbackModule(opts: { purgeEveryMs?: number } = {}): FeedbackModule {
  let feedback: FeedbackService | null = null;
  let timer: NodeJS.Timeout | null = null;
  let purging: Promise<unknown> | null = null;
  let logError: (e: unknown) => void = () => undefined;
  return {
    name: 'feedback',
    get feedback(): FeedbackService {
      if (!feedback) throw new Error('the feedback module is not registered yet');
      return feedback;
    },
    register(s: BridgeServices, router: ApiRouter): void {
      feedback = new FeedbackService({
        store: s.store.feedback, matching: s.store.matching, policy: () => s.policy.current(), clock: s.clock, serverName: s.serverName,
      });
      const logger = s.logger.child({ component: 'feedback' });
      logError = (e) => logger.error('feedback ticket purge failed', { error: (e as Error).message });
      registerRoutes(router, { feedback });
    },
    start(): void {
      const f = feedback!;
      const sweep = (): void => {
        purging ??= f.purgeExpired().catch(logError).finally(() => { purging = null; });
      };
      sweep();
      timer = setInterval(sweep, opts.purgeEveryMs ?? 60 * 60_000);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await purging;
    },
  };
}
