// The key-backup dialogs in a real browser: the recovery key is shown once with copy and save, and
// "I've saved it" dismisses it; a new device is offered a restore that reports a wrong key and can wait.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

const KEY = 'EsTc 1234 abcd EFGH 5678 ijkl MNOP 9012 qrst UVWX 3456 yzAB';
let h: ComponentHarness;

describe('key backup dialogs', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('shows the new recovery key once, copies it, and is dismissed by "I\'ve saved it"', async () => {
    const page = await h.newPage({ width: 320 });
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await h.mount(page, 'src/ui/components/key-backup-dialogs/recovery-key-dialog.component.ts', 'peerline-recovery-key-dialog', { recoveryKey: KEY });
    const saved = await h.recordEvents(page, 'recovery-key-saved');
    const dialog = page.getByRole('dialog', { name: 'Your recovery key' });
    await dialog.waitFor();
    await expect(dialog.getByLabel('Recovery key').textContent()).resolves.toBe(KEY);
    expect(await h.axe(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
    await expect(page.evaluate<string>('navigator.clipboard.readText()')).resolves.toBe(KEY);
    await dialog.getByRole('button', { name: "I've saved it" }).click();
    await expect(saved()).resolves.toHaveLength(1);
  });

  it('offers a restore on a new device, says when the key does not fit, and can wait', async () => {
    const page = await h.newPage({ colorScheme: 'dark' });
    await h.mount(page, 'src/ui/components/key-backup-dialogs/restore-dialog.component.ts', 'peerline-restore-dialog', { state: 'offer' });
    const restores = await h.recordEvents(page, 'restore-keys');
    const skips = await h.recordEvents(page, 'restore-skipped');
    const dialog = page.getByRole('dialog', { name: 'Read your older messages' });
    await dialog.waitFor();
    await dialog.getByLabel('Enter your recovery key').fill(KEY);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await expect(restores()).resolves.toEqual([{ recoveryKey: KEY }]);
    await page.evaluate(`(async () => { const el = document.querySelector('peerline-restore-dialog'); el.state = 'wrong-key'; await el.updateComplete; })()`);
    await dialog.getByText('That recovery key does not fit. Check it and try again.').waitFor();
    expect(await h.axe(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Not now' }).click();
    await expect(skips()).resolves.toHaveLength(1);
  });
});
