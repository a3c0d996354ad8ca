// Consented escalation in the built web client, across a reload and with a withdrawal, on one
// institution with its real homeserver and bridge. The student says yes to sharing a summary, then
// RELOADS the page before any counsellor has joined: the summary waits on the device (IndexedDB), the
// reloaded client resumes waiting, and when the counsellor claims and joins they decrypt exactly that
// summary, posted once. On a second yes the student withdraws from the waiting status before anyone
// joined: the receipt shows withdrawn, the counsellor cannot get in, and nothing was ever posted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { axeViolations } from '../helpers/browser.ts';
import { waitFor } from '../helpers/client.ts';
import { SHOTS } from '../helpers/web-stack.ts';
import { startEscalationStage, type EscalationStage } from '../helpers/escalation-stage.ts';

const enc = encodeURIComponent;

let stage: EscalationStage;
let page: Page;

interface Receipt { receipt_id: string; withdrawn_ts: number | null; escalation: { escalation_id: string; status: string; room_id: string | null } }

/** The student's consent receipts, newest first. */
async function receipts(): Promise<Receipt[]> {
  const r = await stage.stack.bridge.api<{ receipts: Receipt[] }>('GET', '/v1/consent/receipts', { token: stage.studentToken });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.receipts;
}

/** The bodies of shared content still waiting in the browser's pending-share database. */
const pendingBodies = (): Promise<string[]> => page.evaluate(`new Promise((ok) => { const r = indexedDB.open('peerline-pending-shares'); r.onsuccess = () => {
  const db = r.result; if (!db.objectStoreNames.contains('shares')) { db.close(); ok([]); return; }
  const g = db.transaction('shares').objectStore('shares').getAll(); g.onsuccess = () => { db.close(); ok(g.result.flatMap((x) => x.items.map((i) => i.body))); }; }; })`);

/** How many events the student's account sent into `roomId`, as the homeserver has them (ciphertext: only the count is read). */
async function eventsSentByStudent(roomId: string): Promise<number> {
  const token = await page.evaluate<string>(`JSON.parse(localStorage.getItem('peerline.session')).accessToken`);
  const res = await fetch(`${stage.stack.hs.baseUrl}/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const { chunk } = await res.json() as { chunk: { type: string; sender: string }[] };
  return chunk.filter((e) => e.sender === stage.student.userId && e.type === 'm.room.encrypted').length;
}

describe('consented escalation across a reload, and withdrawn before anyone joined', () => {
  beforeAll(async () => {
    stage = await startEscalationStage();
  }, 120_000);

  afterAll(async () => {
    await stage?.stop();
  });

  it('matches the student with a supporter in the browser', async () => {
    page = await stage.matchInBrowser('Exams are getting to me and I cannot sleep.');
  }, 150_000);

  it('keeps the chosen summary across a reload before a counsellor joins; the counsellor then decrypts it, posted once', async () => {
    const summary = 'Exam stress, and I have barely slept for two weeks.';
    await stage.sayYesToSummary(page, summary);
    expect(await pendingBodies()).toEqual([summary]);

    await page.reload();
    // The reloaded client resumes waiting from what the device kept.
    await page.getByText('A counsellor from your school has been asked to join').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Withdraw — nothing has been shared yet' }).waitFor();
    await page.screenshot({ path: resolve(SHOTS, 'escalation-waiting.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
    expect(await pendingBodies()).toEqual([summary]);

    const { escalationRoom, atCounsellor } = await stage.claimAsCounsellor(page);
    await waitFor('the counsellor to decrypt the summary', () => atCounsellor.bodies.length > 0, 30_000);
    expect(atCounsellor.bodies).toEqual([summary]);
    expect(atCounsellor.failures).toEqual([]);
    // Posted once, and nothing of it is left on the device.
    expect(await eventsSentByStudent(escalationRoom)).toBe(1);
    expect(await pendingBodies()).toEqual([]);
    await page.getByRole('button', { name: 'OK' }).click();
  }, 150_000);

  it('withdraws before any counsellor joined: the receipt shows withdrawn and nothing is ever posted', async () => {
    await stage.sayYesToSummary(page, 'Actually I would rather not share this.');
    const [newest] = await receipts();
    const escalationRoom = newest!.escalation.room_id!;
    expect(escalationRoom).toBeTruthy();
    expect(await pendingBodies()).toEqual(['Actually I would rather not share this.']);

    await page.getByRole('button', { name: 'Withdraw — nothing has been shared yet' }).click();
    await page.getByText('Withdraw your consent?').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Yes, withdraw' }).click();
    await page.getByText('You withdrew your consent. Nothing was shared, and no counsellor will join.').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: resolve(SHOTS, 'escalation-withdrawn.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    const [after] = await receipts();
    expect(after).toMatchObject({ receipt_id: newest!.receipt_id, escalation: { status: 'withdrawn' } });
    expect(after!.withdrawn_ts).not.toBeNull();
    expect((await stage.queue()).map((i) => i.escalation_id)).not.toContain(newest!.escalation.escalation_id);
    // The counsellor's invite was taken back: they cannot get in, and there is nothing to find.
    await expect(stage.counsellorClient.joinRoom(escalationRoom)).rejects.toThrow();
    expect(await eventsSentByStudent(escalationRoom)).toBe(0);
    expect(await pendingBodies()).toEqual([]);
  }, 90_000);
});
