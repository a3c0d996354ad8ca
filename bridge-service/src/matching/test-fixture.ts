// Shared by the matching module's unit tests (excluded from the build): the bridge's services over
// an in-memory store with a manual clock, the module registered with a fake homeserver that
// records what the bot asked of it, and small helpers to call the API as a given user.
import { createApp } from '../app.ts';
import { testBridge, SERVER, type TestBridge } from '../test-fixture.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import { HomeserverError, type CreateRoomRequest } from '../services/homeserver-client.ts';
import { matchingModule, type MatchingParts } from './module.ts';
import type { MatchingHomeserver } from './context.ts';

export const BOT = `@peerline-bot:${SERVER}`;
export const TRAINED = [
  { module: 'safeguarding', version: 1, completed: '2025-09-01' },
  { module: 'listening', version: 2, completed: '2025-06-01' },
];

export interface Call {
  op: string;
  roomId?: string;
  userId?: string;
  type?: string;
  stateKey?: string;
  content?: Record<string, unknown>;
  request?: CreateRoomRequest;
  path?: string;
}

/** A homeserver that keeps rooms' members in memory and records every call. */
export class FakeHomeserver implements MatchingHomeserver {
  readonly botUserId = BOT;
  readonly calls: Call[] = [];
  readonly members = new Map<string, Map<string, string>>();
  /** Makes the next createRoom (or invite) fail. */
  failNext: 'createRoom' | 'invite' | null = null;
  private n = 0;

  private fail(op: 'createRoom' | 'invite'): void {
    if (this.failNext === op) {
      this.failNext = null;
      throw new HomeserverError(500, 'M_UNKNOWN', `${op}: simulated failure`);
    }
  }

  async createRoom(request: CreateRoomRequest): Promise<{ room_id: string }> {
    this.fail('createRoom');
    const roomId = `!room${++this.n}:${SERVER}`;
    this.members.set(roomId, new Map([[BOT, 'join'], ...(request.invite ?? []).map((u) => [u, 'invite'] as [string, string])]));
    this.calls.push({ op: 'createRoom', roomId, request });
    return { room_id: roomId };
  }

  async invite(roomId: string, userId: string): Promise<void> {
    this.fail('invite');
    this.calls.push({ op: 'invite', roomId, userId });
    this.members.get(roomId)?.set(userId, 'invite');
  }

  async kick(roomId: string, userId: string): Promise<void> {
    this.calls.push({ op: 'kick', roomId, userId });
    this.members.get(roomId)?.set(userId, 'leave');
  }

  async leaveRoom(roomId: string): Promise<void> {
    this.calls.push({ op: 'leave', roomId });
    this.members.get(roomId)?.set(BOT, 'leave');
  }

  async joinRoom(roomId: string): Promise<{ room_id: string }> {
    this.calls.push({ op: 'join', roomId });
    return { room_id: roomId };
  }

  async sendStateEvent(roomId: string, type: string, stateKey: string, content: Record<string, unknown>): Promise<{ event_id: string }> {
    this.calls.push({ op: 'state', roomId, type, stateKey, content });
    return { event_id: `$e${++this.n}` };
  }

  async getStateEvent<T>(): Promise<T> {
    throw new HomeserverError(404, 'M_NOT_FOUND', 'no such state');
  }

  async sendMessage(roomId: string, type: string, content: Record<string, unknown>): Promise<{ event_id: string }> {
    this.calls.push({ op: 'send', roomId, type, content });
    return { event_id: `$e${++this.n}` };
  }

  async request<T>(method: string, path: string): Promise<T> {
    this.calls.push({ op: `${method} ${path}`, path });
    const members = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/members$/.exec(path);
    if (members) {
      const room = this.members.get(decodeURIComponent(members[1]!));
      return { chunk: [...(room ?? new Map<string, string>()).entries()].map(([u, m]) => ({ state_key: u, content: { membership: m } })) } as T;
    }
    if (path === '/_matrix/client/v3/joined_rooms') return { joined_rooms: [...this.members.keys()] } as T;
    return {} as T;
  }

  of(op: string): Call[] {
    return this.calls.filter((c) => c.op === op);
  }
}

export interface MatchingFixture extends TestBridge {
  hs: FakeHomeserver;
  parts: MatchingParts;
  /** The app with the matching routes. */
  api<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Puts a trained supporter on the roster, available, and returns their session token. */
  supporter(localpart: string, opts?: { topics?: string[]; capacity?: number; available?: boolean; server?: string }): Promise<{ userId: string; token: string }>;
  student(localpart: string): Promise<{ userId: string; token: string }>;
  /** Runs the matcher until nothing is pending. */
  settle(): Promise<void>;
}

export function matchingFixture(opts: { policy?: InstitutionPolicy } = {}): MatchingFixture {
  const base = testBridge(opts.policy ? { policy: opts.policy } : {});
  const hs = new FakeHomeserver();
  const module = matchingModule({ homeserver: hs, manualJobs: true });
  const { app } = createApp(base.services, [(router) => module.register(base.services, router)]);
  const parts = module.parts;
  const call = async <T>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await app.request(path, {
      method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const admin = `@admin:${SERVER}`;
  return {
    ...base, hs, parts, api: call,
    async supporter(localpart, o = {}) {
      const userId = `@${localpart}:${o.server ?? SERVER}`;
      await base.services.roster.putSupporter(admin, userId, { topics: o.topics ?? ['exam-stress'], training: TRAINED, capacity: o.capacity ?? null });
      const token = await base.signIn(userId);
      if (o.available !== false) {
        const r = await call('PUT', '/v1/supporters/me/availability', token, { available: true });
        if (r.status !== 200) throw new Error(`availability of ${userId}: ${r.status} ${JSON.stringify(r.body)}`);
      }
      return { userId, token };
    },
    async student(localpart) {
      const userId = `@${localpart}:${SERVER}`;
      return { userId, token: await base.signIn(userId) };
    },
    async settle() {
      await new Promise((r) => setImmediate(r));
      await parts.engine.idle();
    },
  };
}
