// Shared setup for the client-api-*.test.ts files: a homeserver with generous rate limits (so a
// burst of test requests is never throttled), a config file to say so, and short request helpers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';

export const V3 = '/_matrix/client/v3';
export type Json = Record<string, unknown>;

/** Starts a homeserver whose rate limits a test suite cannot reach (set through `--config FILE`). */
export async function startRelaxedHomeserver(serverName: string, extraArgs: string[] = []): Promise<TestHomeserver> {
  // The file lives in the data directory, so hs.cleanup() removes it too.
  const dataDir = mkdtempSync(joinPath(tmpdir(), 'peerline-hs-'));
  const file = joinPath(dataDir, 'homeserver.yaml');
  const relaxed = '  per_second: 1000\n  burst_count: 10000\n';
  writeFileSync(file, `rc_message:\n${relaxed}rc_login:\n${relaxed}rc_registration:\n${relaxed}`);
  return startHomeserver({ serverName, dataDir, extraArgs: ['--config', file, ...extraArgs] });
}

/** A request as `user` (or unauthenticated when null). */
export function as<T = Json>(hs: TestHomeserver, user: RegisteredUser | { accessToken: string } | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return api<T>(hs, method, path, { ...(user ? { token: user.accessToken } : {}), ...(body !== undefined ? { body } : {}) });
}

export const enc = encodeURIComponent;

/** The room's path prefix: /_matrix/client/v3/rooms/{roomId}. */
export const roomPath = (roomId: string): string => `${V3}/rooms/${enc(roomId)}`;

export interface ClientEvent {
  type: string;
  event_id: string;
  sender: string;
  room_id: string;
  origin_server_ts: number;
  content: Json;
  state_key?: string;
  redacts?: string;
  unsigned?: Json;
}

let txnCounter = 0;
/** Sends a message event and returns its id (fails the test on an error). */
export async function sendText(hs: TestHomeserver, user: RegisteredUser, roomId: string, body: string, type = 'm.room.message'): Promise<string> {
  const res = await as<{ event_id: string }>(hs, user, 'PUT', `${roomPath(roomId)}/send/${enc(type)}/t${Date.now()}-${++txnCounter}`, { msgtype: 'm.text', body });
  if (res.status !== 200) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id;
}

/** Creates a room and returns its id (fails the test on an error). */
export async function createRoom(hs: TestHomeserver, user: RegisteredUser, body: Json = {}): Promise<string> {
  const res = await as<{ room_id: string }>(hs, user, 'POST', `${V3}/createRoom`, body);
  if (res.status !== 200) throw new Error(`createRoom failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.room_id;
}

/** Joins a room (fails the test on an error). */
export async function join(hs: TestHomeserver, user: RegisteredUser, roomId: string): Promise<void> {
  const res = await as(hs, user, 'POST', `${V3}/join/${enc(roomId)}`, {});
  if (res.status !== 200) throw new Error(`join failed: ${res.status} ${JSON.stringify(res.body)}`);
}
