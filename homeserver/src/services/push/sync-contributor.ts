// Puts the user's push rules into /sync as `m.push_rules` global account data (spec: "Push Rules:
// Events"): on every initial sync, and on incremental syncs whose range covers a change.
import type { SyncContributor, SyncRequestInfo, SyncResponse } from '../sync/contributor.ts';
import type { JsonObject } from '../../core/pdu.ts';
import type { PushRulesService } from './push-rules.ts';

export function pushRulesSyncContributor(rules: PushRulesService): SyncContributor {
  const changed = (req: SyncRequestInfo): boolean =>
    req.since === null || rules.changedBetween(req.userId, req.since, req.upTo);
  return {
    contribute(req: SyncRequestInfo, response: SyncResponse): void {
      if (!changed(req)) return;
      const content = { global: rules.ruleset(req.userId) } as unknown as JsonObject;
      // The server manages this type (PUT account_data rejects it), so ours is the only copy.
      const events = response.account_data.events.filter((e) => e['type'] !== 'm.push_rules');
      events.push({ type: 'm.push_rules', content });
      response.account_data.events = events;
    },
    hasNews(req): boolean {
      return rules.changedBetween(req.userId, req.since, req.upTo);
    },
  };
}
