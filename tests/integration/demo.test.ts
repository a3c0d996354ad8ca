// `npm start`, the two-school demo, as a newcomer runs it: from a copy of the repository without a
// build (it builds), two federated institutions come up with seeded people; School A's student and
// a School B supporter are matched across institutions through the bridges and chat encrypted both
// ways with real Rust-crypto clients; Ctrl-C stops every process with exit 0; a second start keeps
// the accounts and rooms; `--fresh` starts over with new passwords.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectMessages, newClient, waitFor, type Client } from '../helpers/client.ts';
import { ROOT, bridgeApi, bridgeSession, isAlive, signInWithPassword, startDemo, type DemoInfo, type RunningDemo } from '../helpers/demo.ts';

interface Offer { offer_id: string; request_id: string; topic: string; institution: string; cross_institution: boolean }

/** A copy of the working tree as a clone would have it (tracked and new files; no dist/, no data). */
function copyOfTree(): string {
  const tree = mkdtempSync(join(tmpdir(), 'peerline-demo-tree-'));
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue;
    mkdirSync(dirname(join(tree, f)), { recursive: true });
    cpSync(join(ROOT, f), join(tree, f));
  }
  // `npm install` is what the newcomer did before; the installed packages are shared.
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
  return tree;
}

const account = (info: DemoInfo, school: 'school-a' | 'school-b', localpart: string) => {
  const a = info.institutions[school].accounts.find((x) => x.localpart === localpart);
  if (!a) throw new Error(`no ${localpart} at ${school}`);
  return a;
};

describe('npm start: two federated schools on loopback', () => {
  let tree: string;
  let dataDir: string;
  let demo: RunningDemo | null = null;
  const clients: Client[] = [];
  let first: DemoInfo;
  let roomId = '';

  beforeAll(() => {
    tree = copyOfTree();
    dataDir = mkdtempSync(join(tmpdir(), 'peerline-demo-data-'));
  });

  afterAll(async () => {
    for (const c of clients) c.stopClient();
    await demo?.stop('SIGKILL');
    rmSync(tree, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('builds a tree without dist/, matches School A\'s student with a School B supporter, who chat encrypted both ways, and stops every process with exit 0 on Ctrl-C', async () => {
    expect(existsSync(join(tree, 'dist'))).toBe(false);
    demo = await startDemo({ tree, dataDir, viaNpm: true });
    expect(existsSync(join(tree, 'dist/homeserver/src/cli/demo.js'))).toBe(true);
    first = demo.info();
    const a = first.institutions['school-a'];
    const b = first.institutions['school-b'];
    expect(a.server_name).not.toBe(b.server_name);
    for (const x of [a, b]) {
      expect(x.accounts.map((p) => p.role).sort()).toEqual(['admin', 'counsellor', 'student', 'supporter', 'supporter']);
      // The web client is served for each institution, configured for its homeserver and bridge.
      const config = (await (await fetch(new URL('config.json', x.web_url))).json()) as Record<string, unknown>;
      expect(config).toMatchObject({ homeserver_url: x.homeserver_url, bridge_url: x.bridge_url });
      expect((await fetch(x.web_url)).status).toBe(200);
    }
    // What was printed is what demo.json says.
    expect(demo.output()).toContain(account(first, 'school-a', 'student').password);
    expect(demo.output()).toContain(a.web_url);

    const studentAcc = account(first, 'school-a', 'student');
    const supporterAcc = account(first, 'school-b', 'supporter-1');
    const student = await signInWithPassword(a.homeserver_url, studentAcc.user_id, studentAcc.password);
    const supporter = await signInWithPassword(b.homeserver_url, supporterAcc.user_id, supporterAcc.password);
    expect([student.status, supporter.status]).toEqual([200, 200]);
    const [studentToken, supporterToken] = await Promise.all([
      bridgeSession(a.bridge_url, a.homeserver_url, student), bridgeSession(b.bridge_url, b.homeserver_url, supporter),
    ]);
    const cs = await newClient(a.homeserver_url, student);
    const cp = await newClient(b.homeserver_url, supporter);
    clients.push(cs, cp);

    expect((await bridgeApi(b.bridge_url, 'PUT', '/v1/supporters/me/availability', supporterToken, { available: true })).status).toBe(200);
    const created = await bridgeApi<{ request_id: string }>(a.bridge_url, 'POST', '/v1/requests', studentToken, { topic: 'exam-stress' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const offer = await waitFor('an offer at School B', async () => (await bridgeApi<{ offers: Offer[] }>(b.bridge_url, 'GET', '/v1/offers?timeout_ms=2000', supporterToken)).body.offers[0], 30_000);
    expect(offer).toMatchObject({ topic: 'exam-stress', institution: a.server_name, cross_institution: true });
    const accepted = await bridgeApi<{ session_id: string }>(b.bridge_url, 'POST', `/v1/offers/${offer.offer_id}/accept`, supporterToken);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    roomId = await waitFor('the room, as School B learns it', async () =>
      (await bridgeApi<{ room_id: string | null }>(b.bridge_url, 'GET', `/v1/sessions/${accepted.body.session_id}`, supporterToken)).body.room_id, 30_000);
    expect(roomId.endsWith(`:${a.server_name}`)).toBe(true);

    await waitFor('the student\'s invite', () => cs.getRoom(roomId)?.getMyMembership() === 'invite', 30_000);
    await waitFor('the supporter\'s invite', () => cp.getRoom(roomId)?.getMyMembership() === 'invite', 30_000);
    await cs.joinRoom(roomId);
    await cp.joinRoom(roomId);
    await waitFor('both joined, as each sees it', () => cs.getRoom(roomId)?.getMember(cp.getUserId()!)?.membership === 'join' && cp.getRoom(roomId)?.getMember(cs.getUserId()!)?.membership === 'join', 30_000);
    expect(cs.getRoom(roomId)!.hasEncryptionStateEvent()).toBe(true);
    const atSupporter = collectMessages(cp, roomId);
    const atStudent = collectMessages(cs, roomId);
    await cs.sendTextMessage(roomId, 'demo: exams are getting to me');
    await cp.sendTextMessage(roomId, 'demo: I am here to listen');
    await waitFor('the supporter to decrypt the student', () => atSupporter.bodies.includes('demo: exams are getting to me'), 60_000);
    await waitFor('the student to decrypt the supporter', () => atStudent.bodies.includes('demo: I am here to listen'), 60_000);
    expect([...atSupporter.failures, ...atStudent.failures]).toEqual([]);
    for (const c of clients.splice(0)) c.stopClient();

    // npm → sh → the demo → two homeservers and two bridges; Ctrl-C reaches the group, all go.
    const pids = demo.processes();
    expect(pids.length).toBeGreaterThanOrEqual(5);
    expect(await demo.stop('SIGINT')).toBe(0);
    await waitFor('every demo process to be gone', () => pids.every((p) => !isAlive(p)), 5_000);
    demo = null;
  });

  it('starts again with the same accounts and rooms, starts over with --fresh, and leaves no process behind even when killed', async () => {
    demo = await startDemo({ tree, dataDir });
    const again = demo.info();
    expect(again.accounts).toEqual(first.accounts);
    const a = again.institutions['school-a'];
    const studentAcc = account(again, 'school-a', 'student');
    const student = await signInWithPassword(a.homeserver_url, studentAcc.user_id, studentAcc.password);
    expect(student.status).toBe(200);
    const joined = await (await fetch(`${a.homeserver_url}/_matrix/client/v3/joined_rooms`, { headers: { Authorization: `Bearer ${student.accessToken}` } })).json() as { joined_rooms: string[] };
    expect(joined.joined_rooms).toContain(roomId);
    const pids = demo.processes();
    expect(await demo.stop('SIGTERM')).toBe(0);
    await waitFor('every demo process to be gone', () => pids.every((p) => !isAlive(p)), 5_000);

    demo = await startDemo({ tree, dataDir, args: ['--fresh'] });
    const fresh = demo.info();
    const newStudent = account(fresh, 'school-a', 'student');
    expect(newStudent.password).not.toBe(studentAcc.password);
    const fa = fresh.institutions['school-a'];
    expect((await signInWithPassword(fa.homeserver_url, newStudent.user_id, studentAcc.password)).status).toBe(403);
    expect((await signInWithPassword(fa.homeserver_url, newStudent.user_id, newStudent.password)).status).toBe(200);
    // Even killed outright, the demo leaves nothing running: its processes notice and stop.
    const children = demo.processes().filter((p) => p !== demo!.proc.pid);
    expect(children.length).toBe(4);
    expect(await demo.stop('SIGKILL')).toBe(null);
    await waitFor('the homeservers and bridges to stop without the demo', () => children.every((p) => !isAlive(p)), 15_000);
    demo = null;
  });
});
