// The E2EE EDUs from other servers: what is refused, and when a device-list update applies to our
// cached copy, is a duplicate, or shows a lost update that forces a fresh fetch.
import { describe, expect, it } from 'vitest';
import {
  EduRejected, SEEN_LIMIT, advance, decideUpdate, readDeviceListUpdate, readDirectToDevice, readSigningKeyUpdate,
} from './e2ee-federation-edus.ts';

const ORIGIN = 'remote.test';
const DAVE = '@dave:remote.test';

const update = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ user_id: DAVE, device_id: 'DDEV', stream_id: 6, prev_id: [5], ...over });
const deviceKeys = (deviceId = 'DDEV'): Record<string, unknown> => ({
  user_id: DAVE, device_id: deviceId, algorithms: ['m.olm.v1.curve25519-aes-sha2'],
  keys: { [`ed25519:${deviceId}`]: 'pub', [`curve25519:${deviceId}`]: 'curve' }, signatures: { [DAVE]: { [`ed25519:${deviceId}`]: 'sig' } },
});

describe('device-list update gap detection', () => {
  it('applies an update whose prev_id is the latest stream id we hold', () => {
    expect(decideUpdate({ streamId: 5, seen: [5] }, { streamId: 6, prevIds: [5] })).toBe('apply');
  });

  it('applies an update whose prev_id names an earlier update we applied', () => {
    expect(decideUpdate({ streamId: 8, seen: [5, 7, 8] }, { streamId: 9, prevIds: [7, 8] })).toBe('apply');
  });

  it('fetches the list again when a prev_id names an update we never saw', () => {
    expect(decideUpdate({ streamId: 5, seen: [5] }, { streamId: 8, prevIds: [7] })).toBe('resync');
    expect(decideUpdate({ streamId: 5, seen: [5] }, { streamId: 8, prevIds: [5, 7] })).toBe('resync');
  });

  it('fetches the list when we hold no copy of it', () => {
    expect(decideUpdate(null, { streamId: 1, prevIds: [] })).toBe('resync');
    expect(decideUpdate(null, { streamId: 6, prevIds: [5] })).toBe('resync');
  });

  it('fetches the list when an update has no prev_id, since it says nothing about what we hold', () => {
    expect(decideUpdate({ streamId: 5, seen: [5] }, { streamId: 6, prevIds: [] })).toBe('resync');
  });

  it('skips an update it already applied, or the one a fetch returned', () => {
    expect(decideUpdate({ streamId: 8, seen: [6, 7, 8] }, { streamId: 7, prevIds: [6] })).toBe('skip');
    expect(decideUpdate({ streamId: 8, seen: [8] }, { streamId: 8, prevIds: [7] })).toBe('skip');
  });

  it('fetches the list for an unknown update older than our copy, rather than losing or misplacing it', () => {
    expect(decideUpdate({ streamId: 10, seen: [10] }, { streamId: 4, prevIds: [3] })).toBe('resync');
  });

  it('advances to the newest stream id and remembers a bounded number of them', () => {
    let pos = { streamId: 0, seen: [0] };
    for (let i = 1; i <= SEEN_LIMIT + 10; i++) pos = advance(pos, i);
    expect(pos.streamId).toBe(SEEN_LIMIT + 10);
    expect(pos.seen).toHaveLength(SEEN_LIMIT);
    expect(pos.seen.at(-1)).toBe(SEEN_LIMIT + 10);
    expect(advance({ streamId: 9, seen: [9] }, 7).streamId).toBe(9);
  });
});

describe('m.device_list_update validation', () => {
  it('reads a well-formed update with keys and a display name', () => {
    const u = readDeviceListUpdate(ORIGIN, update({ keys: deviceKeys(), device_display_name: 'Phone' }));
    expect(u).toEqual({ userId: DAVE, deviceId: 'DDEV', streamId: 6, prevIds: [5], deleted: false, displayName: 'Phone', keys: deviceKeys() });
  });

  it('treats prev_id and deleted as optional', () => {
    const u = readDeviceListUpdate(ORIGIN, { user_id: DAVE, device_id: 'DDEV', stream_id: 1 });
    expect(u.prevIds).toEqual([]);
    expect(u.deleted).toBe(false);
    expect(u.keys).toBeNull();
  });

  it('refuses an update about a user of another server than the sender', () => {
    expect(() => readDeviceListUpdate('evil.test', update())).toThrow(/not a user of the sending server evil.test/);
  });

  it('refuses malformed fields, naming them', () => {
    expect(() => readDeviceListUpdate(ORIGIN, update({ stream_id: '6' }))).toThrow(/'stream_id'/);
    expect(() => readDeviceListUpdate(ORIGIN, update({ stream_id: 1.5 }))).toThrow(/'stream_id'/);
    expect(() => readDeviceListUpdate(ORIGIN, update({ prev_id: 5 }))).toThrow(/'prev_id'/);
    expect(() => readDeviceListUpdate(ORIGIN, update({ prev_id: ['5'] }))).toThrow(/'prev_id\[0\]'/);
    expect(() => readDeviceListUpdate(ORIGIN, update({ device_id: '' }))).toThrow(/'device_id'/);
    expect(() => readDeviceListUpdate(ORIGIN, update({ deleted: 'yes' }))).toThrow(/'deleted'/);
    expect(() => readDeviceListUpdate(ORIGIN, update({ device_display_name: 3 }))).toThrow(/'device_display_name'/);
    expect(() => readDeviceListUpdate(ORIGIN, update({ user_id: 'dave' }))).toThrow(/'user_id'/);
    expect(() => readDeviceListUpdate(ORIGIN, 'nope')).toThrow(EduRejected);
  });

  it('refuses keys that describe another device or user', () => {
    expect(() => readDeviceListUpdate(ORIGIN, update({ keys: deviceKeys('OTHER') }))).toThrow(/must describe device DDEV/);
    expect(() => readDeviceListUpdate(ORIGIN, update({ keys: { ...deviceKeys(), user_id: '@eve:remote.test' } }))).toThrow(/must describe device DDEV/);
  });

  it('refuses keys whose signatures are not user id → key id → signature', () => {
    expect(() => readDeviceListUpdate(ORIGIN, update({ keys: { ...deviceKeys(), signatures: { [DAVE]: 'sig' } } }))).toThrow(/keys.signatures/);
  });

  it('ignores keys on a deletion', () => {
    expect(readDeviceListUpdate(ORIGIN, update({ deleted: true, keys: deviceKeys('OTHER') })).keys).toBeNull();
  });
});

describe('m.signing_key_update validation', () => {
  const master = { user_id: DAVE, usage: ['master'], keys: { 'ed25519:mpub': 'mpub' } };
  it('reads master and self-signing keys of a user of the sender', () => {
    const selfSigning = { user_id: DAVE, usage: ['self_signing'], keys: { 'ed25519:spub': 'spub' }, signatures: { [DAVE]: { 'ed25519:mpub': 's' } } };
    expect(readSigningKeyUpdate(ORIGIN, { user_id: DAVE, master_key: master, self_signing_key: selfSigning })).toEqual({ userId: DAVE, master, selfSigning });
  });

  it('refuses keys of another user, of the wrong usage, or with several keys', () => {
    expect(() => readSigningKeyUpdate(ORIGIN, { user_id: DAVE, master_key: { ...master, user_id: '@eve:remote.test' } })).toThrow(/master_key.user_id/);
    expect(() => readSigningKeyUpdate(ORIGIN, { user_id: DAVE, master_key: { ...master, usage: ['self_signing'] } })).toThrow(/usage/);
    expect(() => readSigningKeyUpdate(ORIGIN, { user_id: DAVE, master_key: { ...master, keys: { 'ed25519:a': 'a', 'ed25519:b': 'b' } } })).toThrow(/exactly one key/);
    expect(() => readSigningKeyUpdate('evil.test', { user_id: DAVE, master_key: master })).toThrow(EduRejected);
  });
});

describe('m.direct_to_device validation', () => {
  const edu = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    sender: DAVE, type: 'm.room.encrypted', message_id: 'abc123', messages: { '@alice:hs.test': { ADEV: { ciphertext: 'x' }, '*': { y: 1 } } }, ...over,
  });

  it('reads sender, type, message id and messages', () => {
    const m = readDirectToDevice(ORIGIN, edu());
    expect(m).toEqual({ sender: DAVE, type: 'm.room.encrypted', messageId: 'abc123', messages: { '@alice:hs.test': { ADEV: { ciphertext: 'x' }, '*': { y: 1 } } } });
  });

  it('refuses a sender who is not a user of the sending server', () => {
    expect(() => readDirectToDevice('evil.test', edu())).toThrow(/'sender'/);
  });

  it('refuses malformed messages and missing fields', () => {
    expect(() => readDirectToDevice(ORIGIN, edu({ message_id: undefined }))).toThrow(/'message_id'/);
    expect(() => readDirectToDevice(ORIGIN, edu({ message_id: 'x'.repeat(300) }))).toThrow(/'message_id'/);
    expect(() => readDirectToDevice(ORIGIN, edu({ type: '' }))).toThrow(/'type'/);
    expect(() => readDirectToDevice(ORIGIN, edu({ messages: { 'not-a-user': {} } }))).toThrow(/not a user id/);
    expect(() => readDirectToDevice(ORIGIN, edu({ messages: { '@alice:hs.test': { ADEV: 'text' } } }))).toThrow(/messages.@alice:hs.test.ADEV/);
  });
});
