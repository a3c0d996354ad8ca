// The consent receipt as the counsellor reads it, in a real browser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';
import { queueItem } from '../counsellor-shared/queue-item.fixture.ts';

const MODULE = 'src/ui/components/counsellor-receipt/counsellor-receipt.component.ts';
let h: ComponentHarness;

describe('<peerline-counsellor-receipt>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('says in plain words what the student shares, when they signed, and that the signature verified', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-counsellor-receipt', { receipt: queueItem({ share: 'summary' }).receipt, locale: 'en' });
    const region = page.getByRole('group', { name: 'Consent receipt' });
    await expect(region.textContent()).resolves.toContain('A summary the student approved');
    await expect(region.textContent()).resolves.toContain('Mar 10, 2025');
    await expect(region.textContent()).resolves.toContain('Verified with the student\'s key');
    expect(await h.axe(page)).toEqual([]);
  });

  it('counts chosen messages, and warns in words when the signature does not verify', async () => {
    const page = await h.newPage({ width: 320, colorScheme: 'dark' });
    await h.mount(page, MODULE, 'peerline-counsellor-receipt', { receipt: queueItem({ share: 'messages', valid: false }).receipt, locale: 'en' });
    const text = await page.getByRole('group', { name: 'Consent receipt' }).textContent();
    expect(text).toContain('3 messages the student chose');
    expect(text).toContain('Not verified');
    expect(await h.axe(page)).toEqual([]);
  });

  it('says when nothing is shared', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-counsellor-receipt', { receipt: queueItem({ share: 'nothing' }).receipt, locale: 'en' });
    await expect(page.getByRole('group', { name: 'Consent receipt' }).textContent()).resolves.toContain('you join without its history');
  });
});
