// Identifiers of requests, offers, sessions and groups: random (they travel to partners and sit in
// room state, so they must say nothing), URL-safe, with a readable prefix.
import { randomBytes } from 'node:crypto';

/** `rq_…` requests, `of_…` offers, `ps_…` peer sessions, `gr_…` groups. */
export function newId(prefix: 'rq' | 'of' | 'ps' | 'gr'): string {
  return `${prefix}_${randomBytes(15).toString('base64url')}`;
}
