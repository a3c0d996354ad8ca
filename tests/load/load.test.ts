// The bounded form of `npm run load` (tests/load/run.ts): 40 people of two federated institutions for
// 20 seconds — logins and bridge sign-ins from their own addresses, matching (own institution and
// across), encrypted chats, a support group, escalations with signed consent receipts claimed by
// counsellors — then the privacy scan of every database file and log. No timing is asserted: only
// that nothing failed, that every message was decrypted exactly once by everyone it was owed to, and
// that no plaintext, token or password is at rest or in a log, and no room key went to a bridge bot.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgePair } from '../helpers/bridge-pair.ts';
import { olmChatClient } from './chat-client.ts';
import { runLoad, startLoadPair, type LoadOutcome } from './load-run.ts';
import { scanAfterLoad, type PrivacyOutcome } from './privacy-check.ts';

describe('load, bounded: 40 people of two institutions for 20 seconds', () => {
  let pair: BridgePair;
  let outcome: LoadOutcome;
  let privacy: PrivacyOutcome;
  const logDir = mkdtempSync(join(tmpdir(), 'peerline-load-test-logs-'));

  beforeAll(async () => {
    pair = await startLoadPair();
    outcome = await runLoad(pair, {
      users: 40, durationMs: 20_000, drainMs: 60_000, jsSdkPeople: 2, lightClient: olmChatClient,
      exchanges: 2, escalationShare: 0.5, groupShare: 0.5, logDir,
    });
    privacy = await scanAfterLoad(pair, outcome);
  }, 240_000);

  afterAll(async () => {
    await pair?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('makes no failed HTTP call, send, join or decryption', () => {
    const s = outcome.ledger.summary();
    expect({ errors: s.errorsByKind, samples: outcome.ledger.errorSamples }).toEqual({ errors: {}, samples: [] });
    expect(s.decryptionFailures).toBe(0);
  });

  it('did the work of every flow: logins, sign-ins, chats across institutions, groups, escalations claimed', () => {
    expect(outcome.logins).toBe(40);
    expect(outcome.bridgeSignIns).toBe(42);
    expect(outcome.chats).toBeGreaterThan(0);
    expect(outcome.groupJoins).toBeGreaterThan(0);
    expect(outcome.escalations).toBeGreaterThan(0);
    expect(outcome.claims).toBe(outcome.escalations);
    expect(outcome.people.jsSdk).toBe(2);
  });

  it('delivers every message sent exactly once to everyone it is owed to, decrypted', () => {
    const s = outcome.ledger.summary();
    expect(s.messagesSent).toBeGreaterThan(0);
    expect({ missing: s.missing, duplicates: s.duplicates, unexpected: s.unexpected }).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
    expect(s.deliveredOnce).toBe(s.expectedDeliveries);
  });

  it('leaves no message plaintext, access token, session token or password in any database file or log', () => {
    expect(privacy.scan.needles['message plaintext']).toBe(2 * outcome.ledger.summary().messagesSent);
    expect(privacy.scan.filesScanned).toBeGreaterThanOrEqual(8);
    // The stores were used: the encrypted messages are there, as ciphertext.
    for (const n of privacy.encryptedEvents) expect(n).toBeGreaterThan(0);
    expect(privacy.scan.findings).toEqual([]);
  });

  it('never sent a room key to either bridge bot, which has no device keys', () => {
    expect(privacy.bots.map((b) => ({ toDevice: b.toDeviceMessages, keys: b.deviceKeys + b.oneTimeKeys + b.fallbackKeys }))).toEqual([{ toDevice: 0, keys: 0 }, { toDevice: 0, keys: 0 }]);
  });
});
