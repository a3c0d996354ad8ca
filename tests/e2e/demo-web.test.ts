// The running `npm start` demo in a browser, at the URLs it prints: School A's web client (no query
// parameters: its config.json points it at School A's homeserver and bridge) signs the seeded student
// in with the printed password and shows the student's app; School B's web client, on its own
// origin, does the same for one of School B's seeded supporters and shows the supporter desk.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { startDemo, type DemoInfo, type RunningDemo } from '../helpers/demo.ts';
import { openSection } from '../helpers/web-stack.ts';

let dataDir: string;
let demo: RunningDemo | null = null;
let browser: Browser | null = null;

/** Signs a seeded account in on an institution's own web client URL, as someone reading the printout would. */
async function signInAt(webUrl: string, localpart: string, password: string): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1000, height: 720 }, locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${webUrl}?lang=en`);
  await page.getByLabel('Username').fill(localpart);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Conversations' }).waitFor({ timeout: 30_000 });
  // A first device is shown its new recovery key.
  await page.getByRole('button', { name: "I've saved it" }).click({ timeout: 60_000 });
  return page;
}

function seeded(info: DemoInfo, school: 'school-a' | 'school-b', localpart: string): { localpart: string; password: string; user_id: string } {
  const a = info.institutions[school].accounts.find((x) => x.localpart === localpart);
  if (!a) throw new Error(`no ${localpart} at ${school}`);
  return a;
}

describe('the running demo in a browser', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'peerline-demo-web-'));
    [demo, browser] = await Promise.all([startDemo({ dataDir }), launchChromium()]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop('SIGINT');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs School A\'s student in at School A\'s printed URL and School B\'s supporter in at School B\'s, each into their own app', async () => {
    const info = demo!.info();
    const a = info.institutions['school-a'];
    const b = info.institutions['school-b'];
    expect(a.web_url).not.toBe('');
    expect(new URL(a.web_url).origin).not.toBe(new URL(b.web_url).origin);
    // The URLs and passwords are those the demo printed.
    const student = seeded(info, 'school-a', 'student');
    const supporter = seeded(info, 'school-b', 'supporter-1');
    for (const printed of [a.web_url, b.web_url, student.password, supporter.password]) expect(demo!.output()).toContain(printed);

    const [studentPage, supporterPage] = await Promise.all([
      signInAt(a.web_url, student.localpart, student.password),
      signInAt(b.web_url, supporter.localpart, supporter.password),
    ]);

    // The student's app, signed in to School A: the bridge knows them as a student (topics from School A's policy).
    await openSection(studentPage, 'Ask for support', { timeout: 30_000 });
    await studentPage.getByRole('radio', { name: 'Exam stress' }).waitFor({ timeout: 30_000 });
    await expect(studentPage.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Supporter desk' }).count()).resolves.toBe(0);

    // School B's supporter: the supporter desk, from School B's roster.
    await openSection(supporterPage, 'Supporter desk', { timeout: 30_000 });
    await supporterPage.getByRole('heading', { name: 'Supporter desk', level: 1 }).waitFor();
  }, 90_000);
});
