// Reporting a message in a real browser: the reporter picks a reason, the message's text is sent only
// when they tick the box, their own words only when they write some; Escape cancels; errors are
// announced. The bridge is a small fake object: this test is about the UI (the real bridge's side is
// covered in bridge-service/src/moderation and tests/integration/bridge-moderation.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/report-dialog/report-dialog.component.ts';
const props = { roomId: '!g1:a.example', eventId: '$ev1', body: 'You are all losers\nand nobody likes you', senderName: 'Quiet Heron' };

/** Gives the mounted dialog a fake bridge that records requests and answers with `answer` (or throws a BridgeError of `errorStatus`). */
async function fakeBridge(page: Page, errorStatus: number | null = null): Promise<void> {
  await page.evaluate(`(async () => {
    const { BridgeError } = await import('/src/bridge/bridge-client.ts');
    window.__calls = [];
    const el = document.querySelector('peerline-report-dialog');
    el.bridge = { request: async (method, path, o) => {
      window.__calls.push({ method, path, body: o && o.body });
      if (${JSON.stringify(errorStatus)} !== null) throw new BridgeError(${JSON.stringify(errorStatus)}, 'ORG.PEERLINE.ALREADY_REPORTED', 'already');
      return { report_id: 'rp_1', group_id: 'gr1', created_ts: 1 };
    } };
    await el.show();
  })()`);
}
const calls = (page: Page): Promise<{ method: string; path: string; body: Record<string, unknown> }[]> => page.evaluate('window.__calls');

describe('<peerline-report-dialog>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('asks for a reason, and sends the own words but not the message text unless ticked', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-report-dialog', props);
    const sent = await h.recordEvents(page, 'report-sent');
    await fakeBridge(page);
    await expect(page.getByRole('dialog', { name: 'Report this message' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('heading', { name: 'Report this message' }).evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement)).resolves.toBe(true);
    const include = page.getByRole('checkbox', { name: "Include this message's text" });
    await expect(include.isChecked()).resolves.toBe(false);
    await expect(page.getByText('and nobody likes you').isVisible()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);

    await page.getByRole('button', { name: 'Send report' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Choose a reason first.');
    await expect(calls(page)).resolves.toEqual([]);

    await page.getByRole('radio', { name: 'Harassment or bullying' }).check();
    await page.getByLabel('In your own words (optional)').fill('Please look at this');
    await expect(page.getByText('Not the message\'s text').isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Send report' }).click();
    await expect.poll(() => sent()).toEqual([{ reportId: 'rp_1', roomId: props.roomId, eventId: props.eventId }]);
    expect(await calls(page)).toEqual([{ method: 'POST', path: '/v1/reports', body: { room_id: props.roomId, event_id: props.eventId, reason_code: 'harassment', shared_text: 'Please look at this' } }]);
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    await expect(page.getByRole('status').textContent()).resolves.toContain("Report sent to the group's moderators.");
  });

  it('sends the message text, quoted, only when ticked — and nothing but the reason when nothing is chosen', async () => {
    const page = await h.newPage({ width: 320, colorScheme: 'dark' });
    await h.mount(page, MODULE, 'peerline-report-dialog', props);
    await fakeBridge(page);
    await page.getByRole('radio', { name: 'Someone may be at risk of harming themselves' }).check();
    await expect(page.getByText('If someone is in danger right now').isVisible()).resolves.toBe(true);
    await page.getByRole('checkbox', { name: "Include this message's text" }).check();
    expect(await h.axe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Send report' }).click();
    await expect.poll(async () => (await calls(page)).length).toBe(1);
    expect((await calls(page))[0]!.body).toEqual({
      room_id: props.roomId, event_id: props.eventId, reason_code: 'self-harm-risk', shared_text: '> You are all losers\n> and nobody likes you',
    });

    await page.evaluate(`document.querySelector('peerline-report-dialog').show()`);
    await expect(page.getByRole('checkbox', { name: "Include this message's text" }).isChecked()).resolves.toBe(false);
    await page.getByRole('radio', { name: 'Spam or advertising' }).check();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await calls(page)).length).toBe(2);
    expect((await calls(page))[1]!.body).toEqual({ room_id: props.roomId, event_id: props.eventId, reason_code: 'spam' });
  });

  it('cancels with Escape, and says when the message was reported already', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-report-dialog', props);
    const cancelled = await h.recordEvents(page, 'report-cancelled');
    await fakeBridge(page, 409);
    await page.getByRole('radio', { name: 'Something else' }).check();
    await page.getByRole('button', { name: 'Send report' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('You have already reported this message.');
    await expect(page.getByRole('dialog').isVisible()).resolves.toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => cancelled()).toEqual([{ roomId: props.roomId, eventId: props.eventId }]);
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
  });
});
