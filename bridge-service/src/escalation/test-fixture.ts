// Shared by the escalation and figures unit tests (excluded from the build): a homeserver fake that
// keeps rooms, state and memberships as the bot sees them, the bridge's services with the two
// modules mounted, and helpers to sign consent receipts as a student's device does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateConsentKeyPair, newConsentReceipt, signConsentReceipt, type ConsentKeyPair, type ConsentReceipt, type ConsentScope, type SignedConsentReceipt } from '../../../protocol/src/consent.ts';
import { encodeConsentPublicKey } from '../../../protocol/src/consent.ts';
import type { SeverityLevel } from '../../../protocol/src/common-schemas.ts';
import { SESSION_EVENT_TYPE } from '../../../protocol/src/event-types.ts';
import { HomeserverError, type CreateRoomRequest } from '../services/homeserver-client.ts';
import { createApp, type BridgeServices } from '../app.ts';
import { memoryLogger } from '../logger.ts';
import { Metrics } from '../services/metrics.ts';
import { AuditService } from '../services/audit.ts';
import { RoleResolver } from '../services/roles.ts';
import { RosterService } from '../services/roster.ts';
import { SessionService } from '../services/sessions.ts';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/index.ts';
import { SERVER, testBridge, type TestBridge } from '../test-fixture.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import { escalationModule, type EscalationModule } from './module.ts';
import { figuresModule, type FiguresModule } from '../figures/module.ts';
import type { EscalationHomeserver } from './escalation-room.ts';

export const BOT = `@peerline-bot:${SERVER}`;

interface FakeRoom {
  room_id: string;
  request: CreateRoomRequest | null;
  state: Map<string, Record<string, unknown>>;
  members: Map<string, string>;
}

/** The bot's homeserver as escalations use it; `down` makes every call fail like an unreachable server. */
export class FakeHomeserver implements EscalationHomeserver {
  readonly botUserId = BOT;
  readonly rooms = new Map<string, FakeRoom>();
  down = false;
  private n = 0;

  private room(roomId: string): FakeRoom {
    if (this.down) throw new TypeError('fetch failed');
    const r = this.rooms.get(roomId);
    if (!r || r.members.get(BOT) !== 'join') throw new HomeserverError(403, 'M_FORBIDDEN', `bot not in ${roomId}`);
    return r;
  }

  async createRoom(req: CreateRoomRequest): Promise<{ room_id: string }> {
    if (this.down) throw new TypeError('fetch failed');
    const room_id = `!room${++this.n}:${SERVER}`;
    const room: FakeRoom = { room_id, request: structuredClone(req), state: new Map(), members: new Map([[BOT, 'join']]) };
    for (const e of req.initial_state ?? []) room.state.set(`${e.type}|${e.state_key ?? ''}`, e.content);
    this.rooms.set(room_id, room);
    return { room_id };
  }

  async invite(roomId: string, userId: string): Promise<void> {
    const r = this.room(roomId);
    if (r.members.get(userId) === 'join') throw new HomeserverError(403, 'M_FORBIDDEN', `${userId} is already in the room`);
    r.members.set(userId, 'invite');
  }

  async kick(roomId: string, userId: string): Promise<void> {
    this.room(roomId).members.set(userId, 'leave');
  }

  async getStateEvent<T = Record<string, unknown>>(roomId: string, type: string, stateKey = ''): Promise<T> {
    const r = this.room(roomId);
    if (type === 'm.room.member') {
      const m = r.members.get(stateKey);
      if (!m) throw new HomeserverError(404, 'M_NOT_FOUND', 'no membership');
      return { membership: m } as T;
    }
    const content = r.state.get(`${type}|${stateKey}`);
    if (!content) throw new HomeserverError(404, 'M_NOT_FOUND', 'no such state');
    return content as T;
  }

  // ── test helpers ──

  /** A peer room the bot created, with session state, the student joined. */
  peerRoom(student: string, opts: { topic?: string; session?: boolean; botIn?: boolean; studentMembership?: string } = {}): string {
    const room_id = `!peer${++this.n}:${SERVER}`;
    const room: FakeRoom = { room_id, request: null, state: new Map(), members: new Map([[BOT, opts.botIn === false ? 'leave' : 'join']]) };
    if (opts.session !== false) {
      room.state.set(`${SESSION_EVENT_TYPE}|`, { request_id: `req-${this.n}`, topic: opts.topic ?? 'exam-stress', institutions: [SERVER], created_ts: 1, kind: 'peer' });
    }
    room.members.set(student, opts.studentMembership ?? 'join');
    this.rooms.set(room_id, room);
    return room_id;
  }

  setMembership(roomId: string, userId: string, membership: string): void {
    this.rooms.get(roomId)!.members.set(userId, membership);
  }

  membership(roomId: string, userId: string): string | undefined {
    return this.rooms.get(roomId)?.members.get(userId);
  }

  /** Rooms where the user holds an invite now. */
  invitesOf(userId: string): string[] {
    return [...this.rooms.values()].filter((r) => r.members.get(userId) === 'invite').map((r) => r.room_id);
  }

  escalationRooms(): FakeRoom[] {
    return [...this.rooms.values()].filter((r) => r.request !== null);
  }
}

/** A student's device: a key pair and receipts signed with it. */
export class StudentDevice {
  readonly userId: string;
  keys!: ConsentKeyPair;

  constructor(userId: string) {
    this.userId = userId;
  }

  static async create(userId: string): Promise<StudentDevice> {
    const d = new StudentDevice(userId);
    d.keys = await generateConsentKeyPair();
    return d;
  }

  get publicKey(): string {
    return encodeConsentPublicKey(this.keys.publicKey);
  }

  async receipt(o: { roomId: string; now: number; scope?: ConsentScope; severity?: SeverityLevel; institution?: string; student?: string; ttlMs?: number }): Promise<ConsentReceipt> {
    return newConsentReceipt({
      student_user_id: o.student ?? this.userId, room_id: o.roomId, scope: o.scope ?? { share: 'nothing' },
      counsellor_institution: o.institution ?? SERVER, severity: o.severity ?? 'high',
    }, { now: o.now, ttlMs: o.ttlMs ?? 10 * 60_000 });
  }

  sign(r: ConsentReceipt, keys: ConsentKeyPair = this.keys): Promise<SignedConsentReceipt> {
    return signConsentReceipt(r, keys.secretKey);
  }
}

export interface EscalationTestBridge extends TestBridge {
  hs: FakeHomeserver;
  escalation: EscalationModule;
  figures: FiguresModule;
  /** JSON request to the app with both modules mounted. */
  call<T = Record<string, unknown>>(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: T }>;
}

function mount(t: TestBridge, services: BridgeServices, hs: FakeHomeserver): EscalationTestBridge {
  const escalation = escalationModule({ homeserver: hs });
  const figures = figuresModule();
  const { app, router } = createApp(services, [(r) => escalation.register(services, r), (r) => figures.register(services, r)]);
  const call = async <T>(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await app.request(path, {
      method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  return {
    ...t, services, app, router, hs, escalation, figures, call,
    async signIn(userId: string) {
      const token = `openid-${userId}-${t.openIdTokens.size}`;
      t.openIdTokens.set(token, userId);
      const r = await call<{ session_token: string }>('POST', '/v1/session', undefined, { access_token: token, matrix_server_name: SERVER });
      if (r.status !== 200) throw new Error(`sign-in of ${userId} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.session_token;
    },
  };
}

/** The unit-test bridge (in-memory store, manual clock) with the escalation and figures modules. */
export function escalationTestBridge(opts: { policy?: InstitutionPolicy } = {}): EscalationTestBridge {
  const t = testBridge(opts);
  return mount(t, t.services, new FakeHomeserver());
}

/**
 * The same over a database file, reopened by each call with the same `file`: a new store, new
 * services and new module instances — as after a restart of the bridge.
 */
export function escalationTestBridgeOver(file: string, prev: EscalationTestBridge): EscalationTestBridge {
  const store: SqliteStore = openSqliteStore(file, { durable: false });
  const s = prev.services;
  const audit = new AuditService({ store: store.audit, clock: s.clock });
  const roles = new RoleResolver({ roster: store.roster, serverName: SERVER, bootstrapAdmins: [`@admin:${SERVER}`] });
  const services: BridgeServices = {
    ...s, store, audit, roles, metrics: new Metrics(), logger: memoryLogger(),
    sessions: new SessionService({ store: store.sessions, clock: s.clock, ttlMs: 15 * 60_000, maxLifetimeMs: 12 * 3600_000 }),
    roster: new RosterService({ store: store.roster, audit, roles, policy: () => s.policy.current(), clock: s.clock }),
  };
  return mount({ ...prev, store }, services, prev.hs);
}

export function tempDbFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'peerline-escalation-')), 'bridge.sqlite');
}
