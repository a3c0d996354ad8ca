// Consent receipts in a real browser: what each covered in plain words, its state, and withdrawing
// only after a confirm step (and only while no counsellor has joined).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
/** The component sits under a section's h2 in its view, as here. */
const underSection = (page: Page): Promise<void> => page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h2>Section</h2>')`);
const MODULE = 'src/ui/components/consent-receipts/consent-receipts.component.ts';

const signed = (id: string, scope: Record<string, unknown>) => ({
  receipt: { version: 1, receipt_id: id, student_user_id: '@s:a.example', room_id: '!peer:a.example', scope, counsellor_institution: 'a.example',
    severity: 'high', created_ts: Date.UTC(2026, 2, 3, 14, 0), expires_ts: Date.UTC(2026, 2, 3, 15, 0), nonce: `n${id}` },
  key_id: 'ed25519:AAAA', signature: 'sig',
});
const receipts = [
  { receipt_id: 'r1', receipt: signed('r1', { share: 'messages', event_ids: ['$a', '$b'] }), signature_valid: true, accepted_ts: Date.UTC(2026, 2, 3, 14, 1),
    withdrawn_ts: null, withdrawable: true, escalation: { escalation_id: 'esc_1', status: 'queued', room_id: '!esc:a.example', counsellor_joined: false, outcome: null } },
  { receipt_id: 'r2', receipt: signed('r2', { share: 'nothing' }), signature_valid: true, accepted_ts: Date.UTC(2026, 1, 3, 10, 0),
    withdrawn_ts: null, withdrawable: false, escalation: { escalation_id: 'esc_2', status: 'claimed', room_id: '!esc2:a.example', counsellor_joined: true, outcome: null } },
  { receipt_id: 'r3', receipt: signed('r3', { share: 'summary', summary_sha256: 'x' }), signature_valid: true, accepted_ts: Date.UTC(2026, 0, 3, 10, 0),
    withdrawn_ts: Date.UTC(2026, 0, 3, 10, 5), withdrawable: false, escalation: { escalation_id: 'esc_3', status: 'withdrawn', room_id: null, counsellor_joined: false, outcome: null } },
];

describe('<peerline-consent-receipts>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('says plainly that nothing was shared when there are no receipts', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-consent-receipts', { receipts: [] });
    await page.getByText(/Nothing has been shared/).waitFor();
    expect(await h.axe(page)).toEqual([]);
  });

  it('describes what each receipt covered, when, and what became of it', async () => {
    const page = await h.newPage({ width: 320 });
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-consent-receipts', { receipts });
    await expect(page.getByText('A counsellor could join your conversation and read 2 messages you chose.').isVisible()).resolves.toBe(true);
    await expect(page.getByText(/They see nothing that was written before/).isVisible()).resolves.toBe(true);
    await expect(page.getByText(/a summary you approved/).isVisible()).resolves.toBe(true);
    await expect(page.getByText('Waiting for a counsellor.').isVisible()).resolves.toBe(true);
    await expect(page.getByText(/A counsellor has joined/).isVisible()).resolves.toBe(true);
    await expect(page.getByText(/^You withdrew this consent on/).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('heading', { name: /^Consent given/ }).count()).resolves.toBe(3);
    // Only the receipt nobody has acted on yet can be withdrawn.
    await expect(page.getByRole('button', { name: 'Withdraw my consent' }).count()).resolves.toBe(1);
    expect(await h.axe(page)).toEqual([]);
  });

  it('withdraws only after the student confirms', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-consent-receipts', { receipts });
    const withdrawn = await h.recordEvents(page, 'withdraw-consent');
    await page.getByRole('button', { name: 'Withdraw my consent' }).click();
    await page.getByRole('group', { name: /Withdraw this consent\?/ }).waitFor();
    await expect(page.evaluate(`document.querySelector('peerline-consent-receipts').shadowRoot.activeElement.textContent.trim()`)).resolves.toBe('No, keep it');
    expect(await h.axe(page)).toEqual([]);
    await page.keyboard.press('Enter');
    await expect(withdrawn()).resolves.toEqual([]);
    await page.getByRole('button', { name: 'Withdraw my consent' }).click();
    await page.getByRole('button', { name: 'Yes, withdraw it' }).click();
    await expect(withdrawn()).resolves.toEqual([{ receiptId: 'r1' }]);
  });
});
