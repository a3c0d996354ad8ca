// homeserver.yaml, log.config and the appservice registration as plain objects, from an
// institution's policy and its deployment settings. Pure: no files, no secrets — secrets are
// referenced by path (`*_path`, libpq `passfile`), and the registration takes its tokens as input.
import { trustedServerNames, type InstitutionPolicy } from '../../protocol/src/policy.ts';
import type { Deployment } from './deployment.ts';
import { SECRET_FILES, type AppserviceTokens } from './secrets.ts';

function secretPath(d: Deployment, file: string): string {
  return `${d.paths.secrets_dir}/${file}`;
}

const rate = (per_second: number, burst_count: number): { per_second: number; burst_count: number } => ({ per_second, burst_count });

/**
 * Retention: rooms the bridge creates carry m.room.retention with the policy's days for their kind;
 * rooms without one get the peer-room lifetime, and no room may keep content longer than the
 * longest the policy allows. Two purge jobs split at the shortest lifetime, as Synapse advises
 * (one without a lower bound, one without an upper bound, so no room is left out).
 */
function retention(p: InstitutionPolicy): Record<string, unknown> {
  const days = [p.retention_days.peer, p.retention_days.group, p.retention_days.escalation];
  const shortest = Math.min(...days);
  const longest = Math.max(...days);
  return {
    enabled: true,
    default_policy: { min_lifetime: '1d', max_lifetime: `${p.retention_days.peer}d` },
    allowed_lifetime_min: '1d',
    allowed_lifetime_max: `${longest}d`,
    purge_jobs: [
      { longest_max_lifetime: `${shortest}d`, interval: '12h' },
      { shortest_max_lifetime: `${shortest}d`, interval: '1d' },
    ],
  };
}

function registrationAndLogin(d: Deployment): Record<string, unknown> {
  if (d.registration === 'token' || d.oidc === null) {
    // Accounts are created with tokens the institution issues (admin API or `npm run admin`).
    return { enable_registration: true, registration_requires_token: true, allow_guest_access: false, enable_3pid_lookup: false };
  }
  const o = d.oidc!;
  const mapping: Record<string, unknown> = {};
  if (o.localpart_template !== undefined) mapping.localpart_template = o.localpart_template;
  if (o.display_name_template !== undefined) mapping.display_name_template = o.display_name_template;
  const provider: Record<string, unknown> = {
    idp_id: o.idp_id,
    idp_name: o.idp_name,
    issuer: o.issuer,
    client_id: o.client_id,
    client_secret_path: secretPath(d, SECRET_FILES.oidc_client_secret),
    client_auth_method: 'client_secret_basic',
    pkce_method: 'auto',
    scopes: o.scopes ?? ['openid', 'profile'],
    allow_existing_users: false,
    enable_registration: true,
    user_mapping_provider: { config: mapping },
  };
  if (o.attribute_requirements !== undefined) provider.attribute_requirements = o.attribute_requirements;
  const out: Record<string, unknown> = {
    // Accounts come only from the identity provider: Synapse's own registration stays closed.
    enable_registration: false,
    allow_guest_access: false,
    enable_3pid_lookup: false,
    oidc_providers: [provider],
    password_config: { enabled: o.allow_password_login === true },
  };
  if (d.web_client_url !== null) out.sso = { client_whitelist: [d.web_client_url.endsWith('/') ? d.web_client_url : `${d.web_client_url}/`] };
  return out;
}

/** The homeserver.yaml document for one institution. */
export function homeserverConfig(p: InstitutionPolicy, d: Deployment): Record<string, unknown> {
  const longest = Math.max(p.retention_days.peer, p.retention_days.group, p.retention_days.escalation);
  return {
    server_name: p.institution.server_name,
    public_baseurl: d.public_baseurl,
    report_stats: false,
    listeners: [
      {
        port: d.listen.port,
        bind_addresses: d.listen.bind_addresses,
        type: 'http',
        tls: false, // TLS ends at the reverse proxy
        x_forwarded: true,
        resources: [{ names: ['client', 'federation'], compress: false }],
      },
      { port: d.metrics.port, bind_addresses: d.metrics.bind_addresses, type: 'metrics' },
    ],
    enable_metrics: true,
    database: {
      name: 'psycopg2',
      txn_limit: 10000,
      args: {
        user: d.database.user,
        dbname: d.database.name,
        host: d.database.host,
        port: d.database.port,
        // libpq reads the password from this file, so it never sits in homeserver.yaml.
        passfile: secretPath(d, SECRET_FILES.database_password),
        cp_min: d.database.cp_min,
        cp_max: d.database.cp_max,
      },
    },
    log_config: `${d.paths.config_dir}/log.config`,
    media_store_path: d.paths.media_store,
    signing_key_path: secretPath(d, SECRET_FILES.signing_key),
    // A private federation: keys are fetched from the partner servers themselves, not from matrix.org.
    trusted_key_servers: [],
    macaroon_secret_key_path: secretPath(d, SECRET_FILES.macaroon_secret_key),
    form_secret_path: secretPath(d, SECRET_FILES.form_secret),
    registration_shared_secret_path: secretPath(d, SECRET_FILES.registration_shared_secret),

    encryption_enabled_by_default_for_room_type: 'all',
    // Synapse compares the whole server name (port included) with these entries.
    federation_domain_whitelist: [...new Set(trustedServerNames(p))],
    // Partners behind internal TLS (e.g. Caddy's `tls internal` in docker-compose.yml): their CA, in place of the system list.
    ...(d.federation_ca_files ? { federation_custom_ca_list: d.federation_ca_files } : {}),
    app_service_config_files: [secretPath(d, SECRET_FILES.appservice_registration)],
    retention: retention(p),

    // Chat paces (a student typing quickly in a live conversation) with tight limits on sign-in
    // and account creation. The bridge's bot is exempt (rate_limited: false in its registration).
    rc_message: rate(1, 30),
    rc_registration: rate(0.05, 3),
    rc_registration_token_validity: rate(0.1, 5),
    rc_login: { address: rate(0.15, 5), account: rate(0.05, 4), failed_attempts: rate(0.05, 3) },
    rc_joins: { local: rate(0.2, 10), remote: rate(0.05, 10) },
    rc_invites: { per_room: rate(0.3, 10), per_user: rate(0.01, 5), per_issuer: rate(0.3, 10) },
    rc_room_creation: rate(0.05, 10),
    rc_media_create: rate(2, 20),
    rc_reports: rate(0.2, 5),
    rc_user_directory: rate(0.05, 20),
    rc_federation: { window_size: 1000, sleep_limit: 10, sleep_delay: 500, reject_limit: 50, concurrent: 3 },

    ...registrationAndLogin(d),

    // The directory finds local accounts only, and only those sharing a room or in public rooms.
    user_directory: { enabled: true, search_all_users: false, prefer_local_users: true, exclude_remote_users: true },
    // No public room directory, locally or over federation.
    allow_public_rooms_without_auth: false,
    allow_public_rooms_over_federation: false,
    enable_room_list_search: false,
    room_list_publication_rules: [{ action: 'deny' }],
    // Who is online is nobody's business in a support service; profiles only for room-mates.
    presence: { enabled: false },
    require_auth_for_profile_requests: true,
    limit_profile_requests_to_users_who_share_rooms: true,

    enable_authenticated_media: true,
    max_upload_size: d.max_upload_size,
    max_image_pixels: '32M',
    media_upload_limits: [{ time_period: '1d', max_size: '500M' }],
    media_retention: { local_media_lifetime: `${longest}d`, remote_media_lifetime: '14d' },
    url_preview_enabled: false,
  };
}

/**
 * log.config (Python logging dictConfig): to stderr for the container's log collector. Synapse
 * logs requests and metadata, never message bodies (they are ciphertext anyway); the SQL logger is
 * held at WARNING because at DEBUG it would print query arguments such as access tokens.
 */
export function logConfig(): Record<string, unknown> {
  return {
    version: 1,
    formatters: {
      precise: { format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s' },
    },
    handlers: {
      console: { class: 'logging.StreamHandler', formatter: 'precise' },
    },
    loggers: {
      synapse: { level: 'INFO' },
      'synapse.storage.SQL': { level: 'WARNING' },
      twisted: { level: 'WARNING' },
    },
    root: { level: 'INFO', handlers: ['console'] },
    disable_existing_loggers: false,
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The bridge's registration: the same document bridge-service prints (generate-registration). */
export function appserviceRegistration(p: InstitutionPolicy, d: Deployment, tokens: AppserviceTokens): Record<string, unknown> {
  return {
    id: d.bridge.id,
    url: d.bridge.url,
    as_token: tokens.as_token,
    hs_token: tokens.hs_token,
    sender_localpart: d.bridge.sender_localpart,
    namespaces: {
      users: [{ exclusive: true, regex: `^${escapeRegex(`@${d.bridge.sender_localpart}:${p.institution.server_name}`)}$` }],
      aliases: [],
      rooms: [],
    },
    rate_limited: false,
    receive_ephemeral: false,
  };
}

/** .well-known/matrix/server and client: federation and clients reach Synapse at public_baseurl. */
export function wellKnown(d: Deployment): { server: Record<string, unknown>; client: Record<string, unknown> } {
  const url = new URL(d.public_baseurl);
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return {
    server: { 'm.server': `${url.hostname}:${port}` },
    client: { 'm.homeserver': { base_url: d.public_baseurl.replace(/\/+$/, '') } },
  };
}
