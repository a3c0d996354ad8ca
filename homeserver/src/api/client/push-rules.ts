// Push Rules API and pushers (spec: "Push Rules: API", "Client behaviour" of the push module).
import type { Router, RequestContext } from '../router.ts';
import type { PushRulesService } from '../../services/push/push-rules.ts';
import type { PushersService } from '../../services/push/pushers.ts';
import { isRuleKind, type RuleKind } from '../../services/push/rules.ts';
import { badJson, invalidParam, missingParam } from '../errors.ts';
import { requireObject } from '../validate.ts';

const V3 = '/_matrix/client/v3';

/** Only the `global` scope exists (device scopes were never implemented and left the spec). */
function checkScope(scope: string | undefined): void {
  if (scope !== 'global') throw invalidParam(`unknown push rule scope '${scope ?? ''}': only 'global' is supported`);
}

function kindParam(ctx: RequestContext): RuleKind {
  checkScope(ctx.params['scope']);
  const kind = ctx.params['kind'] ?? '';
  if (!isRuleKind(kind)) throw invalidParam(`unknown push rule kind '${kind}': expected override, content, room, sender or underride`);
  return kind;
}

/** A query parameter that, when present but empty, counts as absent. */
function queryParam(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.query.get(name);
  return v === null || v === '' ? undefined : v;
}

export function registerPushRoutes(router: Router, push: { rules: PushRulesService; pushers: PushersService }): void {
  const { rules, pushers } = push;

  /** GET /_matrix/client/v3/pushrules/ */
  router.add({
    method: 'GET', path: `${V3}/pushrules/`, auth: 'required',
    handler: (ctx) => ({ global: rules.ruleset(ctx.auth.userId) }),
  });

  /** GET /_matrix/client/v3/pushrules/global/ */
  router.add({
    method: 'GET', path: `${V3}/pushrules/:scope/`, auth: 'required',
    handler: (ctx) => {
      checkScope(ctx.params['scope']);
      return rules.ruleset(ctx.auth.userId);
    },
  });

  // GET /pushrules/global/{kind}/ — not in the spec, but Synapse serves it and some clients use it.
  router.add({
    method: 'GET', path: `${V3}/pushrules/:scope/:kind/`, auth: 'required',
    handler: (ctx) => rules.ruleset(ctx.auth.userId)[kindParam(ctx)],
  });

  /** GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId} */
  router.add({
    method: 'GET', path: `${V3}/pushrules/:scope/:kind/:ruleId`, auth: 'required',
    handler: (ctx) => rules.rule(ctx.auth.userId, kindParam(ctx), ctx.params['ruleId']!),
  });

  /** PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId} */
  router.add({
    method: 'PUT', path: `${V3}/pushrules/:scope/:kind/:ruleId`, auth: 'required', rateLimited: true,
    handler: async (ctx) => {
      const kind = kindParam(ctx);
      const body = requireObject(ctx.body, 'request body');
      await rules.putRule(ctx.auth.userId, kind, ctx.params['ruleId']!, body, {
        before: queryParam(ctx, 'before'),
        after: queryParam(ctx, 'after'),
      });
      return {};
    },
  });

  /** DELETE /_matrix/client/v3/pushrules/global/{kind}/{ruleId} */
  router.add({
    method: 'DELETE', path: `${V3}/pushrules/:scope/:kind/:ruleId`, auth: 'required',
    handler: async (ctx) => {
      await rules.deleteRule(ctx.auth.userId, kindParam(ctx), ctx.params['ruleId']!);
      return {};
    },
  });

  /** GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled */
  router.add({
    method: 'GET', path: `${V3}/pushrules/:scope/:kind/:ruleId/enabled`, auth: 'required',
    handler: (ctx) => ({ enabled: rules.rule(ctx.auth.userId, kindParam(ctx), ctx.params['ruleId']!).enabled }),
  });

  /** PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled */
  router.add({
    method: 'PUT', path: `${V3}/pushrules/:scope/:kind/:ruleId/enabled`, auth: 'required',
    handler: async (ctx) => {
      const kind = kindParam(ctx);
      // Synapse also accepts a bare boolean body, which some older clients send.
      const raw = typeof ctx.body === 'boolean' ? ctx.body : requireObject(ctx.body, 'request body')['enabled'];
      if (raw === undefined || raw === null) throw missingParam(`'enabled' is required`);
      if (typeof raw !== 'boolean') throw badJson(`'enabled' must be a boolean`);
      await rules.setEnabled(ctx.auth.userId, kind, ctx.params['ruleId']!, raw);
      return {};
    },
  });

  /** GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions */
  router.add({
    method: 'GET', path: `${V3}/pushrules/:scope/:kind/:ruleId/actions`, auth: 'required',
    handler: (ctx) => ({ actions: rules.rule(ctx.auth.userId, kindParam(ctx), ctx.params['ruleId']!).actions }),
  });

  /** PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions */
  router.add({
    method: 'PUT', path: `${V3}/pushrules/:scope/:kind/:ruleId/actions`, auth: 'required',
    handler: async (ctx) => {
      const kind = kindParam(ctx);
      const body = requireObject(ctx.body, 'request body');
      await rules.setActions(ctx.auth.userId, kind, ctx.params['ruleId']!, body['actions']);
      return {};
    },
  });

  /** GET /_matrix/client/v3/pushers */
  router.add({
    method: 'GET', path: `${V3}/pushers`, auth: 'required',
    handler: (ctx) => ({ pushers: pushers.list(ctx.auth.userId) }),
  });

  /** POST /_matrix/client/v3/pushers/set */
  router.add({
    method: 'POST', path: `${V3}/pushers/set`, auth: 'required', rateLimited: true,
    handler: async (ctx) => {
      await pushers.set(ctx.auth.userId, ctx.auth.deviceId, ctx.body);
      return {};
    },
  });
}
