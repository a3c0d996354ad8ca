// Federation benchmark between two real homeserver processes on loopback HTTPS: cross-server send →
// decrypted by the other client, one-direction throughput with durable commits on both ends, and
// the time for a user on B to join a room on A that has 500 members. Writes bench/results/federation.json.
import { startFederatedPair, type FederatedPair } from '../tests/helpers/federated-pair.ts';
import { ENCRYPTION_STATE, newClient, waitFor } from '../tests/helpers/client.ts';
import { agent, benchConfig, httpJson, measureSendToDecrypt, registerMany } from './harness.ts';
import { median, percentile, report, round, type Figure } from './stats.ts';

const quick = process.argv.includes('--quick');




async function crossServerLatency(pair: FederatedPair): Promise<number[]> {
  const [student] = await registerMany(pair.a, 'student', 1);
  const [supporter] = await registerMany(pair.b, 'supporter', 1);
  const ca = await newClient(pair.a.baseUrl, student!);
  const cb = await newClient(pair.b.baseUrl, supporter!);
  try {
    const { room_id: roomId } = await ca.createRoom({ invite: [supporter!.userId], initial_state: [ENCRYPTION_STATE] });
    await waitFor('invite at B', () => cb.getRoom(roomId)?.getMyMembership() === 'invite', 30_000);
    await cb.joinRoom(roomId);
    await waitFor('join seen at A', () => ca.getRoom(roomId)?.getMember(supporter!.userId)?.membership === 'join', 30_000);
    return await measureSendToDecrypt(ca, cb, roomId, quick ? 30 : 100);
  } finally {
    ca.stopClient();
    cb.stopClient();
  }
}

async function throughput(pair: FederatedPair): Promise<{ eventsPerSec: number; events: number }> {
  const senders = await registerMany(pair.a, 'tput', 20);
  const [reader] = await registerMany(pair.b, 'reader', 1);
  const owner = senders[0]!;
  const room = (await httpJson(pair.a, 'POST', '/_matrix/client/v3/createRoom', owner.accessToken, { preset: 'public_chat', invite: [reader!.userId] })).body['room_id'] as string;
  await Promise.all(senders.slice(1).map((u) => httpJson(pair.a, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, u.accessToken, {})));
  await waitFor('invite at B', async () => {
    const r = await httpJson(pair.b, 'GET', '/_matrix/client/v3/sync?timeout=0', reader!.accessToken);
    return (r.body['rooms'] as { invite: Record<string, unknown> }).invite[room];
  }, 30_000);
  const joined = await httpJson(pair.b, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, reader!.accessToken, {});
  if (joined.status !== 200) throw new Error(`join failed ${JSON.stringify(joined.body)}`);
  let since = (await httpJson(pair.b, 'GET', '/_matrix/client/v3/sync?timeout=0&filter=' + encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 1 } } })), reader!.accessToken)).body['next_batch'] as string;
  const perSender = quick ? 25 : 100;
  const total = senders.length * perSender;
  const filter = encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 100, types: ['m.room.message'] }, state: { lazy_load_members: true } }, presence: { types: [] } }));
  let received = 0;
  const t0 = performance.now();
  const sending = Promise.all(senders.map(async (u, s) => {
    for (let i = 0; i < perSender; i++) {
      const r = await httpJson(pair.a, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/t${s}-${i}`, u.accessToken, { msgtype: 'm.text', body: `m${s}-${i}` });
      if (r.status !== 200) throw new Error(`send failed ${r.status}`);
    }
  }));
  while (received < total) {
    const r = await httpJson(pair.b, 'GET', `/_matrix/client/v3/sync?timeout=10000&since=${since}&filter=${filter}`, reader!.accessToken);
    since = r.body['next_batch'] as string;
    const rooms = (r.body['rooms'] as { join: Record<string, { timeline: { events: unknown[]; limited: boolean } }> }).join;
    const tl = rooms[room]?.timeline;
    if (tl) {
      // A limited timeline hides events; count what arrived on B through /messages instead.
      if (tl.limited) {
        const page = await httpJson(pair.b, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=1000&filter=${encodeURIComponent(JSON.stringify({ types: ['m.room.message'] }))}`, reader!.accessToken);
        received = Math.max(received, (page.body['chunk'] as unknown[]).length);
      } else {
        received += tl.events.length;
      }
    }
    if (performance.now() - t0 > 120_000) throw new Error(`only ${received}/${total} events arrived at B`);
  }
  const secs = (performance.now() - t0) / 1000;
  await sending;
  return { eventsPerSec: total / secs, events: total };
}

async function joinLargeRoom(pair: FederatedPair): Promise<{ ms: number; members: number }> {
  const n = quick ? 100 : 500;
  const members = await registerMany(pair.a, 'member', n);
  const owner = members[0]!;
  const room = (await httpJson(pair.a, 'POST', '/_matrix/client/v3/createRoom', owner.accessToken, { preset: 'public_chat' })).body['room_id'] as string;
  for (let i = 1; i < n; i += 50) await Promise.all(members.slice(i, i + 50).map((u) => httpJson(pair.a, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, u.accessToken, {})));
  const [joiner] = await registerMany(pair.b, 'joiner', 1);
  const t0 = performance.now();
  const r = await httpJson(pair.b, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}?via=${encodeURIComponent(pair.a.serverName)}`, joiner!.accessToken, {});
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new Error(`join failed ${JSON.stringify(r.body)}`);
  return { ms, members: n };
}

const config = benchConfig();
const pair = await startFederatedPair({ extraArgsA: ['--config', config], extraArgsB: ['--config', config] });
try {
  const lat = await crossServerLatency(pair);
  const tput = await throughput(pair);
  const join = await joinLargeRoom(pair);
  const figures: Figure[] = [
    { name: 'cross-server send → decrypted, p50', value: round(median(lat)), unit: 'ms', floor: '<= 30' },
    { name: 'cross-server send → decrypted, p95', value: round(percentile(lat, 95)), unit: 'ms' },
    { name: `federation throughput A → B (${tput.events} events, durable both ends)`, value: round(tput.eventsPerSec, 0), unit: 'events/s', floor: '>= 1000' },
    { name: `join from B into a room on A with ${join.members} members`, value: round(join.ms), unit: 'ms' },
  ];
  report('federation.json', `Federation benchmark${quick ? ' (quick)' : ''}`, figures, { samples: { crossServerMs: lat.map((x) => round(x)) } });
} finally {
  await pair.stop();
  agent.destroy();
}
process.exit(0);
