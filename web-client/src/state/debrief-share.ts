// Sharing in a debrief what the student consented to share (issue #9), on the supporter's device only.
// The bridge says whether a consent receipt of the student covers the session and names its scope (the
// peer room and the chosen messages' event ids); this device reads those messages — decrypted here,
// from the peer room it was in — and posts them as m.room.message into the encrypted debrief room,
// each marked with the receipt id. Nothing of the content passes through the bridge. A summary the
// student wrote for a counsellor exists only on the student's and the counsellor's devices, so it is
// never shared from here; without a receipt nothing is offered at all. Nothing here logs.
import { checkDebriefShare, type DebriefView, type SupervisionBridge } from '../bridge/supervision-api.ts';

/** What the supporter's device needs: the bridge, its own decrypted messages, and sending. */
export interface DebriefShareDeps {
  bridge: SupervisionBridge;
  /** A message of a room, decrypted on this device, or null (see ChatClient.readMessage). */
  readMessage(roomId: string, eventId: string): Promise<{ body: string | null; mine: boolean } | null>;
  sendEventTo(roomId: string, type: string, content: Record<string, unknown>): Promise<string>;
}

/** Why nothing can be shared from a debrief. */
export type NoShareReason = 'no-session' | 'no-consent' | 'summary-elsewhere' | 'room-not-open';

/** One chosen message, ready to be posted. */
export interface DebriefShareItem { eventId: string; from: 'student' | 'supporter'; body: string }

export interface DebriefShareOffer {
  debriefId: string;
  receiptId: string;
  debriefRoomId: string;
  items: DebriefShareItem[];
  /** Chosen messages this device cannot read (not here, or not decryptable): they are left out. */
  missing: number;
}

/** Whether the debrief can carry anything of the student at all, and if not, why. */
export function noShareReason(d: DebriefView): NoShareReason | null {
  if (d.session === null) return 'no-session';
  if (!d.consent.available || d.consent.receipt_id === null) return 'no-consent';
  if (d.consent.share !== 'messages' || d.consent.scope === null) return 'summary-elsewhere';
  if (d.status !== 'open' || d.room_id === null) return 'room-not-open';
  return null;
}

/** Reads exactly the messages the receipt names from this device; throws unless the debrief allows a share. */
export async function prepareDebriefShare(deps: DebriefShareDeps, d: DebriefView): Promise<DebriefShareOffer> {
  const reason = noShareReason(d);
  if (reason !== null) throw new Error(`nothing can be shared: ${reason}`);
  const scope = d.consent.scope!;
  const items: DebriefShareItem[] = [];
  let missing = 0;
  for (const eventId of scope.event_ids) {
    const m = await deps.readMessage(scope.room_id, eventId);
    if (m === null || m.body === null) missing++;
    else items.push({ eventId, from: m.mine ? 'supporter' : 'student', body: m.body });
  }
  return { debriefId: d.debrief_id, receiptId: d.consent.receipt_id!, debriefRoomId: d.room_id!, items, missing };
}

/** The event content of one shared message: marked as shared with consent, with the receipt id, quoted. */
export function debriefSharedContent(receiptId: string, index: number, item: DebriefShareItem, heading: string): Record<string, unknown> {
  const quoted = item.body.split('\n').map((l) => `> ${l}`).join('\n');
  return {
    msgtype: 'm.text',
    body: `${heading}\n${quoted}`,
    'org.peerline.shared': { receipt_id: receiptId, event_id: item.eventId, from: item.from, item: index, context: 'debrief' },
  };
}

/**
 * Asks the bridge first (it checks the receipt again, and audits the share), then posts the items the
 * receipt covers — only those the bridge names — into the debrief room. Returns how many were posted.
 * `heading(receiptId)` is the line that marks each message as shared with the student's consent.
 */
export async function postDebriefShare(deps: DebriefShareDeps, offer: DebriefShareOffer, heading: (receiptId: string) => string): Promise<number> {
  const allowed = await checkDebriefShare(deps.bridge, offer.debriefId, 'messages');
  if (allowed.receipt_id !== offer.receiptId) throw new Error('the consent receipt changed; look again before sharing');
  const covered = new Set(allowed.event_ids);
  const items = offer.items.filter((i) => covered.has(i.eventId));
  let posted = 0;
  for (const [index, item] of items.entries()) {
    await deps.sendEventTo(offer.debriefRoomId, 'm.room.message', debriefSharedContent(offer.receiptId, index, item, heading(offer.receiptId)));
    posted++;
  }
  return posted;
}
