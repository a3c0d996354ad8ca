// Every section of the built client, as a person with every staff role sees it (supporter,
// counsellor and admin at once, so all desks show), checked the ways the issue asks: axe-core finds
// no violations in the light and the dark theme, nothing scrolls sideways at 320 px wide or with
// text at 200 %, and with reduced motion asked for, nothing on screen animates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { axeViolations } from '../helpers/browser.ts';
import { putCounsellor, putSupporter, sectionButton, SHOTS, startWebStack, type SignInOptions, type WebStack } from '../helpers/web-stack.ts';

const DESKS = ['Conversations', 'Supporter desk', 'Counsellor desk', 'Administration', 'Account'];

let stack: WebStack;

/** The staff member (admin, supporter and counsellor at once) signed in at `width`. */
async function signedIn(opts: { width: number } & Pick<SignInOptions, 'colorScheme' | 'reducedMotion'>): Promise<Page> {
  // The first device is shown its new recovery key; later ones are offered a restore, which can wait.
  const { width, ...look } = opts;
  const page = await stack.signIn(stack.admin, { ...look, viewport: { width, height: 800 }, dismiss: /^(I've saved it|Not now)$/ });
  await sectionButton(page, 'Administration').waitFor({ timeout: 30_000 });
  return page;
}

async function openDesk(page: Page, name: string): Promise<void> {
  await sectionButton(page, name).click();
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  // Let the desk's first bridge calls settle so the checks see its real content.
  await page.waitForLoadState('networkidle', { timeout: 2_000 }).catch(() => { /* long polls keep the network busy: go on */ });
}

/** How far the page scrolls sideways (0 = fits). */
const sidewaysOverflow = (page: Page): Promise<number> => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

/** Elements (through every shadow root) that animate or transition for longer than 10 ms. */
const MOVING = `(() => {
  const out = [];
  const ms = (v) => Math.max(...v.split(',').map((x) => x.trim().endsWith('ms') ? parseFloat(x) : parseFloat(x) * 1000));
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const s = getComputedStyle(el);
      const moving = (s.animationName !== 'none' && ms(s.animationDuration) > 10) || ms(s.transitionDuration) > 10;
      if (moving) out.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return out;
})()`;

describe('every view: accessibility, small screens, large text, themes, motion', () => {
  beforeAll(async () => {
    stack = await startWebStack();
    await putSupporter(stack.bridge, stack.adminToken, stack.admin.userId);
    await putCounsellor(stack.bridge, stack.adminToken, stack.admin.userId);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('has no axe violations in any section, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await signedIn({ width: 1000, colorScheme });
      for (const desk of DESKS) {
        await openDesk(page, desk);
        const violations = await axeViolations(page);
        expect({ desk, colorScheme, violations }).toEqual({ desk, colorScheme, violations: [] });
        if (colorScheme === 'dark') await page.screenshot({ path: resolve(SHOTS, `dark-${desk.toLowerCase().replace(/\s+/g, '-')}.png`), fullPage: true });
      }
    }
  });

  it('fits 320 px wide and text at 200 % without scrolling sideways', async () => {
    const page = await signedIn({ width: 320 });
    for (const desk of DESKS) {
      await openDesk(page, desk);
      expect({ desk, overflow: await sidewaysOverflow(page) }).toEqual({ desk, overflow: 0 });
    }
    await page.screenshot({ path: resolve(SHOTS, 'narrow-320.png'), fullPage: true });
    // 200 % text on a 640 px window (a 1280 px screen zoomed to 200 % leaves about that much).
    const big = await signedIn({ width: 640 });
    await big.evaluate("document.documentElement.style.fontSize = '200%'");
    for (const desk of DESKS) {
      await openDesk(big, desk);
      expect({ desk, overflow: await sidewaysOverflow(big) }).toEqual({ desk, overflow: 0 });
      expect(await big.evaluate<string>('getComputedStyle(document.body).fontSize')).toBe('32px');
    }
    await big.screenshot({ path: resolve(SHOTS, 'text-200.png'), fullPage: true });
  });

  it('keeps still when the person asks for reduced motion', async () => {
    const page = await signedIn({ width: 1000, reducedMotion: 'reduce' });
    for (const desk of DESKS) {
      await openDesk(page, desk);
      expect({ desk, moving: await page.evaluate<string[]>(MOVING) }).toEqual({ desk, moving: [] });
    }
    await page.getByRole('button', { name: 'Get help now' }).click();
    expect(await page.evaluate<string[]>(MOVING)).toEqual([]);
  });
});
