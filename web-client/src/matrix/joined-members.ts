// Who is joined to a room, over plain fetch: after a reload the escalation controller has missed the
// timeline loaded at start, so it asks whether this device's account is in the escalation room yet.
import type { Session } from './session.ts';

/** GET /_matrix/client/v3/rooms/{roomId}/joined_members — null when not joined or unreachable. */
export async function joinedMembers(session: Session, roomId: string, fetchFn: typeof fetch = fetch): Promise<string[] | null> {
  const hs = session.homeserverUrl.replace(/\/+$/, '');
  const res = await fetchFn(`${hs}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`, {
    headers: { Authorization: `Bearer ${session.accessToken}` },
  });
  if (!res.ok) return null;
  const body = (await res.json().catch(() => ({}))) as { joined?: unknown };
  return body.joined && typeof body.joined === 'object' ? Object.keys(body.joined) : null;
}
