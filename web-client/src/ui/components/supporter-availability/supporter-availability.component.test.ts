// Availability in a real browser: the switch and trained topics, expiring and missing training said plainly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/supporter-availability/supporter-availability.component.ts';
const topics = [{ id: 'exam-stress', label: 'Exam stress' }, { id: 'friendships', label: 'Friendships' }, { id: 'low-mood', label: 'Low mood' }];
const availability = {
  user_id: '@s:x', available: false, topics: null, languages: [], paused_reason: null, updated_ts: null,
  qualified_topics: ['exam-stress', 'friendships'], effective_capacity: 2, active_sessions: 0, pending_offers: 0,
};
const record = {
  user_id: '@s:x', topics: ['exam-stress', 'friendships', 'low-mood'], capacity: null, active: true, effective_capacity: 2,
  qualified_topics: ['exam-stress', 'friendships'], missing_training: [],
  training: [
    { module: 'safeguarding', version: 1, completed: '2025-01-10', expires: '2026-01-10' },
    { module: 'listening-basics', version: 2, completed: '2025-06-01', expires: '2026-06-01' },
  ],
};

describe('<peerline-supporter-availability>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('switches availability on by keyboard with the trained topics, and flags expiring training and untrained topics', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-supporter-availability', { availability, record, topics, today: '2025-12-20' });
    const events = await h.recordEvents(page, 'availability-change');
    // Only the trained topics are offered.
    await expect(page.getByRole('checkbox').count()).resolves.toBe(2);
    await expect(page.getByRole('checkbox', { name: 'Low mood' }).count()).resolves.toBe(0);
    await expect(page.getByText('safeguarding (v1): expires soon, on 2026-01-10.').isVisible()).resolves.toBe(true);
    await expect(page.getByText('listening-basics (v2): valid until 2026-06-01.').isVisible()).resolves.toBe(true);
    await expect(page.getByText('Not trained (or training expired) for: Low mood.').isVisible()).resolves.toBe(true);

    await page.getByRole('switch', { name: 'Take requests now' }).focus();
    await page.keyboard.press('Space');
    await expect(events()).resolves.toEqual([{ available: true, topics: null }]);
    // A subset of topics is sent as a list.
    await page.getByRole('checkbox', { name: 'Friendships' }).focus();
    await page.keyboard.press('Space');
    await expect(events()).resolves.toEqual([{ available: true, topics: null }, { available: true, topics: ['exam-stress'] }]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('says plainly when missing training keeps requests away, with the switch off and disabled', async () => {
    const page = await h.newPage({ width: 320, colorScheme: 'dark' });
    await h.mount(page, MODULE, 'peerline-supporter-availability', {
      availability: { ...availability, qualified_topics: [] }, topics, today: '2025-12-20',
      record: { ...record, qualified_topics: [], missing_training: ['safeguarding'], training: [{ module: 'safeguarding', version: 1, completed: '2024-01-01', expires: '2024-12-31' }] },
    });
    await expect(page.getByRole('switch').isDisabled()).resolves.toBe(true);
    await expect(page.getByText('Training missing: safeguarding.', { exact: false }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('safeguarding (v1): expired on 2024-12-31.').isVisible()).resolves.toBe(true);
    await expect(page.getByText('You are not trained for any topic right now', { exact: false }).isVisible()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
  });

  it('tells the supporter which picked topics cannot reach them and why, with a way to the module', async () => {
    const page = await h.newPage();
    const blocked = [
      { topic: 'low-mood', not_on_roster: false, training: [{ module: 'listening', label: 'Active listening', status: 'expired', expires: '2025-12-01' }, { module: 'mhfa', label: 'Mental health first aid', status: 'missing', expires: null }] },
      { topic: 'friendships', not_on_roster: true, training: [] },
    ];
    await h.mount(page, MODULE, 'peerline-supporter-availability', { availability: { ...availability, blocked_topics: blocked }, record, topics, today: '2025-12-20' });
    const opened = await h.recordEvents(page, 'training-open');
    await expect(page.getByRole('heading', { name: 'Topics that cannot reach you now' }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('Low mood: Active listening expired on 2025-12-01; Mental health first aid is missing.').isVisible()).resolves.toBe(true);
    await expect(page.getByText('Friendships: not one of your topics on the roster (ask your institution).').isVisible()).resolves.toBe(true);
    // The older summary line gives way to the reasons.
    await expect(page.getByText('Not trained (or training expired) for', { exact: false }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Go to the training: Active listening' }).click();
    await expect(opened()).resolves.toEqual([{ module: 'listening' }]);
    expect(await h.axe(page)).toEqual([]);
  });
});
