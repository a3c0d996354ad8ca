// The Synapse configuration options this generator writes, with the types Synapse documents for
// them. Built by hand from Synapse 1.157.1's docs/usage/configuration/config_documentation.md
// (generated there from schema/synapse-config.schema.yaml, schema id .../synapse/v1.157/...), and
// for the appservice registration from docs/application_services.md and synapse/config/appservice.py
// of the same release. Only what we emit is listed: a key missing here fails the tests, so a new
// option has to be looked up in Synapse's documentation before the generator may write it.
//
// Paths: `a.b` is key b of object a; `a[]` is every element of array a. Types follow the
// documentation's names: `duration` and `byte size` are a whole number or a string with a unit
// ("12h", "20M"); `open object` is a map Synapse passes on unchecked (database.args goes to libpq,
// a mapping provider's config to its module), so its keys are not looked up here.

export type OptionType =
  | 'string' | 'integer' | 'number' | 'boolean' | 'null'
  | 'object' | 'open object' | 'array' | 'duration' | 'byte size';

export interface OptionSpec {
  /** Accepted types (Synapse documents e.g. `string|null`, `boolean|string`). */
  types: readonly OptionType[];
  /** Allowed values, where the documentation lists them. */
  enum?: readonly (string | boolean)[];
}

const t = (...types: OptionType[]): OptionSpec => ({ types });
const oneOf = (types: OptionType[], values: (string | boolean)[]): OptionSpec => ({ types, enum: values });
const rc = (prefix: string): Record<string, OptionSpec> => ({
  [prefix]: t('object'),
  [`${prefix}.per_second`]: t('number'),
  [`${prefix}.burst_count`]: t('number'),
});

export const SYNAPSE_DOC_VERSION = 'Synapse 1.157.1, docs/usage/configuration/config_documentation.md';

/** homeserver.yaml options (config_documentation.md, Synapse 1.157.1). */
export const HOMESERVER_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  server_name: t('string'),
  public_baseurl: t('string', 'null'),
  report_stats: t('boolean'),
  pid_file: t('string', 'null'),

  listeners: t('array'),
  'listeners[]': t('object'),
  'listeners[].port': t('integer'),
  'listeners[].bind_addresses': t('array', 'null'),
  'listeners[].bind_addresses[]': t('string'),
  'listeners[].type': oneOf(['string'], ['http', 'manhole', 'metrics']),
  'listeners[].tls': t('boolean'),
  'listeners[].x_forwarded': t('boolean'),
  'listeners[].resources': t('array'),
  'listeners[].resources[]': t('object'),
  'listeners[].resources[].names': t('array'),
  'listeners[].resources[].names[]': oneOf(['string'], ['client', 'consent', 'federation', 'keys', 'media', 'metrics', 'openid', 'replication', 'static', 'health']),
  'listeners[].resources[].compress': t('boolean'),

  database: t('object'),
  'database.name': oneOf(['string'], ['sqlite3', 'psycopg2']),
  'database.txn_limit': t('integer'),
  'database.allow_unsafe_locale': t('boolean'),
  'database.args': t('open object'),

  log_config: t('string', 'null'),
  media_store_path: t('string'),
  signing_key_path: t('string', 'null'),
  trusted_key_servers: t('array'),
  'trusted_key_servers[]': t('object'),
  'trusted_key_servers[].server_name': t('string'),
  macaroon_secret_key_path: t('string', 'null'),
  form_secret_path: t('string', 'null'),
  registration_shared_secret_path: t('string', 'null'),

  encryption_enabled_by_default_for_room_type: oneOf(['string'], ['all', 'invite', 'off']),
  federation_custom_ca_list: t('array'),
  'federation_custom_ca_list[]': t('string'),
  federation_domain_whitelist: t('array'),
  'federation_domain_whitelist[]': t('string'),
  app_service_config_files: t('array'),
  'app_service_config_files[]': t('string'),

  retention: t('object'),
  'retention.enabled': t('boolean'),
  'retention.default_policy': t('object'),
  'retention.default_policy.min_lifetime': t('duration', 'null'),
  'retention.default_policy.max_lifetime': t('duration', 'null'),
  'retention.allowed_lifetime_min': t('duration', 'null'),
  'retention.allowed_lifetime_max': t('duration', 'null'),
  'retention.purge_jobs': t('array', 'null'),
  'retention.purge_jobs[]': t('object'),
  'retention.purge_jobs[].shortest_max_lifetime': t('duration', 'null'),
  'retention.purge_jobs[].longest_max_lifetime': t('duration', 'null'),
  'retention.purge_jobs[].interval': t('duration'),

  ...rc('rc_message'),
  ...rc('rc_registration'),
  ...rc('rc_registration_token_validity'),
  rc_login: t('object'),
  ...rc('rc_login.address'),
  ...rc('rc_login.account'),
  ...rc('rc_login.failed_attempts'),
  rc_joins: t('object'),
  ...rc('rc_joins.local'),
  ...rc('rc_joins.remote'),
  rc_invites: t('object'),
  ...rc('rc_invites.per_room'),
  ...rc('rc_invites.per_user'),
  ...rc('rc_invites.per_issuer'),
  ...rc('rc_room_creation'),
  ...rc('rc_media_create'),
  ...rc('rc_reports'),
  ...rc('rc_user_directory'),
  rc_federation: t('object'),
  'rc_federation.window_size': t('integer'),
  'rc_federation.sleep_limit': t('integer'),
  'rc_federation.sleep_delay': t('integer'),
  'rc_federation.reject_limit': t('integer'),
  'rc_federation.concurrent': t('integer'),

  enable_registration: t('boolean'),
  registration_requires_token: t('boolean'),
  allow_guest_access: t('boolean'),
  enable_3pid_lookup: t('boolean'),
  password_config: t('object'),
  'password_config.enabled': oneOf(['boolean', 'string'], [true, false, 'only_for_reauth']),
  oidc_providers: t('array'),
  'oidc_providers[]': t('object'),
  'oidc_providers[].idp_id': t('string'),
  'oidc_providers[].idp_name': t('string'),
  'oidc_providers[].issuer': t('string'),
  'oidc_providers[].client_id': t('string'),
  'oidc_providers[].client_secret_path': t('string', 'null'),
  'oidc_providers[].client_auth_method': oneOf(['string', 'null'], ['client_secret_basic', 'client_secret_post', 'none']),
  'oidc_providers[].pkce_method': oneOf(['string', 'null'], ['auto', 'always', 'never']),
  'oidc_providers[].scopes': t('array', 'null'),
  'oidc_providers[].scopes[]': t('string'),
  'oidc_providers[].allow_existing_users': t('boolean'),
  'oidc_providers[].enable_registration': t('boolean'),
  'oidc_providers[].user_mapping_provider': t('object'),
  'oidc_providers[].user_mapping_provider.config': t('open object'),
  'oidc_providers[].attribute_requirements': t('array'),
  'oidc_providers[].attribute_requirements[]': t('object'),
  'oidc_providers[].attribute_requirements[].attribute': t('string'),
  'oidc_providers[].attribute_requirements[].value': t('string'),
  'oidc_providers[].attribute_requirements[].one_of': t('array'),
  'oidc_providers[].attribute_requirements[].one_of[]': t('string'),
  sso: t('object'),
  'sso.client_whitelist': t('array'),
  'sso.client_whitelist[]': t('string'),

  user_directory: t('object'),
  'user_directory.enabled': t('boolean'),
  'user_directory.search_all_users': t('boolean'),
  'user_directory.prefer_local_users': t('boolean'),
  'user_directory.exclude_remote_users': t('boolean'),

  allow_public_rooms_without_auth: t('boolean'),
  allow_public_rooms_over_federation: t('boolean'),
  enable_room_list_search: t('boolean'),
  room_list_publication_rules: t('array', 'null'),
  'room_list_publication_rules[]': t('object'),
  'room_list_publication_rules[].user_id': t('string', 'null'),
  'room_list_publication_rules[].alias': t('string', 'null'),
  'room_list_publication_rules[].room_id': t('string', 'null'),
  'room_list_publication_rules[].action': oneOf(['string'], ['allow', 'deny']),

  presence: t('object'),
  'presence.enabled': oneOf(['boolean', 'string'], [true, false, 'untracked']),
  require_auth_for_profile_requests: t('boolean'),
  limit_profile_requests_to_users_who_share_rooms: t('boolean'),

  enable_metrics: t('boolean'),

  enable_authenticated_media: t('boolean'),
  max_upload_size: t('byte size'),
  max_image_pixels: t('byte size'),
  media_upload_limits: t('array'),
  'media_upload_limits[]': t('object'),
  'media_upload_limits[].time_period': t('duration'),
  'media_upload_limits[].max_size': t('byte size'),
  media_retention: t('object'),
  'media_retention.local_media_lifetime': t('duration', 'null'),
  'media_retention.remote_media_lifetime': t('duration', 'null'),
  url_preview_enabled: t('boolean'),
};

/** The appservice registration file (docs/application_services.md; synapse/config/appservice.py). */
export const REGISTRATION_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  id: t('string'),
  url: t('string', 'null'),
  as_token: t('string'),
  hs_token: t('string'),
  sender_localpart: t('string'),
  namespaces: t('object'),
  'namespaces.users': t('array'),
  'namespaces.users[]': t('object'),
  'namespaces.users[].exclusive': t('boolean'),
  'namespaces.users[].regex': t('string'),
  'namespaces.aliases': t('array'),
  'namespaces.rooms': t('array'),
  rate_limited: t('boolean'),
  receive_ephemeral: t('boolean'),
};

/** log.config: Python's logging.config dictConfig schema (the format log_config names). */
export const LOG_CONFIG_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  version: t('integer'),
  disable_existing_loggers: t('boolean'),
  formatters: t('open object'),
  handlers: t('open object'),
  loggers: t('open object'),
  root: t('object'),
  'root.level': oneOf(['string'], ['CRITICAL', 'ERROR', 'WARNING', 'INFO', 'DEBUG']),
  'root.handlers': t('array'),
  'root.handlers[]': t('string'),
};

// Synapse's parse_duration: a number of milliseconds, or a number with one of these units.
const DURATION = /^\d+(ms|s|m|h|d|w|y)?$/;
// Synapse's parse_size: a number of bytes, or a number with K, M, G or T.
const BYTE_SIZE = /^\d+[KMGT]?$/;

function typeOf(value: unknown): OptionType[] {
  if (value === null) return ['null'];
  if (Array.isArray(value)) return ['array'];
  switch (typeof value) {
    case 'boolean': return ['boolean'];
    case 'number': return Number.isInteger(value) ? ['integer', 'number', 'duration', 'byte size'] : ['number'];
    case 'string': return ['string', ...(DURATION.test(value) ? ['duration' as const] : []), ...(BYTE_SIZE.test(value) ? ['byte size' as const] : [])];
    case 'object': return ['object', 'open object'];
    default: return [];
  }
}

export interface OptionProblem { path: string; message: string }

/**
 * Every key of `doc` checked against `table`: undocumented keys, wrong types and values outside a
 * documented set are reported with their path (`listeners[1].type`).
 */
export function checkOptions(doc: unknown, table: Readonly<Record<string, OptionSpec>>): OptionProblem[] {
  const out: OptionProblem[] = [];
  const visit = (value: unknown, key: string, shown: string): void => {
    const spec = table[key];
    if (spec === undefined) {
      out.push({ path: shown, message: 'is not a documented option' });
      return;
    }
    const actual = typeOf(value);
    if (!spec.types.some((x) => actual.includes(x))) {
      out.push({ path: shown, message: `expected ${spec.types.join('|')}, found ${JSON.stringify(value)}` });
      return;
    }
    if (spec.enum !== undefined && spec.enum.length > 0 && (typeof value === 'string' || typeof value === 'boolean') && !spec.enum.includes(value)) {
      out.push({ path: shown, message: `expected one of ${spec.enum.join(', ')}, found ${JSON.stringify(value)}` });
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${key}[]`, `${shown}[${i}]`));
    } else if (value !== null && typeof value === 'object' && !spec.types.includes('open object')) {
      for (const [k, v] of Object.entries(value)) visit(v, `${key}.${k}`, `${shown}.${k}`);
    }
  };
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return [{ path: '$', message: 'expected a mapping at the top level' }];
  for (const [k, v] of Object.entries(doc)) visit(v, k, k);
  return out;
}
