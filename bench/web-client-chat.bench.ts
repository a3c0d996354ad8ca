// The signed-in web client, measured in headless Chromium on loopback against a real homeserver:
// - signed-in room list: a reload with a warm cache and a stored session, from navigation start to
//   all of the user's rooms listed (the SDK, its WASM and the IndexedDB crypto store all load);
// - a received message decrypted and on screen: from the moment a matrix-js-sdk sender's send
//   returns to the moment the text is in the page (found by a requestAnimationFrame probe);
// - scrolling 1,000 decrypted messages: the timeline scrolled from top to bottom by mouse wheel
//   while the page records every frame's interval (requestAnimationFrame), reported as frames
//   longer than 1.5 × 16.7 ms ("dropped") and the frame interval percentiles.
// Adds its figures to bench/results/web-client.json (after the first-screen ones of the same `npm run bench`).
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { buildWebClientIfStale } from '../tests/helpers/global-setup.ts';
import { serveStatic } from '../tests/helpers/static-server.ts';
import { launchChromium } from '../tests/helpers/browser.ts';
import { api, startHomeserver, type RegisteredUser } from '../tests/helpers/homeserver.ts';
import { ENCRYPTION_STATE, newClient, waitFor } from '../tests/helpers/client.ts';
import { benchConfig } from './harness.ts';
import { median, percentile, report, round } from './stats.ts';

const quick = process.argv.includes('--quick');
const ROOT = resolve(import.meta.dirname, '..');
const ROOMS = 20;
const HISTORY = quick ? 300 : 1000;
const SAMPLES = quick ? 10 : 30;
const RELOADS = quick ? 3 : 7;

buildWebClientIfStale(ROOT);

/**
 * Installed in the page before any script: a deep text search through every shadow root, and a
 * requestAnimationFrame loop that stamps when awaited texts first appear (epoch ms, high resolution).
 */
const PROBE = `(() => {
  const texts = (root, out) => {
    for (const el of root.querySelectorAll('*')) { if (el.shadowRoot) texts(el.shadowRoot, out); }
    out.push(root.textContent || '');
    return out;
  };
  const all = () => texts(document, []).join('\\n');
  window.__probe = { wanted: new Set(), seen: {}, roomsAt: null, roomCount: 0, frames: [], recording: false };
  const count = (root, sel) => { let n = root.querySelectorAll(sel).length; for (const el of root.querySelectorAll('*')) if (el.shadowRoot) n += count(el.shadowRoot, sel); return n; };
  window.__probe.count = count;
  let last = 0;
  const tick = (t) => {
    const p = window.__probe;
    if (p.recording && last) p.frames.push(t - last);
    last = t;
    if (p.roomCount > 0 && p.roomsAt === null) {
      const list = document.querySelector('peerline-app')?.shadowRoot?.querySelector('peerline-conversations-view')?.shadowRoot?.querySelector('peerline-room-list')?.shadowRoot;
      if (list && list.querySelectorAll('li').length >= p.roomCount) p.roomsAt = performance.now();
    }
    if (p.wanted.size > 0) {
      const text = all();
      for (const w of [...p.wanted]) if (text.includes(w)) { p.seen[w] = performance.timeOrigin + performance.now(); p.wanted.delete(w); }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();`;

/** The scrolling element of the open timeline: the first element in its shadow tree that scrolls. */
const SCROLLER = `(() => {
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const s = getComputedStyle(el);
      if ((s.overflowY === 'auto' || s.overflowY === 'scroll') && el.scrollHeight > el.clientHeight + 10 && el.closest('nav') === null) return el;
      if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
    }
    return null;
  };
  const timeline = document.querySelector('peerline-app').shadowRoot.querySelector('peerline-conversations-view').shadowRoot.querySelector('peerline-message-timeline');
  return find(timeline.shadowRoot) || find(timeline.parentNode);
})()`;

const hs = await startHomeserver({ extraArgs: ['--config', benchConfig()] });
const web = await serveStatic(resolve(ROOT, 'web-client/dist'));
const browser = await launchChromium();
let reader: RegisteredUser;
let writer: RegisteredUser;
try {
  [reader, writer] = await Promise.all([hs.registerUser('bench-reader'), hs.registerUser('bench-writer')]);
  const sender = await newClient(hs.baseUrl, writer);

  // Rooms for the list; the first one is the conversation measured below.
  const rooms: string[] = [];
  for (let i = 0; i < ROOMS; i++) {
    const r = await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', {
      token: writer.accessToken, body: { name: `Bench room ${String(i).padStart(2, '0')}`, preset: 'private_chat', invite: [reader.userId], initial_state: [ENCRYPTION_STATE] },
    });
    await api(hs, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(r.body.room_id)}/join`, { token: reader.accessToken, body: {} });
    rooms.push(r.body.room_id);
  }
  const roomId = rooms[0]!;
  await waitFor('sender sees the rooms', () => sender.getRoom(roomId)?.getMember(reader.userId)?.membership === 'join', 30_000);

  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  await context.addInitScript({ content: PROBE });
  const page = await context.newPage();
  const url = `${web.url}/?hs=${encodeURIComponent(hs.baseUrl)}&lang=en`;
  await page.goto(url);
  await page.getByLabel('Username').fill('bench-reader');
  await page.getByLabel('Password').fill(reader.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: "I've saved it" }).click({ timeout: 60_000 });

  // 1. Signed-in room list after a reload (warm HTTP cache, stored session and crypto store).
  const listTimes: number[] = [];
  for (let i = 0; i < RELOADS; i++) {
    await page.goto('about:blank');
    await page.goto(url);
    await page.evaluate(`window.__probe.roomCount = ${ROOMS}`);
    await page.waitForFunction('window.__probe.roomsAt !== null', undefined, { timeout: 30_000, polling: 50 });
    listTimes.push(await page.evaluate<number>('window.__probe.roomsAt'));
  }

  // 2. A received message, decrypted and on screen.
  await page.getByRole('button', { name: /Bench room 00/ }).click();
  await page.getByRole('heading', { name: 'Bench room 00', level: 2 }).waitFor();
  const onScreen: number[] = [];
  const sendAndWait = async (body: string): Promise<number> => {
    await page.evaluate(`window.__probe.wanted.add(${JSON.stringify(body)})`);
    await sender.sendTextMessage(roomId, body);
    const sent = performance.timeOrigin + performance.now();
    await page.waitForFunction(`window.__probe.seen[${JSON.stringify(body)}] !== undefined`, undefined, { timeout: 15_000, polling: 20 });
    return (await page.evaluate<number>(`window.__probe.seen[${JSON.stringify(body)}]`)) - sent;
  };
  await sendAndWait('warm-up: shares the room key');
  for (let i = 0; i < SAMPLES; i++) onScreen.push(await sendAndWait(`on-screen probe ${i}`));

  // 3. Scrolling a long history: HISTORY more messages, then load them all and scroll through.
  for (let i = 0; i < HISTORY; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, HISTORY - i) }, (_, j) => sender.sendTextMessage(roomId, `history ${String(i + j).padStart(4, '0')}`)));
  }
  await page.evaluate(`window.__probe.wanted.add('history ${String(HISTORY - 1).padStart(4, '0')}')`);
  await page.waitForFunction(`window.__probe.wanted.size === 0`, undefined, { timeout: 120_000, polling: 100 });
  // Reopen the app so the history is not already in memory: the timeline pages it in from the server.
  await page.goto('about:blank');
  await page.goto(url);
  await page.getByRole('button', { name: /Bench room 00/ }).click();
  await page.getByRole('heading', { name: 'Bench room 00', level: 2 }).waitFor();
  const loadedAll = await scrollToTopUntil(page, 'history 0000', 120_000);
  const frames = loadedAll ? await scrollThrough(page) : [];
  const dropped = frames.filter((f) => f > 16.7 * 1.5).length;

  report('web-client.json', 'Web client signed in (production build, headless Chromium on loopback)', [
    { name: `signed-in room list after reload p50 (${ROOMS} rooms, warm cache)`, value: round(median(listTimes)), unit: 'ms', floor: '<= 2000' },
    { name: 'received message decrypted and on screen p50', value: round(median(onScreen)), unit: 'ms', floor: '<= 50' },
    { name: 'received message decrypted and on screen p95', value: round(percentile(onScreen, 95)), unit: 'ms' },
    { name: `scrolling ${HISTORY} messages: frames over 25 ms`, value: loadedAll ? dropped : NaN, unit: `of ${frames.length}` },
    { name: `scrolling ${HISTORY} messages: frame interval p50`, value: round(median(frames)), unit: 'ms' },
    { name: `scrolling ${HISTORY} messages: frame interval p99`, value: round(percentile(frames, 99)), unit: 'ms' },
  ], { signedIn: { listTimes, onScreen, frameCount: frames.length, historyLoaded: loadedAll } }, { append: true });
  sender.stopClient();
  await context.close();
} finally {
  await browser.close();
  await web.close();
  await hs.stop();
  hs.cleanup();
}

/** Scrolls the timeline to the top until `text` (the oldest message) is loaded. */
async function scrollToTopUntil(page: Page, text: string, timeoutMs: number): Promise<boolean> {
  await page.evaluate(`window.__probe.wanted.add(${JSON.stringify(text)})`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await page.evaluate<boolean>(`window.__probe.seen[${JSON.stringify(text)}] !== undefined`)) return true;
    await page.evaluate(`(() => { const s = ${SCROLLER}; if (s) s.scrollTop = 0; })()`);
    await page.waitForTimeout(150);
  }
  return false;
}

/** Wheels from the top to the bottom of the timeline and returns the frame intervals seen meanwhile. */
async function scrollThrough(page: Page): Promise<number[]> {
  await page.evaluate(`(() => { const s = ${SCROLLER}; s.scrollTop = 0; })()`);
  const box = await page.evaluate<{ x: number; y: number }>(`(() => { const r = ${SCROLLER}.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; })()`);
  await page.mouse.move(box.x, box.y);
  await page.evaluate('window.__probe.frames = []; window.__probe.recording = true;');
  for (let i = 0; i < 400; i++) {
    await page.mouse.wheel(0, 120);
    const atEnd = await page.evaluate<boolean>(`(() => { const s = ${SCROLLER}; return s.scrollTop + s.clientHeight >= s.scrollHeight - 2; })()`);
    if (atEnd) break;
  }
  return page.evaluate<number[]>('window.__probe.recording = false; window.__probe.frames');
}
