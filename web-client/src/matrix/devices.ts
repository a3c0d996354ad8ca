// The account's devices over plain fetch: list them, and log out all but this one (which the spec
// guards with user-interactive auth; we answer its password stage with what the person typed).
import type { Session } from './session.ts';

export interface DeviceInfo {
  deviceId: string;
  displayName: string | null;
  lastSeen: number | null;
  current: boolean;
}

export class DeviceError extends Error {
  readonly problem: 'password' | 'network' | 'server';
  constructor(problem: 'password' | 'network' | 'server', message: string) {
    super(message);
    this.problem = problem;
  }
}

async function call(session: Session, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(`${session.homeserverUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${session.accessToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new DeviceError('network', 'network');
  }
  const parsed = (await res.json().catch(() => ({}))) as unknown;
  return { status: res.status, body: typeof parsed === 'object' && parsed !== null ? parsed as Record<string, unknown> : {} };
}

/** GET /_matrix/client/v3/devices */
export async function listDevices(session: Session): Promise<DeviceInfo[]> {
  const r = await call(session, 'GET', '/_matrix/client/v3/devices');
  if (r.status !== 200 || !Array.isArray(r.body['devices'])) throw new DeviceError('server', 'could not list devices');
  return (r.body['devices'] as Record<string, unknown>[])
    .filter((d) => typeof d['device_id'] === 'string')
    .map((d) => ({
      deviceId: d['device_id'] as string,
      displayName: typeof d['display_name'] === 'string' ? d['display_name'] : null,
      lastSeen: typeof d['last_seen_ts'] === 'number' ? d['last_seen_ts'] : null,
      current: d['device_id'] === session.deviceId,
    }))
    .sort((a, b) => Number(b.current) - Number(a.current) || (b.lastSeen ?? 0) - (a.lastSeen ?? 0));
}

/** POST /_matrix/client/v3/delete_devices for every device but this one */
export async function logOutOtherDevices(session: Session, password: string): Promise<number> {
  const others = (await listDevices(session)).filter((d) => !d.current).map((d) => d.deviceId);
  if (others.length === 0) return 0;
  const first = await call(session, 'POST', '/_matrix/client/v3/delete_devices', { devices: others });
  if (first.status === 200) return others.length;
  if (first.status !== 401) throw new DeviceError('server', 'could not log out the other devices');
  const auth = {
    type: 'm.login.password', identifier: { type: 'm.id.user', user: session.userId }, password,
    ...(typeof first.body['session'] === 'string' ? { session: first.body['session'] } : {}),
  };
  const second = await call(session, 'POST', '/_matrix/client/v3/delete_devices', { devices: others, auth });
  if (second.status === 200) return others.length;
  throw new DeviceError(second.status === 401 ? 'password' : 'server', 'could not log out the other devices');
}
