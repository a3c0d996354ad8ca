// The escalation controller's decisions, with a fake store and bridge: when it asks, that nothing
// leaves the device without a yes, that the signed receipt covers exactly the choice, that what was
// chosen is posted only once a counsellor is in the room — once, even across a reload or two tabs, and
// never after a withdrawal — and that the detector follows the policy.
import { describe, expect, it } from 'vitest';
import { EscalationController, type EscalationStore } from './escalation-controller.ts';
import type { RoomEventDetail } from './app-store.ts';
import type { ChatMessage, RoomEventView } from '../matrix/chat-client.ts';
import { memoryConsentKeyStore } from '../safety/consent.ts';
import { sha256Base64, verifyConsentReceipt, decodeConsentPublicKey, type SignedConsentReceipt } from '../../../protocol/src/consent.ts';
import { DEFAULT_RISK_DETECTION } from '../../../protocol/src/policy.ts';
import { DEFAULT_RISK_THRESHOLDS } from '../safety/risk-detector.ts';
import { DEFAULT_RISK_SETTINGS, riskSettingsFrom } from '../safety/risk-policy.ts';
import { CLAIM_LEASE_MS, memoryPendingShareStore, type PendingShareRecord, type PendingShareStore } from './pending-shares.ts';

const ME = '@s-student:a.example';
const SUPPORTER = '@sup:a.example';
const PEER = '!peer:a.example';
const ESC = '!esc:a.example';

class FakeStore extends EventTarget implements EscalationStore {
  sentTexts: { roomId: string; body: string }[] = [];
  sentEvents: { roomId: string; type: string; content: Record<string, unknown> }[] = [];
  messages: ChatMessage[] = [
    { id: '$m1', sender: ME, mine: true, timestamp: 1, body: 'exams are too much', state: 'sent' },
    { id: '$m2', sender: SUPPORTER, mine: false, timestamp: 2, body: 'that sounds hard', state: 'sent' },
    { id: '~txn', sender: ME, mine: true, timestamp: 3, body: 'still sending', state: 'sending' },
  ];
  messagesOf(): ChatMessage[] { return this.messages; }
  async sendTextTo(roomId: string, body: string): Promise<void> { this.sentTexts.push({ roomId, body }); }
  async sendEventTo(roomId: string, type: string, content: Record<string, unknown>): Promise<string> { this.sentEvents.push({ roomId, type, content }); return '$x'; }
  matrixSession() { return { homeserverUrl: 'http://hs', userId: ME, deviceId: 'D', accessToken: 'secret' }; }
  emit(roomId: string, e: Partial<RoomEventView>): void {
    const event: RoomEventView = { id: `$e${Math.random()}`, type: 'm.room.message', sender: ME, mine: true, timestamp: 5, content: {}, encrypted: true, live: true, ...e };
    this.dispatchEvent(new CustomEvent<RoomEventDetail>('room-event', { detail: { roomId, event } }));
  }
}

class FakeBridge {
  calls: { method: string; path: string; body?: unknown }[] = [];
  publicKey: string | null = null;
  receipts: { receipt_id: string; withdrawn_ts: number | null; withdrawable: boolean; escalation: { escalation_id: string; status: string; room_id: string | null; counsellor_joined: boolean; outcome: null } }[] = [];
  policy: unknown = { risk_detection: DEFAULT_RISK_DETECTION };
  roomIdOnEscalate: string | null = ESC;
  /** What POST …/withdraw answers: null for success, or the error it throws. */
  withdrawError: Error | null = null;
  async request<T>(method: string, path: string, o: { body?: unknown } = {}): Promise<T> {
    this.calls.push({ method, path, ...(o.body !== undefined ? { body: o.body } : {}) });
    const withdraw = /^\/v1\/consent\/receipts\/([^/]+)\/withdraw$/.exec(path);
    if (withdraw) {
      if (this.withdrawError) throw this.withdrawError;
      const r = this.receipts.find((x) => x.receipt_id === decodeURIComponent(withdraw[1]!))!;
      r.withdrawn_ts = 10; r.withdrawable = false; r.escalation.status = 'withdrawn';
      return { receipt_id: r.receipt_id, escalation_id: r.escalation.escalation_id, status: 'withdrawn', invites_rescinded: 1 } as T;
    }
    if (path === '/v1/policy') return this.policy as T;
    if (path === '/v1/consent/keys') { this.publicKey = (o.body as { public_key: string }).public_key; return { key: { key_id: 'k', current: true }, retired_key_id: null } as T; }
    if (path === '/v1/escalations') {
      const { receipt } = o.body as { receipt: SignedConsentReceipt };
      this.receipts.push({ receipt_id: receipt.receipt.receipt_id, withdrawn_ts: null, withdrawable: true, escalation: { escalation_id: 'esc_1', status: 'queued', room_id: this.roomIdOnEscalate, counsellor_joined: false, outcome: null } });
      return { escalation_id: 'esc_1', receipt_id: receipt.receipt.receipt_id, status: this.roomIdOnEscalate ? 'queued' : 'opening', room_id: this.roomIdOnEscalate, severity: receipt.receipt.severity, created_ts: 1, due_ts: 2, counsellors_invited: 1 } as T;
    }
    if (path === '/v1/consent/receipts') return { receipts: this.receipts } as T;
    throw new Error(`unexpected ${method} ${path}`);
  }
  escalations(): { receipt: SignedConsentReceipt; room_id: string; scope: unknown }[] {
    return this.calls.filter((c) => c.path === '/v1/escalations').map((c) => c.body as { receipt: SignedConsentReceipt; room_id: string; scope: unknown });
  }
}

interface SetupOptions {
  kinds?: Record<string, string>;
  /** The device's pending-share store, shared by the controllers of two pages or before and after a reload. */
  shares?: PendingShareStore;
  bridge?: FakeBridge;
  pageId?: string;
  now?: () => number;
  /** Who the homeserver says is joined to a room (after a reload). */
  members?: string[] | null;
}

function setup(opts: SetupOptions = {}) {
  const store = new FakeStore();
  const bridge = opts.bridge ?? new FakeBridge();
  const shares = opts.shares ?? memoryPendingShareStore();
  const opened: string[] = [];
  let timer: (() => void) | null = null;
  const controller = new EscalationController({
    store, openRoom: (r) => opened.push(r), roomKind: async (r) => opts.kinds?.[r] ?? 'peer', keyStore: memoryConsentKeyStore,
    pendingShares: () => shares, joinedMembers: async () => opts.members ?? null,
    ...(opts.pageId ? { pageId: opts.pageId } : {}),
    now: opts.now ?? (() => Date.now()), setTimer: (fn) => { timer = fn; return () => { timer = null; }; },
  });
  controller.start();
  const tick = async (): Promise<void> => { const t = timer; timer = null; t?.(); await flush(); };
  return { store, bridge, controller, opened, tick, shares };
}

const flush = async (): Promise<void> => { for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0)); };
const suggestion = (content: Record<string, unknown> = { reason: 'self_harm_risk', suggested_severity: 'high', text: 'I think a counsellor could help' }) =>
  ({ type: 'org.peerline.escalation.suggestion', sender: SUPPORTER, mine: false, content });

describe('escalation controller: when it asks', () => {
  it("opens the consent dialog on the supporter's live suggestion, with their note and the room's messages", async () => {
    const { store, controller } = setup();
    store.emit(PEER, suggestion());
    await flush();
    expect(controller.phase).toMatchObject({
      kind: 'asking',
      prompt: { trigger: 'suggestion', roomId: PEER, severity: 'high', note: 'I think a counsellor could help', messages: [{ eventId: '$m1', mine: true }, { eventId: '$m2', mine: false }] },
    });
  });

  it('ignores suggestions from history, its own, malformed ones, and ones inside an escalation room', async () => {
    const { store, controller } = setup({ kinds: { [ESC]: 'escalation' } });
    store.emit(PEER, { ...suggestion(), live: false });
    store.emit(PEER, { ...suggestion(), sender: ME, mine: true });
    store.emit(PEER, suggestion({ reason: 'other', suggested_severity: 'extreme' }));
    store.emit(ESC, suggestion());
    await flush();
    expect(controller.phase).toEqual({ kind: 'idle' });
  });

  it("asks when the student's own live message reaches the policy's level, and shows a gentle note below it", async () => {
    const { store, controller } = setup();
    store.emit(PEER, { content: { msgtype: 'm.text', body: 'my friend said she wants to die' } });
    await flush();
    expect(controller.phase).toEqual({ kind: 'idle' });
    expect(controller.gentleNotice).toEqual({ roomId: PEER });
    store.emit(PEER, { content: { msgtype: 'm.text', body: 'I want to die' } });
    await flush();
    expect(controller.phase).toMatchObject({ kind: 'asking', prompt: { trigger: 'detector', severity: 'high' } });
    expect(controller.gentleNotice).toBeNull();
  });

  it("does not run the detector on the supporter's messages, on history, or when the policy turns it off", async () => {
    const { store, controller, bridge } = setup();
    store.emit(PEER, { sender: SUPPORTER, mine: false, content: { msgtype: 'm.text', body: 'do you ever think about killing yourself?' } });
    store.emit(PEER, { live: false, content: { msgtype: 'm.text', body: 'I want to die' } });
    await flush();
    expect(controller.phase).toEqual({ kind: 'idle' });
    bridge.policy = { risk_detection: { ...DEFAULT_RISK_DETECTION, enabled: false } };
    controller.bridge = bridge;
    await flush();
    store.emit(PEER, { content: { msgtype: 'm.text', body: 'I want to die' } });
    await flush();
    expect(controller.phase).toEqual({ kind: 'idle' });
    expect(controller.gentleNotice).toBeNull();
  });

  it('takes the thresholds and the level to ask at from the policy', async () => {
    const { store, controller, bridge } = setup();
    bridge.policy = { risk_detection: { enabled: true, flag_at: 'critical', thresholds: DEFAULT_RISK_DETECTION.thresholds } };
    controller.bridge = bridge;
    await flush();
    store.emit(PEER, { content: { msgtype: 'm.text', body: 'I want to die' } }); // high, below "critical"
    await flush();
    expect(controller.phase).toEqual({ kind: 'idle' });
    expect(controller.gentleNotice).toEqual({ roomId: PEER });

    const strict = setup();
    strict.bridge.policy = { risk_detection: { enabled: true, flag_at: 'critical', thresholds: { elevated: 0.3, high: 0.5, critical: 0.65 } } };
    strict.controller.bridge = strict.bridge;
    await flush();
    strict.store.emit(PEER, { content: { msgtype: 'm.text', body: 'I want to die' } }); // 0.7: critical under these thresholds
    await flush();
    expect(strict.controller.phase).toMatchObject({ kind: 'asking', prompt: { trigger: 'detector', severity: 'critical' } });
  });

  it('does not ask again after a no for the same or a lower level in that room', async () => {
    const { store, controller } = setup();
    store.emit(PEER, { content: { msgtype: 'm.text', body: 'I want to die' } });
    await flush();
    controller.decline();
    store.emit(PEER, { content: { msgtype: 'm.text', body: 'I feel suicidal' } });
    await flush();
    expect(controller.phase).toEqual({ kind: 'idle' });
    expect(controller.gentleNotice).toEqual({ roomId: PEER });
    store.emit(PEER, { content: { msgtype: 'm.text', body: "I'm going to kill myself tonight." } });
    await flush();
    expect(controller.phase).toMatchObject({ kind: 'asking', prompt: { severity: 'critical' } });
  });

  it('asks when the student requests a counsellor', () => {
    const { controller } = setup();
    controller.request(PEER);
    expect(controller.phase).toMatchObject({ kind: 'asking', prompt: { trigger: 'student', roomId: PEER, severity: 'medium' } });
  });
});

describe('escalation controller: consent', () => {
  it('sends nothing anywhere when the student says no', async () => {
    const { store, controller, bridge, opened } = setup();
    store.emit(PEER, suggestion());
    await flush();
    controller.decline();
    await flush();
    expect(controller.phase).toEqual({ kind: 'idle' });
    expect(bridge.calls).toEqual([]);
    expect(store.sentTexts).toEqual([]);
    expect(store.sentEvents).toEqual([]);
    expect(opened).toEqual([]);
  });

  it('does nothing on a consent that was not asked for', async () => {
    const { controller, bridge } = setup();
    controller.bridge = bridge;
    await flush();
    await controller.consent({ share: 'nothing' });
    expect(bridge.calls.filter((c) => c.path !== '/v1/policy')).toEqual([]);
  });

  it('on yes to a summary: registers the key, signs a receipt for exactly that summary, escalates, and posts it only once the counsellor joined', async () => {
    const { store, controller, bridge, opened, tick } = setup();
    controller.bridge = bridge;
    store.emit(PEER, suggestion());
    await flush();
    await controller.consent({ share: 'summary', summary: 'Exams, and I stopped sleeping.' });
    expect(bridge.calls.map((c) => c.path)).toEqual(['/v1/policy', '/v1/consent/keys', '/v1/escalations']);
    const [esc] = bridge.escalations();
    expect(esc!.room_id).toBe(PEER);
    expect(esc!.scope).toEqual({ share: 'summary', summary_sha256: await sha256Base64('Exams, and I stopped sleeping.') });
    expect(esc!.receipt.receipt).toMatchObject({ student_user_id: ME, room_id: PEER, counsellor_institution: 'a.example', severity: 'high', scope: esc!.scope });
    const verified = await verifyConsentReceipt(esc!.receipt, decodeConsentPublicKey(bridge.publicKey!), { now: Date.now(), maxSkewMs: 0, expectedStudent: ME, expectedRoom: PEER, expectedInstitution: 'a.example', expectedScope: esc!.scope as never });
    expect(verified).toMatchObject({ ok: true });
    expect(opened).toEqual([ESC]);
    const receiptId = esc!.receipt.receipt.receipt_id;
    expect(controller.phase).toEqual({ kind: 'waiting', roomId: ESC, share: 'summary', receiptId, withdrawal: 'none' });

    // In the room with the bot that made it (as a reloaded timeline shows), but no counsellor yet: nothing is posted.
    store.emit(ESC, { type: 'm.room.create', sender: '@peerline-bot:a.example', mine: false, content: {} });
    store.emit(ESC, { type: 'm.room.member', sender: '@peerline-bot:a.example', mine: false, content: { membership: 'join' } });
    store.emit(ESC, { type: 'm.room.member', content: { membership: 'join' } });
    await tick();
    expect(store.sentEvents).toEqual([]);
    // The counsellor joins: the summary, exactly as hashed, goes into the escalation room.
    store.emit(ESC, { type: 'm.room.member', sender: '@coun:a.example', mine: false, content: { membership: 'join' } });
    await flush();
    expect(store.sentEvents).toEqual([{ roomId: ESC, type: 'm.room.message', content: { msgtype: 'm.text', body: 'Exams, and I stopped sleeping.', 'org.peerline.shared': { receipt_id: receiptId, item: 0 } } }]);
    expect(store.sentTexts).toEqual([]);
    expect(controller.phase).toEqual({ kind: 'shared', roomId: ESC, share: 'summary' });
    // Its own summary in the escalation room does not set off the detector.
    store.emit(ESC, { content: { msgtype: 'm.text', body: 'I want to die' } });
    await flush();
    expect(controller.phase.kind).toBe('shared');
  });

  it('on yes to chosen messages: the receipt lists exactly those event ids and only their text is posted', async () => {
    const { store, controller, bridge, tick } = setup();
    controller.bridge = bridge;
    controller.request(PEER);
    await controller.consent({ share: 'messages', eventIds: ['$m2'] });
    const [esc] = bridge.escalations();
    expect(esc!.scope).toEqual({ share: 'messages', event_ids: ['$m2'] });
    expect(esc!.receipt.receipt.scope).toEqual({ share: 'messages', event_ids: ['$m2'] });
    store.emit(ESC, { type: 'm.room.member', content: { membership: 'join' } });
    // The counsellor joined before us: the bridge says so and no join shows in our timeline.
    bridge.receipts[0]!.escalation.counsellor_joined = true;
    await tick(); await tick(); await tick();
    expect(store.sentTexts).toEqual([]);
    expect(store.sentEvents).toEqual([{ roomId: ESC, type: 'm.room.message', content: {
      msgtype: 'm.text', body: '> that sounds hard', 'org.peerline.shared': { event_id: '$m2', from: 'peer', receipt_id: esc!.receipt.receipt.receipt_id, item: 0 },
    } }]);
  });

  it('on yes to nothing: escalates with a "nothing" receipt and posts nothing', async () => {
    const { store, controller, bridge } = setup();
    controller.bridge = bridge;
    controller.request(PEER);
    await controller.consent({ share: 'nothing' });
    expect(bridge.escalations()[0]!.receipt.receipt.scope).toEqual({ share: 'nothing' });
    store.emit(ESC, { type: 'm.room.member', content: { membership: 'join' } });
    store.emit(ESC, { type: 'm.room.member', sender: '@coun:a.example', mine: false, content: { membership: 'join' } });
    await flush();
    expect(store.sentTexts).toEqual([]);
    expect(store.sentEvents).toEqual([]);
    expect(controller.phase).toEqual({ kind: 'shared', roomId: ESC, share: 'nothing' });
  });

  it('joins the room once the bridge has created it when the escalation was still opening', async () => {
    const { controller, bridge, opened, tick } = setup();
    bridge.roomIdOnEscalate = null;
    controller.bridge = bridge;
    controller.request(PEER);
    await controller.consent({ share: 'nothing' });
    expect(opened).toEqual([]);
    bridge.receipts[0]!.escalation.room_id = ESC;
    await tick();
    expect(opened).toEqual([ESC]);
  });

  it('reports a refusal or no connection, keeps the question for a retry, and sends no content', async () => {
    const { store, controller, bridge } = setup();
    controller.bridge = { request: async () => { throw Object.assign(new Error('refused'), { status: 403, errcode: 'X' }); } };
    controller.request(PEER);
    await controller.consent({ share: 'summary', summary: 'hello' });
    expect(controller.phase).toMatchObject({ kind: 'failed', problem: 'refused', prompt: { roomId: PEER } });
    controller.retry();
    expect(controller.phase.kind).toBe('asking');
    controller.bridge = { request: async () => { throw Object.assign(new Error('offline'), { status: 0 }); } };
    await controller.consent({ share: 'summary', summary: 'hello' });
    expect(controller.phase).toMatchObject({ kind: 'failed', problem: 'network' });
    expect(store.sentTexts).toEqual([]);
    expect(bridge.calls).toEqual([]);
  });
});

describe('escalation controller: what was chosen waits on the device until it is posted', () => {
  const COUNSELLOR_JOIN = { type: 'm.room.member', sender: '@coun:a.example', mine: false, content: { membership: 'join' } } as const;
  const MY_JOIN = { type: 'm.room.member', content: { membership: 'join' } } as const;
  const SUMMARY = 'Exams, and I stopped sleeping.';

  /** A student who said yes to a summary; the counsellor has not joined yet. */
  async function consented(opts: SetupOptions = {}) {
    const s = setup(opts);
    s.controller.bridge = s.bridge;
    s.controller.request(PEER);
    await s.controller.consent({ share: 'summary', summary: SUMMARY });
    return s;
  }

  it('keeps the summary, room and receipt in the store from the yes on, and deletes it once posted', async () => {
    const { store, controller, shares, bridge } = await consented();
    const [record] = await shares.all();
    expect(record).toMatchObject({ escalationId: 'esc_1', receiptId: bridge.receipts[0]!.receipt_id, roomId: ESC, userId: ME, share: 'summary', withdrawing: false });
    expect(record!.items).toEqual([{ body: SUMMARY, quotes: null, posted: false, claim: null }]);
    store.emit(ESC, MY_JOIN);
    store.emit(ESC, COUNSELLOR_JOIN);
    await flush();
    expect(store.sentEvents).toHaveLength(1);
    expect(await shares.all()).toEqual([]);
    expect(controller.phase.kind).toBe('shared');
  });

  it('after a reload resumes waiting, and posts exactly once when the counsellor joins', async () => {
    const shares = memoryPendingShareStore();
    const bridge = new FakeBridge();
    const before = await consented({ shares, bridge });
    before.store.emit(ESC, MY_JOIN);
    await flush();
    before.controller.stop(); // the page reloads before any counsellor joined

    const after = setup({ shares, bridge, members: [ME] });
    await flush();
    expect(after.controller.phase).toEqual({ kind: 'waiting', roomId: ESC, share: 'summary', receiptId: bridge.receipts[0]!.receipt_id, withdrawal: 'none' });
    expect(after.opened).toEqual([]); // already in the room: the view is not switched
    after.controller.bridge = bridge;
    await after.tick();
    expect(after.store.sentEvents).toEqual([]);
    after.store.emit(ESC, COUNSELLOR_JOIN);
    await flush();
    after.store.emit(ESC, COUNSELLOR_JOIN);
    await after.tick();
    expect(after.store.sentEvents.map((e) => e.content['body'])).toEqual([SUMMARY]);
    expect(before.store.sentEvents).toEqual([]);
    expect(await shares.all()).toEqual([]);
    expect(after.controller.phase).toMatchObject({ kind: 'shared', roomId: ESC, share: 'summary' });
  });

  it('joins the room again after a reload when the device was not in it yet', async () => {
    const shares = memoryPendingShareStore();
    (await consented({ shares })).controller.stop();
    const after = setup({ shares, members: null });
    await flush();
    expect(after.opened).toEqual([ESC]);
  });

  it('posts once with two pages open: the second finds the item claimed, then gone, and shows it shared', async () => {
    const shares = memoryPendingShareStore();
    const bridge = new FakeBridge();
    const a = await consented({ shares, bridge, pageId: 'page-a' });
    const b = setup({ shares, bridge, members: [ME], pageId: 'page-b' });
    b.controller.bridge = bridge;
    await flush();
    // Page A's send is slow: both pages see the counsellor join while it is under way.
    let release!: () => void;
    const slow = new Promise<void>((r) => { release = r; });
    const send = a.store.sendEventTo.bind(a.store);
    a.store.sendEventTo = async (...args) => { await slow; return send(...args); };
    a.store.emit(ESC, MY_JOIN);
    a.store.emit(ESC, COUNSELLOR_JOIN);
    b.store.emit(ESC, COUNSELLOR_JOIN);
    await flush();
    expect(b.store.sentEvents).toEqual([]);
    release();
    await flush();
    await b.tick();
    expect([...a.store.sentEvents, ...b.store.sentEvents]).toHaveLength(1);
    expect(a.controller.phase.kind).toBe('shared');
    expect(b.controller.phase.kind).toBe('shared');
    expect(await shares.all()).toEqual([]);
  });

  it("takes over a claim left by a page that died mid-send only after its lease, and then sends only what the timeline does not show", async () => {
    let now = 1_000_000;
    const shares = memoryPendingShareStore();
    const record = (id: string, receiptId: string, body: string): PendingShareRecord => ({
      escalationId: id, receiptId, roomId: ESC, userId: ME, share: 'summary', createdTs: now, withdrawing: false,
      items: [{ body, quotes: null, posted: false, claim: { by: 'dead-page', at: now } }],
    });
    await shares.put(record('esc_sent', 'r-sent', 'this one arrived before the page died'));
    await shares.put(record('esc_lost', 'r-lost', 'this one never left'));
    const s = setup({ shares, members: [ME], now: () => now });
    s.store.messages.push({ id: '$sent', sender: ME, mine: true, timestamp: 9, body: 'this one arrived before the page died', state: 'sent' });
    await flush();
    s.store.emit(ESC, COUNSELLOR_JOIN);
    await flush();
    expect(s.store.sentEvents).toEqual([]); // still claimed by the other page
    now += CLAIM_LEASE_MS;
    await s.tick();
    expect(s.store.sentEvents.map((e) => e.content['body'])).toEqual(['this one never left']);
    expect(await shares.all()).toEqual([]);
  });

  it('deletes what waits, unposted, when the bridge says the escalation was withdrawn elsewhere or resolved', async () => {
    const { store, controller, shares, bridge, tick } = await consented();
    bridge.receipts[0]!.withdrawn_ts = 5;
    bridge.receipts[0]!.escalation.status = 'withdrawn';
    await tick();
    expect(await shares.all()).toEqual([]);
    expect(controller.phase).toEqual({ kind: 'withdrawn' });
    store.emit(ESC, MY_JOIN);
    store.emit(ESC, COUNSELLOR_JOIN);
    await flush();
    expect(store.sentEvents).toEqual([]);

    const other = await consented();
    other.bridge.receipts[0]!.escalation.status = 'resolved';
    await other.tick();
    expect(await other.shares.all()).toEqual([]);
    expect(other.controller.phase).toEqual({ kind: 'closed' });
  });

  it("deletes what waited longer than the policy keeps escalation rooms, and another account's records", async () => {
    let now = 10 * 86_400_000;
    const shares = memoryPendingShareStore();
    const old: PendingShareRecord = { escalationId: 'esc_old', receiptId: 'r-old', roomId: ESC, userId: ME, share: 'summary', createdTs: now, withdrawing: false, items: [{ body: 'old', quotes: null, posted: false, claim: null }] };
    await shares.put(old);
    await shares.put({ ...old, escalationId: 'esc_else', receiptId: 'r-else', userId: '@someone-else:a.example' });
    now += 3 * 86_400_000;
    const bridge = new FakeBridge();
    bridge.policy = { risk_detection: DEFAULT_RISK_DETECTION, retention_days: { peer: 1, group: 1, escalation: 2 } };
    const s = setup({ shares, bridge, members: [ME], now: () => now });
    await flush();
    expect((await shares.all()).map((r) => r.escalationId)).toEqual(['esc_old']);
    s.controller.bridge = bridge;
    await flush();
    await s.tick();
    expect(await shares.all()).toEqual([]);
    s.store.emit(ESC, COUNSELLOR_JOIN);
    await flush();
    expect(s.store.sentEvents).toEqual([]);
  });

  it('on withdraw while waiting: the bridge withdraws the receipt, the content is deleted and never posted', async () => {
    const { store, controller, shares, bridge } = await consented();
    const receiptId = bridge.receipts[0]!.receipt_id;
    await controller.withdraw();
    expect(bridge.calls.at(-1)).toEqual({ method: 'POST', path: `/v1/consent/receipts/${encodeURIComponent(receiptId)}/withdraw` });
    expect(controller.phase).toEqual({ kind: 'withdrawn' });
    expect(await shares.all()).toEqual([]);
    store.emit(ESC, MY_JOIN);
    store.emit(ESC, COUNSELLOR_JOIN);
    await flush();
    expect(store.sentEvents).toEqual([]);
  });

  it('keeps waiting when the withdrawal cannot reach the bridge, and posts as agreed if a counsellor then joins', async () => {
    const { store, controller, shares, bridge } = await consented();
    bridge.withdrawError = Object.assign(new Error('offline'), { status: 0 });
    await controller.withdraw();
    expect(controller.phase).toMatchObject({ kind: 'waiting', withdrawal: 'failed' });
    expect((await shares.all())[0]).toMatchObject({ withdrawing: false });
    store.emit(ESC, MY_JOIN);
    store.emit(ESC, COUNSELLOR_JOIN);
    await flush();
    expect(store.sentEvents.map((e) => e.content['body'])).toEqual([SUMMARY]);
  });

  it('posts nothing when a counsellor joined just before the withdrawal arrived', async () => {
    const { store, controller, shares, bridge } = await consented();
    bridge.withdrawError = Object.assign(new Error('too late'), { status: 409, errcode: 'ORG.PEERLINE.CONSENT_ALREADY_SHARED' });
    await controller.withdraw();
    expect(controller.phase).toEqual({ kind: 'too-late', roomId: ESC, sent: false });
    expect(await shares.all()).toEqual([]);
    store.emit(ESC, MY_JOIN);
    store.emit(ESC, COUNSELLOR_JOIN);
    await flush();
    expect(store.sentEvents).toEqual([]);
  });
});

describe('risk settings from the policy', () => {
  it("match the detector's and the policy schema's defaults", () => {
    expect(DEFAULT_RISK_SETTINGS).toEqual({ enabled: DEFAULT_RISK_DETECTION.enabled, flagAt: DEFAULT_RISK_DETECTION.flag_at, thresholds: DEFAULT_RISK_DETECTION.thresholds });
    expect(DEFAULT_RISK_DETECTION.thresholds).toEqual(DEFAULT_RISK_THRESHOLDS);
  });

  it('fall back to the defaults for missing or malformed settings', () => {
    expect(riskSettingsFrom(null)).toEqual(DEFAULT_RISK_SETTINGS);
    expect(riskSettingsFrom({ risk_detection: { enabled: true, flag_at: 'sometimes' as never, thresholds: { elevated: 0.9, high: 0.5, critical: 0.6 } } })).toEqual(DEFAULT_RISK_SETTINGS);
    expect(riskSettingsFrom({ risk_detection: { enabled: false, flag_at: 'elevated', thresholds: { elevated: 0.1, high: 0.2, critical: 0.3 } } }))
      .toEqual({ enabled: false, flagAt: 'elevated', thresholds: { elevated: 0.1, high: 0.2, critical: 0.3 } });
  });
});
