// A full disk under the data directory: the homeserver's (and, separately, the bridge's) data
// directory is a small tmpfs that the test fills to the last byte. Writes then fail with a clear,
// retryable error naming storage (507, M_UNKNOWN — the spec's M_RESOURCE_LIMIT_EXCEEDED is a 403 for
// quotas that needs an admin contact, and clients do not retry it), reads keep working, the SQLite
// files pass `PRAGMA integrity_check`, and once space is freed the same process works again and
// everything acknowledged before is still there, once. Needs root to mount (this machine and CI run
// as root); without it the test fails saying so.
import { execFileSync } from 'node:child_process';
import { closeSync, cpSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { prepareBridge, signInToBridge, startBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';
import { freePort } from '../helpers/ports.ts';
import { ENCRYPTION_STATE, waitFor } from '../helpers/client.ts';
import { HomeserverClient } from '../../bridge-service/src/services/homeserver-client.ts';
import { encodeConsentPublicKey, generateConsentKeyPair, newConsentReceipt, signConsentReceipt } from '../../protocol/src/consent.ts';
import { SESSION_EVENT_TYPE } from '../../protocol/src/event-types.ts';

const enc = encodeURIComponent;
const mounted: string[] = [];

/** Mounts a tmpfs of `size` on `dir` (created when absent). */
function mountTmpfs(dir: string, size: string): void {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    const why = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
    throw new Error(`the full-disk tests need to mount a tmpfs (run them as root, as CI does): mount -t tmpfs on ${dir} failed: ${why}`, { cause: e });
  }
  mounted.push(dir);
}

/** Writes a filler file until the file system refuses another byte; returns its path. */
function fillDisk(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0xaa);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (e) {
        if ((e as { code?: string }).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

function integrity(file: string): string {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

function expectStorageFull(r: { status: number; body: unknown }): void {
  expect(r.status, JSON.stringify(r.body)).toBe(507);
  expect(r.body).toEqual({ errcode: 'M_UNKNOWN', error: expect.stringMatching(/storage is full/) });
}

afterAll(() => {
  for (const dir of mounted) {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('a homeserver whose data directory runs out of space', () => {
  let hs: TestHomeserver;
  let alice: RegisteredUser;
  let roomId: string;
  const acknowledged: string[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peerline-fullhs-'));
    mountTmpfs(dir, '16m');
    hs = await startHomeserver({ dataDir: dir });
    alice = await hs.registerUser('alice');
    roomId = (await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { name: 'before the disk filled' } })).body.room_id;
  });

  afterAll(async () => {
    await hs?.stop();
  });

  const send = (txn: string, body: string): Promise<{ status: number; body: { event_id?: string } }> =>
    api(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${txn}`, { token: alice.accessToken, body: { msgtype: 'm.text', body } });

  it('refuses writes with 507 naming storage while the disk is full, keeps serving reads, and corrupts nothing', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await send(`before-${i}`, `before ${i}`);
      expect(r.status).toBe(200);
      acknowledged.push(r.body.event_id!);
    }
    const filler = fillDisk(hs.dataDir);
    try {
      for (let i = 0; i < 3; i++) expectStorageFull(await send(`full-${i}`, `while full ${i}`));
      expectStorageFull(await api(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`, { token: alice.accessToken, body: { topic: 'no room for this' } }));
      expectStorageFull(await api(hs, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: {} }));
      // Reads need no space: the client can still sync and page back.
      expect((await api(hs, 'GET', '/_matrix/client/versions')).status).toBe(200);
      expect((await api(hs, 'GET', '/_matrix/client/v3/sync?timeout=0', { token: alice.accessToken })).status).toBe(200);
      expect(integrity(join(hs.dataDir, 'homeserver.db'))).toBe('ok');
    } finally {
      rmSync(filler);
    }
    expect(hs.output()).not.toMatch(/while full/);
  });

  it('works again once space is freed, without a restart: the refused sends go through once when retried, and nothing acknowledged is lost', async () => {
    const pid = hs.pid();
    for (let i = 0; i < 3; i++) {
      const r = await send(`full-${i}`, `while full ${i}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      acknowledged.push(r.body.event_id!);
      // The same transaction again is the same event, not a second one.
      expect((await send(`full-${i}`, `while full ${i}`)).body.event_id).toBe(r.body.event_id);
    }
    expect(hs.pid()).toBe(pid);
    const msgs = await api<{ chunk: { event_id: string; type: string }[] }>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=f&limit=100`, { token: alice.accessToken });
    expect(msgs.body.chunk.filter((e) => e.type === 'm.room.message').map((e) => e.event_id)).toEqual(acknowledged);
    expect(integrity(join(hs.dataDir, 'homeserver.db'))).toBe('ok');
  });
});

describe('a bridge whose data directory runs out of space', () => {
  let hs: TestHomeserver;
  let bridge: TestBridge;
  let admin: RegisteredUser;
  let adminToken: string;
  let students: { user: RegisteredUser; token: string }[];
  let requestId: string;
  let counsellor: RegisteredUser;
  let counsellorToken: string;

  beforeAll(async () => {
    const federationPort = await freePort();
    const serverName = `localhost:${federationPort}`;
    const prepared = await prepareBridge({ serverName });
    // The bridge's files move onto a small tmpfs mounted over its data directory.
    const aside = mkdtempSync(join(tmpdir(), 'peerline-fullbridge-aside-'));
    cpSync(prepared.dataDir, aside, { recursive: true });
    mountTmpfs(prepared.dataDir, '8m');
    cpSync(aside, prepared.dataDir, { recursive: true });
    rmSync(aside, { recursive: true, force: true });
    hs = await startHomeserver({ federationPort, serverName, extraArgs: ['--appservice', prepared.registrationFile], env: { PEERLINE_APPSERVICE_RETRY_MS: '100,400' } });
    bridge = await startBridge({ homeserver: hs, prepared, policy: testPolicy(serverName), admins: [`@admin:${serverName}`] });
    admin = await hs.registerUser('admin');
    adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
    students = await Promise.all([1, 2, 3].map(async (i) => {
      const user = await hs.registerUser(`s-full-${i}`);
      return { user, token: (await signInToBridge(bridge, hs, user)).session_token };
    }));
    counsellor = await hs.registerUser('coun');
    expect((await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(counsellor.userId)}`, { token: adminToken, body: {} })).status).toBe(200);
    counsellorToken = (await signInToBridge(bridge, hs, counsellor)).session_token;
  });

  afterAll(async () => {
    await bridge?.stop();
    await hs?.stop();
    hs?.cleanup();
  });

  it('refuses writes with 507 naming storage, keeps answering reads, and keeps its audit chain and database intact', async () => {
    const first = await bridge.api<{ request_id: string }>('POST', '/v1/requests', { token: students[0]!.token, body: { topic: 'exam-stress' } });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    requestId = first.body.request_id;
    const auditBefore = await bridge.api<{ chain: { ok: boolean; length: number } }>('GET', '/v1/admin/audit', { token: adminToken });
    const filler = fillDisk(bridge.dataDir);
    try {
      expectStorageFull(await bridge.api('POST', '/v1/requests', { token: students[1]!.token, body: { topic: 'exam-stress' } }));
      expectStorageFull(await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(students[2]!.user.userId)}`, { token: adminToken, body: {} }));
      expect((await bridge.api('GET', '/v1/policy', { token: students[1]!.token })).status).toBe(200);
      expect((await bridge.api('GET', `/v1/requests/${requestId}`, { token: students[0]!.token })).status).toBe(200);
      const audit = await bridge.api<{ chain: { ok: boolean; length: number } }>('GET', '/v1/admin/audit', { token: adminToken });
      expect(audit.status).toBe(200);
      expect(audit.body.chain).toMatchObject({ ok: true, length: auditBefore.body.chain.length });
      expect(integrity(join(bridge.dataDir, 'bridge.sqlite'))).toBe('ok');
    } finally {
      rmSync(filler);
    }
  });

  it('leaves the homeserver\'s transactions for it unanswered while full, and processes them once space is freed', async () => {
    // A consented escalation: the counsellor is invited to its room.
    const student = students[2]!;
    const bot = new HomeserverClient({ baseUrl: hs.baseUrl, asToken: bridge.asToken, botUserId: `@${bridge.senderLocalpart}:${hs.serverName}` });
    const { room_id: peerRoom } = await bot.createRoom({
      preset: 'private_chat',
      initial_state: [ENCRYPTION_STATE, { type: SESSION_EVENT_TYPE, state_key: '', content: { request_id: 'req-full', topic: 'exam-stress', institutions: [hs.serverName], created_ts: Date.now(), kind: 'peer' } }],
    });
    await bot.invite(peerRoom, student.user.userId);
    expect((await api(hs, 'POST', `/_matrix/client/v3/join/${enc(peerRoom)}`, { token: student.user.accessToken, body: {} })).status).toBe(200);
    const keys = await generateConsentKeyPair();
    expect((await bridge.api('POST', '/v1/consent/keys', { token: student.token, body: { public_key: encodeConsentPublicKey(keys.publicKey) } })).status).toBe(200);
    const signed = await signConsentReceipt(await newConsentReceipt({
      student_user_id: student.user.userId, room_id: peerRoom, scope: { share: 'nothing' }, counsellor_institution: hs.serverName, severity: 'high',
    }, { now: Date.now(), ttlMs: 10 * 60_000 }), keys.secretKey);
    const esc = await bridge.api<{ room_id: string; status: string }>('POST', '/v1/escalations', { token: student.token, body: { receipt: signed, room_id: peerRoom, scope: signed.receipt.scope } });
    expect(esc.status, JSON.stringify(esc.body)).toBe(200);
    type Item = { room_id: string; counsellors: { user_id: string; joined_ts: number | null }[] };
    const joinedTs = async (): Promise<number | null | undefined> => {
      const q = await bridge.api<{ items: Item[] }>('GET', '/v1/escalations/queue', { token: counsellorToken });
      return q.body.items.find((i) => i.room_id === esc.body.room_id)?.counsellors.find((c) => c.user_id === counsellor.userId)?.joined_ts;
    };
    expect(await joinedTs()).toBeNull();
    const mark = bridge.output().length;
    const filler = fillDisk(bridge.dataDir);
    try {
      // The counsellor joins on the homeserver (which has room); the bridge hears of it by transaction.
      expect((await api(hs, 'POST', `/_matrix/client/v3/join/${enc(esc.body.room_id)}`, { token: counsellor.accessToken, body: {} })).status).toBe(200);
      await waitFor('the homeserver to have tried to tell the bridge', () => bridge.output().slice(mark).includes('storage full'), 30_000);
      expect(await joinedTs()).toBeNull();
    } finally {
      rmSync(filler);
    }
    // The homeserver retries the same transaction; the bridge now stores and processes it.
    await waitFor('the bridge to record the counsellor\'s join', async () => typeof (await joinedTs()) === 'number', 30_000);
  });

  it('works again once space is freed, without a restart, and nothing acknowledged is lost or doubled', async () => {
    const pid = bridge.pid();
    const again = await bridge.api<{ request_id: string }>('POST', '/v1/requests', { token: students[1]!.token, body: { topic: 'exam-stress' } });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect((await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(students[2]!.user.userId)}`, { token: adminToken, body: {} })).status).toBe(200);
    expect(bridge.pid()).toBe(pid);
    for (const [s, id] of [[students[0]!, requestId], [students[1]!, again.body.request_id]] as const) {
      const list = await bridge.api<{ requests: { request_id: string }[] }>('GET', '/v1/requests', { token: s.token });
      expect(list.body.requests.map((r) => r.request_id)).toEqual([id]);
    }
    const audit = await bridge.api<{ chain: { ok: boolean } }>('GET', '/v1/admin/audit', { token: adminToken });
    expect(audit.body.chain.ok).toBe(true);
    expect(integrity(join(bridge.dataDir, 'bridge.sqlite'))).toBe('ok');
  });
});
