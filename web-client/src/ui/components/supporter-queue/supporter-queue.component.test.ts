// The request queue in a real browser: topic, wait and deadline of each offer, accept and decline by keyboard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/supporter-queue/supporter-queue.component.ts';
const topics = [{ id: 'exam-stress', label: 'Exam stress' }, { id: 'friendships', label: 'Friendships' }];
const offers = [
  { offer_id: 'of1', request_id: 'rq1', topic: 'exam-stress', institution: 'a.example', cross_institution: false, language: 'en', waiting_seconds: 190, created_ts: 1, expires_ts: 1_900_000_000_000 },
  { offer_id: 'of2', request_id: 'rq2', topic: 'friendships', institution: 'b.example', cross_institution: true, language: null, waiting_seconds: 20, created_ts: 1, expires_ts: 1_900_000_000_000 },
];

describe('<peerline-supporter-queue>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('lists offers with topic and wait only, and answers them by keyboard', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-supporter-queue', { offers, topics, available: true });
    const accepted = await h.recordEvents(page, 'offer-accept');
    const declined = await h.recordEvents(page, 'offer-decline');
    await expect(page.getByRole('heading', { level: 3 }).allTextContents()).resolves.toEqual(['Exam stress', 'Friendships']);
    await expect(page.getByText('Waiting about 3 min', { exact: false }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('a student of b.example', { exact: false }).isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Accept: Exam stress' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Decline: Friendships' }).focus();
    await page.keyboard.press('Enter');
    await expect(accepted()).resolves.toEqual([{ offerId: 'of1' }]);
    await expect(declined()).resolves.toEqual([{ offerId: 'of2' }]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('disables answers while one is in flight and explains an empty queue', async () => {
    const page = await h.newPage({ width: 320 });
    await h.mount(page, MODULE, 'peerline-supporter-queue', { offers, topics, available: true, busyOfferId: 'of1' });
    await expect(page.getByRole('button', { name: 'Accept: Friendships' }).isDisabled()).resolves.toBe(true);
    await page.evaluate(`(async () => { const el = document.querySelector('peerline-supporter-queue'); el.offers = []; el.available = false; await el.updateComplete; })()`);
    await expect(page.getByText('Switch on availability to receive requests.').isVisible()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
  });
});
