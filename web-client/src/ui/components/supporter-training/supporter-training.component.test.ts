// The training panel in a real browser, over a small fake bridge: the list with each status, taking
// a module section by section (focus on each heading, scenario feedback), the check graded by the
// "bridge", the result announced; a stale version starts the module again. The bridge's side is
// covered in bridge-service/src/training.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/supporter-training/supporter-training.component.ts';
const topics = [{ id: 'exam-stress', label: 'Exam stress' }, { id: 'friendships', label: 'Friendships' }];
const summary = (over: Record<string, unknown>): Record<string, unknown> => ({
  in_app: true, title: null, summary: null, version: 1, min_version: 1, valid_days: 365, estimated_minutes: 20, required: false, topics: [],
  status: 'missing', completed: null, completed_version: null, expires: null, newer_version: false, ...over,
});
const modules = [
  summary({ id: 'boundaries', label: 'Boundaries and confidentiality', required: true, status: 'valid', completed: '2025-12-01', completed_version: 1, expires: '2026-12-01' }),
  summary({ id: 'listening', label: 'Active listening', topics: ['exam-stress', 'friendships'], status: 'expired', completed: '2024-12-01', completed_version: 1, expires: '2025-12-01' }),
  summary({ id: 'moderation', label: 'Group moderation', topics: ['friendships'], status: 'expiring', completed: '2025-01-20', completed_version: 1, expires: '2026-01-20' }),
  summary({ id: 'first-aid', label: 'First aid', in_app: false, version: null, estimated_minutes: null, status: 'missing' }),
];
const content = {
  id: 'listening', version: 1, title: 'Active listening', language: 'en', estimated_minutes: 20, summary: null,
  sections: [
    { kind: 'text', heading: 'What listening is', paragraphs: ['Most people want to be heard first.', 'You are a peer, not a counsellor.'] },
    { kind: 'scenario', heading: 'The first message', situation: 'A student writes that they cannot revise.', prompt: 'What do you write back?', choices: [
      { text: 'Make a timetable.', good: false, feedback: 'Advice too early.' },
      { text: 'It sounds like you feel stuck.', good: true, feedback: 'You reflect what they said.' },
    ] },
  ],
  check: { pass_mark: 1, questions: [
    { question: 'Which is an open question?', choices: [{ text: 'Did you sleep?' }, { text: 'What has this week been like?' }], multiple: false },
    { question: 'Which replies shut a talk down?', choices: [{ text: 'Others have it worse.' }, { text: 'That sounds hard.' }, { text: "It'll be fine." }], multiple: true },
  ] },
};

/** Mounts the panel with a fake bridge: attempts pass when question 1 is answered with choice 1; `stale` makes the first attempt a 409. */
async function mountWithBridge(page: Page, opts: { stale?: boolean } = {}): Promise<void> {
  await h.mount(page, MODULE, 'peerline-supporter-training', { topics });
  await page.evaluate(`(async () => {
    const { BridgeError } = await import('/src/bridge/bridge-client.ts');
    window.__calls = [];
    let stale = ${JSON.stringify(opts.stale ?? false)};
    const el = document.querySelector('peerline-supporter-training');
    el.bridge = { request: async (method, path, o) => {
      window.__calls.push({ method, path, body: o && o.body });
      if (method === 'GET' && path === '/v1/training') return { modules: ${JSON.stringify(modules)} };
      if (method === 'GET' && path === '/v1/training/listening') return ${JSON.stringify(content)};
      if (method === 'POST' && path === '/v1/training/listening/attempts') {
        if (stale) { stale = false; throw new BridgeError(409, 'ORG.PEERLINE.TRAINING_VERSION_STALE', 'changed', { current_version: 2 }); }
        const a = o.body.answers;
        const correct = [a[0].length === 1 && a[0][0] === 1, a[1].length === 2 && a[1].includes(0) && a[1].includes(2)];
        const score = correct.filter(Boolean).length;
        const passed = score >= 1;
        return { module: 'listening', version: 1, score, total: 2, pass_mark: 1, passed, questions: correct.map((c) => ({ correct: c })),
          training: { ...${JSON.stringify(modules[1])}, status: passed ? 'valid' : 'expired', completed: passed ? '2026-01-12' : '2024-12-01', expires: passed ? '2027-01-12' : '2025-12-01' } };
      }
      throw new BridgeError(404, 'M_NOT_FOUND', path);
    } };
    await el.updateComplete;
  })()`);
  await page.getByRole('heading', { name: 'Active listening' }).waitFor();
}
const calls = (page: Page): Promise<{ method: string; path: string; body?: { version: number; answers: number[][] } }[]> => page.evaluate('window.__calls');
const focusedText = (page: Page): Promise<string> => page.evaluate(() => {
  let el: Element | null = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el?.textContent?.trim() ?? '';
});

describe('<peerline-supporter-training>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('lists each module with its status, expiry and the topics it is needed for', async () => {
    const page = await h.newPage();
    await mountWithBridge(page);
    await expect(page.getByRole('heading', { name: 'Training', level: 2 }).isVisible()).resolves.toBe(true);
    const items = page.getByRole('listitem');
    await expect(items.nth(0).innerText()).resolves.toMatch(/Boundaries and confidentiality\s+Valid until 2026-12-01\.\s+Needed for every topic\./);
    await expect(items.nth(1).innerText()).resolves.toMatch(/Active listening\s+Expired on 2025-12-01\.\s+Needed for: Exam stress, Friendships\. About 20 minutes\./);
    await expect(items.nth(2).innerText()).resolves.toContain('Expires soon, on 2026-01-20. Retake it to keep taking requests.');
    await expect(items.nth(3).innerText()).resolves.toContain('Not completed yet.');
    await expect(items.nth(3).innerText()).resolves.toContain('Taken outside the app; your institution records it.');
    await expect(page.getByRole('button', { name: 'Retake: Active listening' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: /First aid/ }).count()).resolves.toBe(0);
    expect(await h.axe(page)).toEqual([]);
  });

  it('takes a module section by section with focus on each, shows scenario feedback, and announces a pass graded by the bridge', async () => {
    const page = await h.newPage({ width: 360 });
    await mountWithBridge(page);
    const completed = await h.recordEvents(page, 'training-completed');
    await page.getByRole('button', { name: 'Retake: Active listening' }).click();
    await page.getByRole('heading', { name: 'What listening is' }).waitFor();
    await expect(focusedText(page)).resolves.toBe('What listening is');
    await expect(page.getByText('Part 1 of 2').isVisible()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Continue' }).click();

    await expect(focusedText(page)).resolves.toBe('The first message');
    const choices = page.getByRole('group', { name: 'What do you write back?' });
    await expect(page.getByRole('button', { name: 'Go to the check' }).isDisabled()).resolves.toBe(true);
    await choices.getByRole('radio', { name: 'Make a timetable.' }).check();
    await expect(page.getByRole('status').filter({ hasText: 'Advice too early.' }).innerText()).resolves.toMatch(/Not the best response\.\s*Advice too early\./);
    await choices.getByRole('radio', { name: 'It sounds like you feel stuck.' }).check();
    await expect(page.getByRole('status').filter({ hasText: 'You reflect' }).innerText()).resolves.toMatch(/A good response\.\s*You reflect what they said\./);
    expect(await h.axe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Go to the check' }).click();

    await expect(focusedText(page)).resolves.toBe('Check');
    // An unanswered question is named, and nothing is sent.
    await page.getByRole('button', { name: 'Submit answers' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toBe('Please answer question 1.');
    await page.getByRole('group', { name: 'Question 1: Which is an open question?' }).getByRole('radio', { name: 'What has this week been like?' }).check();
    const q2 = page.getByRole('group', { name: /Question 2/ });
    await expect(q2.getByText('Choose all that apply.').isVisible()).resolves.toBe(true);
    await q2.getByRole('checkbox', { name: 'Others have it worse.' }).check();
    await q2.getByRole('checkbox', { name: "It'll be fine." }).check();
    expect(await h.axe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Submit answers' }).click();

    await page.getByRole('heading', { name: 'Passed' }).waitFor();
    await expect(focusedText(page)).resolves.toBe('Passed');
    await expect(page.getByRole('status').filter({ hasText: 'Passed: 2 of 2 correct. Recorded; valid until 2027-01-12.' }).count()).resolves.toBe(1);
    await expect(page.getByText('Your training record now shows Active listening, version 1, valid until 2027-01-12.').isVisible()).resolves.toBe(true);
    expect((await calls(page)).find((c) => c.method === 'POST')?.body).toEqual({ version: 1, answers: [[1], [0, 2]] });
    await expect(completed()).resolves.toEqual([{ module: 'listening' }]);
    expect(await h.axe(page)).toEqual([]);

    await page.getByRole('button', { name: 'Back to your training' }).click();
    await expect(page.getByRole('listitem').nth(1).innerText()).resolves.toContain('Valid until 2027-01-12.');
    await expect(focusedText(page)).resolves.toBe('Retake');
  });

  it('says when the check is not passed, and starts again from the top when the module changed meanwhile', async () => {
    const page = await h.newPage({ colorScheme: 'dark' });
    await mountWithBridge(page, { stale: true });
    const goToCheck = async (): Promise<void> => {
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('radio', { name: 'Make a timetable.' }).check();
      await page.getByRole('button', { name: 'Go to the check' }).click();
      await page.getByRole('radio', { name: 'Did you sleep?' }).check();
      await page.getByRole('checkbox', { name: 'That sounds hard.' }).check();
      await page.getByRole('button', { name: 'Submit answers' }).click();
    };
    await page.getByRole('button', { name: 'Retake: Active listening' }).click();
    await page.getByRole('heading', { name: 'What listening is' }).waitFor();
    await goToCheck();
    await expect(page.getByRole('alert').innerText()).resolves.toBe('This module was updated while you were taking it. Please go through the new version.');
    await expect(page.getByText('Part 1 of 2').isVisible()).resolves.toBe(true);
    await goToCheck();
    await page.getByRole('heading', { name: 'Not passed yet' }).waitFor();
    await expect(page.getByRole('status').filter({ hasText: 'Not passed: 0 of 2 correct; 1 needed.' }).count()).resolves.toBe(1);
    await expect(page.getByRole('listitem').nth(0).innerText()).resolves.toBe('Which is an open question? — not correct');
    await page.getByRole('button', { name: 'Try the check again' }).click();
    await expect(focusedText(page)).resolves.toBe('Check');
    expect(await h.axe(page)).toEqual([]);
  });
});
