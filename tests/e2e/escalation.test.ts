// Consented escalation in the built web client, on one institution with its real homeserver and
// bridge: a student in the browser is matched with a supporter (a matrix-js-sdk client in Node), the
// supporter sends an encrypted escalation suggestion, and the student's consent dialog appears with
// crisis resources. Saying no creates nothing (the counsellors' queue stays empty); on a second
// suggestion the student shares a summary they write, and the counsellor — claiming through the
// bridge API and joining with their own client — decrypts exactly that summary and nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { axeViolations } from '../helpers/browser.ts';
import { waitFor } from '../helpers/client.ts';
import { SHOTS } from '../helpers/web-stack.ts';
import { startEscalationStage, type EscalationStage } from '../helpers/escalation-stage.ts';

let stage: EscalationStage;
let page: Page;

describe('consented escalation in the browser', () => {
  beforeAll(async () => {
    stage = await startEscalationStage();
  }, 120_000);

  afterAll(async () => {
    await stage?.stop();
  });

  it('matches the student with a supporter in the browser', async () => {
    page = await stage.matchInBrowser('Exams are getting to me and I cannot sleep.');
  }, 150_000);

  it("shows crisis resources and asks on the supporter's suggestion; a no creates nothing", async () => {
    await stage.suggest('A counsellor at school could help with the sleep problems.');
    const dialog = page.getByRole('dialog', { name: 'Would you like a counsellor to help?' });
    await dialog.waitFor({ timeout: 30_000 });
    await expect(dialog.getByRole('heading', { name: 'If you are in danger right now' }).isVisible()).resolves.toBe(true);
    await expect(dialog.getByText('A counsellor at school could help with the sleep problems.').isVisible()).resolves.toBe(true);
    await dialog.getByRole('radio', { name: 'A short summary I write' }).check();
    await page.screenshot({ path: resolve(SHOTS, 'consent-dialog.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    await dialog.getByRole('button', { name: "No, don't contact anyone" }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await stage.queue()).toEqual([]);
    const receipts = await stage.stack.bridge.api<{ receipts: unknown[] }>('GET', '/v1/consent/receipts', { token: stage.studentToken });
    expect(receipts.body.receipts).toEqual([]);
    const keys = await stage.stack.bridge.api<{ keys: unknown[] }>('GET', '/v1/consent/keys', { token: stage.studentToken });
    expect(keys.body.keys).toEqual([]);
  }, 60_000);

  it('on a second suggestion shares a written summary, which the counsellor decrypts exactly', async () => {
    const summary = 'Exam stress, and I have barely slept for two weeks.';
    await stage.sayYesToSummary(page, summary);

    // The counsellor sees it in the queue, with the student's receipt for exactly a summary.
    const { atCounsellor } = await stage.claimAsCounsellor(page);
    await waitFor('the counsellor to decrypt the summary', () => atCounsellor.bodies.length > 0, 30_000);
    expect(atCounsellor.bodies).toEqual([summary]);
    expect(atCounsellor.failures).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
  }, 90_000);
});
