// The escalation host in a real browser, with a fake store and bridge in the page: a supporter's
// suggestion opens the consent dialog with crisis resources and their note; Escape (no) sends
// nothing; a yes to a summary registers the key (kept in IndexedDB), escalates, asks the app to open
// the escalation room, and posts the summary once a counsellor is in; the summary waits in IndexedDB
// and a host mounted afresh (a reload) resumes and posts it once; withdrawing from the waiting status
// after a confirm step deletes it unposted; the detector's gentle note.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const RESOURCES = [
  { region: 'default', language: 'en', name: 'Emergency services', phone: '112' },
  { region: 'default', language: 'en', name: 'Find a Helpline', url: 'https://findahelpline.com' },
];

/** Mounts the host with a fake store (an EventTarget with the store's methods) and a recording fake bridge. */
async function mountHost(page: Page): Promise<void> {
  await page.evaluate(`document.querySelector('peerline-escalation-host')?.remove()`);
  await h.mount(page, 'src/ui/components/escalation-host/escalation-host.component.ts', 'peerline-escalation-host', { roles: ['student'], resources: RESOURCES });
  await page.evaluate(`(async () => {
    const store = new EventTarget();
    store.texts = []; store.sentEvents = [];
    store.messagesOf = () => [
      { id: '$m1', sender: '@s:a.example', mine: true, timestamp: 1, body: 'exams are too much', state: 'sent' },
      { id: '$m2', sender: '@sup:a.example', mine: false, timestamp: 2, body: 'that sounds hard', state: 'sent' },
    ];
    store.sendTextTo = async (roomId, body) => { store.texts.push({ roomId, body }); };
    store.sendEventTo = async (roomId, type, content) => { store.sentEvents.push({ roomId, type, content }); return '$x'; };
    store.matrixSession = () => ({ homeserverUrl: 'http://127.0.0.1:9', userId: '@s:a.example', deviceId: 'D', accessToken: 't' });
    store.emit = (roomId, e) => store.dispatchEvent(new CustomEvent('room-event', { detail: { roomId, event: {
      id: '$e' + Math.random(), type: 'm.room.message', sender: '@s:a.example', mine: true, timestamp: 5, content: {}, encrypted: true, live: true, ...e } } }));
    const bridge = window.fakeBridge ?? { calls: [], receipts: [], async request(method, path, o = {}) {
      bridge.calls.push({ method, path, body: o.body });
      if (path.endsWith('/withdraw')) { const r = bridge.receipts[0]; r.withdrawn_ts = 9; r.escalation.status = 'withdrawn'; return { receipt_id: r.receipt_id, escalation_id: 'esc_1', status: 'withdrawn', invites_rescinded: 1 }; }
      if (path === '/v1/policy') return { risk_detection: { enabled: true, flag_at: 'high', thresholds: { elevated: 0.3, high: 0.6, critical: 0.82 } } };
      if (path === '/v1/consent/keys') return { key: { key_id: 'k', current: true }, retired_key_id: null };
      if (path === '/v1/escalations') {
        const receipt_id = o.body.receipt.receipt.receipt_id;
        bridge.receipts.push({ receipt_id, withdrawn_ts: null, withdrawable: true, escalation: { escalation_id: 'esc_1', status: 'queued', room_id: '!esc:a.example', counsellor_joined: false, outcome: null } });
        return { escalation_id: 'esc_1', receipt_id, status: 'queued', room_id: '!esc:a.example', severity: 'high', created_ts: 1, due_ts: 2, counsellors_invited: 1 };
      }
      if (path === '/v1/consent/receipts') return { receipts: bridge.receipts };
      throw new Error('unexpected ' + path);
    } };
    window.fakeStore = store; window.fakeBridge = bridge;
    const el = document.querySelector('peerline-escalation-host');
    el.store = store; el.bridge = bridge;
    await el.updateComplete;
  })()`);
}

const emit = (page: Page, roomId: string, event: Record<string, unknown>): Promise<void> =>
  page.evaluate(`window.fakeStore.emit(${JSON.stringify(roomId)}, ${JSON.stringify(event)})`);
/** The bodies waiting in the device's pending-share database (real IndexedDB). */
const PENDING_BODIES = `new Promise((ok) => { const r = indexedDB.open('peerline-pending-shares'); r.onsuccess = () => {
  const g = r.result.transaction('shares').objectStore('shares').getAll(); g.onsuccess = () => { r.result.close(); ok(g.result.flatMap((x) => x.items.map((i) => i.body))); }; }; })`;

async function consentToSummary(page: Page, summary: string): Promise<void> {
  await page.evaluate(`document.body.dispatchEvent(new CustomEvent('escalation-requested', { detail: { roomId: '!peer:a.example' }, bubbles: true, composed: true }))`);
  const dialog = page.getByRole('dialog', { name: 'Would you like a counsellor to help?' });
  await dialog.waitFor();
  await dialog.getByRole('radio', { name: 'A short summary I write' }).check();
  await dialog.getByLabel('Your summary').fill(summary);
  await dialog.getByRole('button', { name: 'Yes, contact a counsellor' }).click();
  await page.getByText('A counsellor from your school has been asked to join').waitFor();
}

const calls = (page: Page): Promise<string[]> => page.evaluate<string[]>('window.fakeBridge.calls.map((c) => c.path)');

describe('<peerline-escalation-host>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it("opens the consent dialog on a supporter's suggestion with crisis resources and their note; Escape sends nothing", async () => {
    const page = await h.newPage({ width: 320, height: 640 });
    await mountHost(page);
    await emit(page, '!peer:a.example', { type: 'org.peerline.escalation.suggestion', sender: '@sup:a.example', mine: false, content: { reason: 'self_harm_risk', suggested_severity: 'high', text: 'I think a counsellor could really help.' } });
    const dialog = page.getByRole('dialog', { name: 'Would you like a counsellor to help?' });
    await dialog.waitFor();
    await expect(dialog.getByRole('heading', { name: 'If you are in danger right now' }).isVisible()).resolves.toBe(true);
    await expect(dialog.getByRole('link', { name: 'Call 112' }).isVisible()).resolves.toBe(true);
    await expect(dialog.getByText('Your supporter suggests bringing in a counsellor.').isVisible()).resolves.toBe(true);
    await expect(dialog.getByText('I think a counsellor could really help.').isVisible()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await calls(page)).toEqual(['/v1/policy']);
    await expect(page.evaluate('[window.fakeStore.texts.length, window.fakeStore.sentEvents.length]')).resolves.toEqual([0, 0]);
  });

  it('on "Talk to a counsellor" and a yes to a summary: escalates, opens the room, and shares the summary once a counsellor is in', async () => {
    const page = await h.newPage();
    await mountHost(page);
    const opened = await h.recordEvents(page, 'open-room');
    await page.evaluate(`document.body.dispatchEvent(new CustomEvent('escalation-requested', { detail: { roomId: '!peer:a.example' }, bubbles: true, composed: true }))`);
    const dialog = page.getByRole('dialog', { name: 'Would you like a counsellor to help?' });
    await dialog.waitFor();
    await expect(dialog.getByText('You asked to talk to a counsellor.').isVisible()).resolves.toBe(true);
    // Yes without a choice says what is missing and sends nothing.
    await dialog.getByRole('button', { name: 'Yes, contact a counsellor' }).click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toMatch(/Choose what to share/);
    await dialog.getByRole('radio', { name: 'A short summary I write' }).check();
    await dialog.getByLabel('Your summary').fill('Exams, and I have stopped sleeping.');
    await dialog.getByRole('button', { name: 'Yes, contact a counsellor' }).click();
    await page.getByText('A counsellor from your school has been asked to join').waitFor();
    expect(await calls(page)).toEqual(['/v1/policy', '/v1/consent/keys', '/v1/escalations']);
    await expect(opened()).resolves.toEqual([{ roomId: '!esc:a.example' }]);
    await expect(page.evaluate('window.fakeBridge.calls[2].body.scope.share')).resolves.toBe('summary');
    // The consent key stays on the device, in IndexedDB.
    await expect(page.evaluate(`new Promise((ok) => { const r = indexedDB.open('peerline-consent'); r.onsuccess = () => { const g = r.result.transaction('keys').objectStore('keys').get('current'); g.onsuccess = () => ok(g.result instanceof Uint8Array && g.result.length); }; })`)).resolves.toBe(32);
    expect(await h.axe(page)).toEqual([]);

    await emit(page, '!esc:a.example', { type: 'm.room.member', content: { membership: 'join' } });
    await expect(page.evaluate('window.fakeStore.texts.length')).resolves.toBe(0);
    await emit(page, '!esc:a.example', { type: 'm.room.member', sender: '@coun:a.example', mine: false, content: { membership: 'join' } });
    await page.getByText('A counsellor has joined, and what you chose was shared with them.').waitFor();
    await expect(page.evaluate('window.fakeStore.sentEvents.map((e) => [e.roomId, e.content.body])')).resolves.toEqual([['!esc:a.example', 'Exams, and I have stopped sleeping.']]);
    await expect(page.evaluate('window.fakeStore.texts.length')).resolves.toBe(0);
    await page.getByRole('button', { name: 'OK' }).click();
    await page.getByText('A counsellor has joined').waitFor({ state: 'detached' });
  });

  it('keeps the summary in IndexedDB across a reload of the host, and posts it once when the counsellor joins', async () => {
    const page = await h.newPage();
    await mountHost(page);
    await consentToSummary(page, 'Kept through a reload.');
    await expect(page.evaluate(PENDING_BODIES)).resolves.toEqual(['Kept through a reload.']);
    await mountHost(page); // a fresh host and store, as after a reload; the bridge is the same
    await page.getByText('A counsellor from your school has been asked to join').waitFor();
    await emit(page, '!esc:a.example', { type: 'm.room.member', content: { membership: 'join' } });
    await emit(page, '!esc:a.example', { type: 'm.room.member', sender: '@coun:a.example', mine: false, content: { membership: 'join' } });
    await page.getByText('A counsellor has joined, and what you chose was shared with them.').waitFor();
    await emit(page, '!esc:a.example', { type: 'm.room.member', sender: '@coun:a.example', mine: false, content: { membership: 'join' } });
    await expect(page.evaluate('window.fakeStore.sentEvents.map((e) => e.content.body)')).resolves.toEqual(['Kept through a reload.']);
    await expect(page.evaluate(PENDING_BODIES)).resolves.toEqual([]);
  });

  it('withdraws from the waiting status after a confirm step: the receipt is withdrawn and nothing is ever posted', async () => {
    const page = await h.newPage({ width: 320, height: 640 });
    await mountHost(page);
    await consentToSummary(page, 'Not to be shared after all.');
    const withdraw = page.getByRole('button', { name: 'Withdraw — nothing has been shared yet' });
    await withdraw.click();
    await expect(page.getByText('Withdraw your consent?').isVisible()).resolves.toBe(true);
    await expect(page.evaluate(`document.querySelector('peerline-escalation-host').shadowRoot.activeElement?.textContent`)).resolves.toBe('Keep waiting');
    expect(await h.axe(page)).toEqual([]);
    await page.keyboard.press('Enter'); // keep waiting
    await expect(page.evaluate(`document.querySelector('peerline-escalation-host').shadowRoot.activeElement?.textContent`)).resolves.toBe('Withdraw — nothing has been shared yet');
    await withdraw.click();
    await page.getByRole('button', { name: 'Yes, withdraw' }).click();
    await page.getByText('You withdrew your consent. Nothing was shared, and no counsellor will join.').waitFor();
    await expect(page.evaluate(`document.querySelector('peerline-escalation-host').shadowRoot.activeElement?.textContent`)).resolves.toBe('OK');
    expect(await calls(page)).toContain(`/v1/consent/receipts/${encodeURIComponent(await page.evaluate<string>('window.fakeBridge.receipts[0].receipt_id'))}/withdraw`);
    await expect(page.evaluate(PENDING_BODIES)).resolves.toEqual([]);
    expect(await h.axe(page)).toEqual([]);
    await emit(page, '!esc:a.example', { type: 'm.room.member', content: { membership: 'join' } });
    await emit(page, '!esc:a.example', { type: 'm.room.member', sender: '@coun:a.example', mine: false, content: { membership: 'join' } });
    await expect(page.evaluate('window.fakeStore.sentEvents.length')).resolves.toBe(0);
  });

  it("shows crisis resources gently when the student's own message is elevated, and offers a counsellor from there", async () => {
    const page = await h.newPage({ colorScheme: 'dark' });
    await mountHost(page);
    await emit(page, '!peer:a.example', { content: { msgtype: 'm.text', body: 'my friend said she wants to die' } });
    const notice = page.getByRole('region', { name: 'Help is here if you need it' });
    await notice.waitFor();
    await expect(notice.getByRole('link', { name: 'Call 112' }).isVisible()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
    await notice.getByRole('button', { name: 'Talk to a counsellor' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Would you like a counsellor to help?' }).waitFor();
    await page.getByRole('button', { name: "No, don't contact anyone" }).click();
    expect(await calls(page)).toEqual(['/v1/policy']);
  });
});
