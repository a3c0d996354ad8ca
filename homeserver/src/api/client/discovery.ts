// Discovery and capabilities: what clients ask before anything else.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { SUPPORTED_ROOM_VERSIONS, DEFAULT_ROOM_VERSION } from '../../core/pdu.ts';

export function register(router: Router, s: HomeserverServices): void {
  /** GET /_matrix/client/versions */
  router.add({
    method: 'GET', path: '/_matrix/client/versions', auth: 'none',
    handler: () => ({
      versions: ['r0.6.1', 'v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10', 'v1.11', 'v1.12'],
      unstable_features: { 'org.matrix.e2e_cross_signing': true, 'org.matrix.msc3882': false },
    }),
  });
  const baseUrl = (): string => s.config.public_baseurl ?? `http://${s.config.bind_address}:${s.config.client_port}`;
  /** GET /.well-known/matrix/client */
  router.add({ method: 'GET', path: '/.well-known/matrix/client', auth: 'none', handler: () => ({ 'm.homeserver': { base_url: baseUrl() } }) });
  /** GET /.well-known/matrix/server */
  router.add({ method: 'GET', path: '/.well-known/matrix/server', auth: 'none', handler: () => ({ 'm.server': `${s.config.server_name.split(':')[0]}:${s.config.federation_port}` }) });
  /** GET /_matrix/client/v3/capabilities */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/capabilities', auth: 'required',
    handler: () => ({
      capabilities: {
        'm.change_password': { enabled: true },
        'm.room_versions': { default: DEFAULT_ROOM_VERSION, available: Object.fromEntries(SUPPORTED_ROOM_VERSIONS.map((v) => [v, 'stable'])) },
        'm.set_displayname': { enabled: true },
        'm.set_avatar_url': { enabled: true },
        'm.3pid_changes': { enabled: false },
        'm.get_login_token': { enabled: false },
      },
    }),
  });
}
