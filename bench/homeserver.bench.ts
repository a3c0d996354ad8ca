// Homeserver benchmark: cold start, durable ingest from 50 concurrent senders, send → decrypted by
// another real client, and 1,000 long-polling /sync connections (memory and wake-up latency).
// Everything runs against real homeserver processes on loopback; figures go to bench/results/homeserver.json.
import { rmSync } from 'node:fs';
import { startHomeserver, type RegisteredUser } from '../tests/helpers/homeserver.ts';
import { ENCRYPTION_STATE, newClient, waitFor } from '../tests/helpers/client.ts';
import { agent, benchConfig, httpJson, measureSendToDecrypt, registerMany } from './harness.ts';
import { median, percentile, report, round, rssMb, type Figure } from './stats.ts';

const quick = process.argv.includes('--quick');




async function coldStart(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    const t0 = performance.now();
    const hs = await startHomeserver({ serverName: 'cold.localhost' });
    times.push(performance.now() - t0);
    await hs.stop();
    hs.cleanup();
  }
  return times;
}

async function ingest(config: string): Promise<{ eventsPerSec: number; events: number; senders: number }> {
  const hs = await startHomeserver({ serverName: 'ingest.localhost', extraArgs: ['--config', config] });
  try {
    const senders = await registerMany(hs, 'sender', 50);
    const owner = senders[0]!;
    const room = (await httpJson(hs, 'POST', '/_matrix/client/v3/createRoom', owner.accessToken, { preset: 'public_chat' })).body['room_id'] as string;
    await Promise.all(senders.slice(1).map((u) => httpJson(hs, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, u.accessToken, {})));
    const perSender = quick ? 20 : 60;
    const t0 = performance.now();
    await Promise.all(senders.map(async (u, s) => {
      for (let i = 0; i < perSender; i++) {
        const r = await httpJson(hs, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/b${s}-${i}`, u.accessToken, { msgtype: 'm.text', body: `message ${i} from sender ${s}` });
        if (r.status !== 200) throw new Error(`send failed: ${r.status} ${JSON.stringify(r.body)}`);
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    const events = senders.length * perSender;
    return { eventsPerSec: events / secs, events, senders: senders.length };
  } finally {
    await hs.stop();
    hs.cleanup();
  }
}

async function sendToDecrypt(): Promise<number[]> {
  const hs = await startHomeserver({ serverName: 'latency.localhost', extraArgs: ['--config', benchConfig()] });
  const [alice, bob] = await registerMany(hs, 'lat', 2) as [RegisteredUser, RegisteredUser];
  const ca = await newClient(hs.baseUrl, alice);
  const cb = await newClient(hs.baseUrl, bob);
  try {
    const { room_id: roomId } = await ca.createRoom({ invite: [bob.userId], initial_state: [ENCRYPTION_STATE] });
    await waitFor('invite', () => cb.getRoom(roomId)?.getMyMembership() === 'invite');
    await cb.joinRoom(roomId);
    await waitFor('join', () => ca.getRoom(roomId)?.getMember(bob.userId)?.membership === 'join');
    return await measureSendToDecrypt(ca, cb, roomId, quick ? 30 : 100);
  } finally {
    ca.stopClient();
    cb.stopClient();
    await hs.stop();
    hs.cleanup();
  }
}

async function manySyncs(config: string): Promise<{ rssIdle: number; rssHeld: number; wake: number[]; held: number }> {
  const n = quick ? 200 : 1000;
  const hs = await startHomeserver({ serverName: 'syncs.localhost', extraArgs: ['--config', config] });
  try {
    const users = await registerMany(hs, 'reader', n);
    const owner = users[0]!;
    if (process.env['PEERLINE_SMAPS']) process.stdout.write(`registered: ${round(rssMb(hs.pid()))} MB\n`);
    const room = (await httpJson(hs, 'POST', '/_matrix/client/v3/createRoom', owner.accessToken, { preset: 'public_chat' })).body['room_id'] as string;
    for (let i = 1; i < n; i += 50) await Promise.all(users.slice(i, i + 50).map((u) => httpJson(hs, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, u.accessToken, {})));
    if (process.env['PEERLINE_SMAPS']) process.stdout.write(`joined: ${round(rssMb(hs.pid()))} MB\n`);
    const filter = encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 1 }, state: { lazy_load_members: true } } }));
    const tokens = await Promise.all(users.map(async (u) => (await httpJson(hs, 'GET', `/_matrix/client/v3/sync?filter=${filter}`, u.accessToken)).body['next_batch'] as string));
    const rssIdle = rssMb(hs.pid());
    if (process.env['PEERLINE_SMAPS']) {
      const { readFileSync: rf } = await import('node:fs');
      const smaps = rf(`/proc/${hs.pid()}/smaps`, 'utf8').split('\n');
      const regions: [string, number][] = [];
      let cur = '';
      for (const line of smaps) {
        if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) cur = line.split(/\s+/).slice(5).join(' ') || '[anon]';
        const m = /^Rss:\s+(\d+) kB/.exec(line);
        if (m) regions.push([cur, Number(m[1])]);
      }
      const by = new Map<string, number>();
      for (const [k, v] of regions) by.set(k, (by.get(k) ?? 0) + v);
      process.stdout.write([...by].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${(v / 1024).toFixed(1)}MB ${k}`).join('\n') + '\n');
      const big = regions.filter(([k]) => k === '[anon]').sort((a, b) => b[1] - a[1]).slice(0, 10).map(([, v]) => (v / 1024).toFixed(1));
      process.stdout.write(`largest anon regions MB: ${big.join(' ')}\n`);
      const gcLines = hs.output().split('\n').filter((l) => l.includes('Mark-Compact') || l.includes('Scavenge'));
      process.stdout.write(gcLines.filter((_, i) => i % Math.ceil(gcLines.length / 25) === 0).join('\n') + '\n');
    }
    if (process.env['PEERLINE_HEAP_SNAPSHOT']) {
      // With PEERLINE_NODE_ARGS=--heapsnapshot-signal=SIGUSR2 the server writes a heap snapshot.
      process.kill(hs.pid(), 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 8000));
    }
    const woke: number[] = [];
    let sentAt = 0;
    const polls = users.map((u, i) => httpJson(hs, 'GET', `/_matrix/client/v3/sync?timeout=60000&filter=${filter}&since=${tokens[i]}`, u.accessToken).then((r) => {
      if (r.status !== 200) throw new Error(`sync failed ${r.status}`);
      woke.push(performance.now() - sentAt);
    }));
    await new Promise((r) => setTimeout(r, quick ? 1500 : 4000));
    const rssHeld = rssMb(hs.pid());
    const held = n - woke.length;
    sentAt = performance.now();
    await httpJson(hs, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/wake`, owner.accessToken, { msgtype: 'm.text', body: 'wake up' });
    await Promise.all(polls);
    return { rssIdle, rssHeld, wake: woke, held };
  } finally {
    await hs.stop();
    hs.cleanup();
  }
}

const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const config = benchConfig();
if (only === 'syncs') {
  const r = await manySyncs(config);
  process.stdout.write(`syncs: held=${r.held} rssIdle=${round(r.rssIdle)}MB rssHeld=${round(r.rssHeld)}MB wake p50=${round(median(r.wake))}ms max=${round(Math.max(...r.wake))}ms\n`);
  process.exit(0);
}
const cold = await coldStart();
const ing = await ingest(config);
const lat = await sendToDecrypt();
const syncs = await manySyncs(config);
rmSync(config, { force: true });

const figures: Figure[] = [
  { name: 'send → decrypted by other client, p50', value: round(median(lat)), unit: 'ms', floor: '<= 20', reference: 'Synapse /sync delivery 43 ms' },
  { name: 'send → decrypted by other client, p95', value: round(percentile(lat, 95)), unit: 'ms' },
  { name: `ingest, ${ing.senders} concurrent senders, durable`, value: round(ing.eventsPerSec, 0), unit: 'events/s', floor: '>= 1500', reference: 'Synapse (SQLite) ~22' },
  { name: `RSS holding ${syncs.held} long-poll /syncs`, value: round(syncs.rssHeld), unit: 'MB', floor: '<= 150', reference: 'Synapse 420 MB' },
  { name: 'RSS before the long-polls', value: round(syncs.rssIdle), unit: 'MB' },
  { name: 'wake-up latency, p50', value: round(median(syncs.wake)), unit: 'ms' },
  { name: 'wake-up latency, all woken (max)', value: round(Math.max(...syncs.wake)), unit: 'ms', reference: 'Synapse 5.6 s' },
  { name: 'cold start to ready (spawn → ready line), median', value: round(median(cold)), unit: 'ms', floor: '<= 1000' },
];
report('homeserver.json', `Homeserver benchmark${quick ? ' (quick)' : ''}`, figures, { samples: { sendToDecryptMs: lat.map((x) => round(x)), coldStartMs: cold.map((x) => round(x)) }, ingestEvents: ing.events });
agent.destroy();
process.exit(0);
