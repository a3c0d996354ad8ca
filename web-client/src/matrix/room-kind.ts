// A Peerline room's kind from its org.peerline.session state (peer, group, escalation), over plain
// fetch: the escalation controller asks so that it never offers a counsellor inside an escalation room.
import { SESSION_EVENT_TYPE } from '../../../protocol/src/event-type-names.ts';
import type { Session } from './session.ts';

/** GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} — null when absent or unreadable. */
export async function roomKind(session: Session, roomId: string, fetchFn: typeof fetch = fetch): Promise<string | null> {
  const hs = session.homeserverUrl.replace(/\/+$/, '');
  const res = await fetchFn(`${hs}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(SESSION_EVENT_TYPE)}/`, {
    headers: { Authorization: `Bearer ${session.accessToken}` },
  });
  if (!res.ok) return null;
  const body = (await res.json().catch(() => ({}))) as { kind?: unknown };
  return typeof body.kind === 'string' ? body.kind : null;
}
