import { beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../storage/database.ts';
import { PushStore, pushMigrations } from '../../storage/push-store.ts';
import { MatrixError } from '../../api/errors.ts';
import { PushersService } from './pushers.ts';

const ALICE = '@alice:example.org';
const BOB = '@bob:example.org';

let pushers: PushersService;

beforeEach(() => {
  const db = new Database(':memory:');
  db.migrate(pushMigrations);
  pushers = new PushersService({ db, store: new PushStore(db), clock: { now: () => 1000 } });
});

function pusher(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'http', app_id: 'org.example.app.android', pushkey: 'token-1', app_display_name: 'Example',
    device_display_name: 'Phone', lang: 'en', data: { url: 'https://push.example.org/_matrix/push/v1/notify', format: 'event_id_only' },
    ...over,
  };
}

async function errcodeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MatrixError) return e.errcode;
    throw e;
  }
  throw new Error('expected a MatrixError');
}

describe('PushersService', () => {
  it('stores a pusher and lists it in the spec shape', async () => {
    await pushers.set(ALICE, 'DEV', pusher({ profile_tag: 'tag' }));
    expect(pushers.list(ALICE)).toEqual([{
      pushkey: 'token-1', kind: 'http', app_id: 'org.example.app.android', app_display_name: 'Example',
      device_display_name: 'Phone', profile_tag: 'tag', lang: 'en',
      data: { url: 'https://push.example.org/_matrix/push/v1/notify', format: 'event_id_only' },
    }]);
    expect(pushers.list(BOB)).toEqual([]);
  });

  it('updates the pusher with the same app_id and pushkey instead of adding one', async () => {
    await pushers.set(ALICE, 'DEV', pusher());
    await pushers.set(ALICE, 'DEV', pusher({ lang: 'de' }));
    expect(pushers.list(ALICE).map((p) => p.lang)).toEqual(['de']);
  });

  it('deletes a pusher when kind is null', async () => {
    await pushers.set(ALICE, 'DEV', pusher());
    await pushers.set(ALICE, 'DEV', { kind: null, app_id: 'org.example.app.android', pushkey: 'token-1' });
    expect(pushers.list(ALICE)).toEqual([]);
  });

  it('takes a pushkey away from other users unless append is set', async () => {
    await pushers.set(BOB, 'B', pusher());
    await pushers.set(ALICE, 'A', pusher({ append: true }));
    expect(pushers.list(BOB)).toHaveLength(1);
    await pushers.set(ALICE, 'A', pusher());
    expect(pushers.list(BOB)).toEqual([]);
    expect(pushers.list(ALICE)).toHaveLength(1);
  });

  it('removes the pushers of a deleted device only', async () => {
    await pushers.set(ALICE, 'A', pusher());
    await pushers.set(ALICE, 'B', pusher({ pushkey: 'token-2' }));
    await pushers.removeForDevice(ALICE, 'A');
    expect(pushers.list(ALICE).map((p) => p.pushkey)).toEqual(['token-2']);
  });

  it('validates kind, ids, required fields and the gateway url', async () => {
    const { kind: _k, ...noKind } = pusher();
    void _k;
    expect(await errcodeOf(pushers.set(ALICE, 'A', noKind))).toBe('M_MISSING_PARAM');
    expect(await errcodeOf(pushers.set(ALICE, 'A', pusher({ kind: 'carrier-pigeon' })))).toBe('M_INVALID_PARAM');
    expect(await errcodeOf(pushers.set(ALICE, 'A', pusher({ kind: 'email' })))).toBe('M_INVALID_PARAM');
    expect(await errcodeOf(pushers.set(ALICE, 'A', pusher({ app_id: 'x'.repeat(65) })))).toBe('M_INVALID_PARAM');
    expect(await errcodeOf(pushers.set(ALICE, 'A', pusher({ pushkey: 'é'.repeat(257) })))).toBe('M_INVALID_PARAM');
    expect(await errcodeOf(pushers.set(ALICE, 'A', pusher({ lang: undefined })))).toBe('M_MISSING_PARAM');
    expect(await errcodeOf(pushers.set(ALICE, 'A', pusher({ data: {} })))).toBe('M_MISSING_PARAM');
    expect(await errcodeOf(pushers.set(ALICE, 'A', pusher({ data: { url: 'https://push.example.org/notify' } })))).toBe('M_INVALID_PARAM');
    expect(await errcodeOf(pushers.set(ALICE, 'A', pusher({ data: { url: 'ftp://push.example.org/_matrix/push/v1/notify' } })))).toBe('M_INVALID_PARAM');
    expect(await errcodeOf(pushers.set(ALICE, 'A', pusher({ app_display_name: 7 })))).toBe('M_BAD_JSON');
    expect(pushers.list(ALICE)).toEqual([]);
  });
});
