// Shared by the moderation module's unit tests (excluded from the build): the bridge's services over
// an in-memory store with a manual clock, the matching module (groups) and the moderation module
// registered with one fake homeserver that keeps members, power levels and events of its rooms.
import { createApp } from '../app.ts';
import { testBridge, SERVER, type TestBridge } from '../test-fixture.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import { HomeserverError, type CreateRoomRequest } from '../services/homeserver-client.ts';
import { FakeHomeserver, TRAINED } from '../matching/test-fixture.ts';
import { matchingModule, type MatchingParts } from '../matching/module.ts';
import { moderationModule, type ModerationParts } from './module.ts';
import type { PowerLevels } from './context.ts';

/** The matching fake plus the state moderation reads and writes. */
export class ModerationFakeHomeserver extends FakeHomeserver {
  readonly powerLevels = new Map<string, PowerLevels>();
  readonly events = new Map<string, { roomId: string; sender: string }>();
  private m = 0;

  override async createRoom(request: CreateRoomRequest): Promise<{ room_id: string }> {
    const r = await super.createRoom(request);
    this.powerLevels.set(r.room_id, structuredClone(request.power_level_content_override ?? {}) as PowerLevels);
    return r;
  }

  override async sendStateEvent(roomId: string, type: string, stateKey: string, content: Record<string, unknown>): Promise<{ event_id: string }> {
    const r = await super.sendStateEvent(roomId, type, stateKey, content);
    if (type === 'm.room.power_levels') this.powerLevels.set(roomId, structuredClone(content) as PowerLevels);
    return r;
  }

  override async getStateEvent<T>(roomId?: string, type?: string): Promise<T> {
    const pl = type === 'm.room.power_levels' ? this.powerLevels.get(roomId!) : undefined;
    if (!pl) throw new HomeserverError(404, 'M_NOT_FOUND', 'no such state');
    return structuredClone(pl) as T;
  }

  override async request<T>(method: string, path: string, opts: { body?: unknown } = {}): Promise<T> {
    const action = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/(ban|unban)$/.exec(path);
    if (action) {
      const roomId = decodeURIComponent(action[1]!);
      const userId = (opts.body as { user_id: string }).user_id;
      this.calls.push({ op: action[2]!, roomId, userId });
      this.members.get(roomId)?.set(userId, action[2] === 'ban' ? 'ban' : 'leave');
      return {} as T;
    }
    const event = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/event\/([^/]+)$/.exec(path);
    if (event) {
      const ev = this.events.get(decodeURIComponent(event[2]!));
      if (!ev || ev.roomId !== decodeURIComponent(event[1]!)) throw new HomeserverError(404, 'M_NOT_FOUND', 'Event not found');
      return { sender: ev.sender, room_id: ev.roomId, type: 'm.room.encrypted' } as T;
    }
    return super.request<T>(method, path);
  }

  /** The user's client joins the room. */
  join(roomId: string, userId: string): void {
    this.members.get(roomId)!.set(userId, 'join');
  }

  /** An (encrypted) message the user sent in the room; returns its event id. */
  message(roomId: string, sender: string): string {
    const id = `$msg${++this.m}`;
    this.events.set(id, { roomId, sender });
    return id;
  }
}

export interface ModerationFixture extends TestBridge {
  hs: ModerationFakeHomeserver;
  matching: MatchingParts;
  parts: ModerationParts;
  api<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Puts a supporter on the roster (trained for `topics`) and signs them in. */
  supporter(localpart: string, topics?: string[]): Promise<{ userId: string; token: string }>;
  student(localpart: string): Promise<{ userId: string; token: string }>;
  /** Opens a group as `token`, and joins the listed users to its room. */
  group(token: string, joined: string[], topic?: string): Promise<{ group_id: string; room_id: string }>;
}

export function moderationFixture(opts: { policy?: InstitutionPolicy } = {}): ModerationFixture {
  const base = testBridge(opts.policy ? { policy: opts.policy } : {});
  const hs = new ModerationFakeHomeserver();
  const matching = matchingModule({ homeserver: hs, manualJobs: true });
  const moderation = moderationModule({ homeserver: hs });
  const { app } = createApp(base.services, [(r) => matching.register(base.services, r), (r) => moderation.register(base.services, r)]);
  const call = async <T>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await app.request(path, {
      method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  return {
    ...base, hs, matching: matching.parts, parts: moderation.parts, api: call,
    async supporter(localpart, topics = ['exam-stress']) {
      const userId = `@${localpart}:${SERVER}`;
      await base.services.roster.putSupporter(`@admin:${SERVER}`, userId, { topics, training: TRAINED, capacity: null });
      return { userId, token: await base.signIn(userId) };
    },
    async student(localpart) {
      const userId = `@${localpart}:${SERVER}`;
      return { userId, token: await base.signIn(userId) };
    },
    async group(token, joined, topic = 'exam-stress') {
      const r = await call<{ group_id: string; room_id: string }>('POST', '/v1/groups', token, { topic, name: 'A group' });
      if (r.status !== 201) throw new Error(`group: ${r.status} ${JSON.stringify(r.body)}`);
      for (const u of joined) hs.join(r.body.room_id, u);
      return r.body;
    },
  };
}
