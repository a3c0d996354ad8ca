// One-time feedback tickets, sealed rather than stored: AES-256-GCM under a per-week key, holding the
// supporter, the topic and a 256-bit random nonce. Issuing one writes nothing but the session's
// "ticket issued" marker; spending one writes only the SHA-256 of its nonce. So no table ever holds a
// value that ties an issued ticket (and its session) to a spent one.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { addDays, dateUtc, isoWeekOf, localDate, mondayOf } from '../figures/iso-week.ts';

const PREFIX = 'pl1';
const WEEK = /^(\d{4})-W(\d{2})$/;

export interface TicketContent {
  supporter: string;
  topic: string;
}

export interface OpenedTicket extends TicketContent {
  week: string;
  /** Hex SHA-256 of the nonce: the spent marker. */
  nonce_hash: string;
}

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** Seals a ticket for `week` under that week's key. */
export function sealTicket(key: Uint8Array, week: string, content: TicketContent): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${PREFIX}.${week}`));
  const plain = Buffer.from(JSON.stringify({ s: content.supporter, t: content.topic, n: b64url(randomBytes(32)) }));
  const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}.${week}.${b64url(sealed)}`;
}

/** The week a ticket claims (not yet verified); null when it is not a ticket at all. */
export function ticketWeek(ticket: string): string | null {
  const parts = ticket.split('.');
  return parts.length === 3 && parts[0] === PREFIX && WEEK.test(parts[1]!) ? parts[1]! : null;
}

/** Opens a ticket with its week's key; null when it was not sealed with that key (forged, altered). */
export function openTicket(key: Uint8Array, ticket: string): OpenedTicket | null {
  const week = ticketWeek(ticket);
  if (week === null) return null;
  const sealed = Buffer.from(ticket.split('.')[2]!, 'base64url');
  if (sealed.length < 12 + 16 + 2) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(`${PREFIX}.${week}`));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const plain = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
    const c = JSON.parse(plain.toString('utf8')) as { s?: unknown; t?: unknown; n?: unknown };
    if (typeof c.s !== 'string' || typeof c.t !== 'string' || typeof c.n !== 'string') return null;
    return { week, supporter: c.s, topic: c.t, nonce_hash: createHash('sha256').update(c.n).digest('hex') };
  } catch {
    return null;
  }
}

// ── ISO weeks ('YYYY-Www'; lexical order is time order) ──────────────────────────────────────────

export function weekOfTs(ts: number, timeZone: string): string {
  return isoWeekOf(localDate(ts, timeZone));
}

/** The Monday ('YYYY-MM-DD') of an ISO week. */
function mondayOfWeek(week: string): string {
  const m = WEEK.exec(week);
  if (!m) throw new Error(`not an ISO week: ${week}`);
  // 4 January is always in week 1.
  return addDays(mondayOf(`${m[1]}-01-04`), (Number(m[2]) - 1) * 7);
}

export function shiftWeek(week: string, by: number): string {
  return isoWeekOf(addDays(mondayOfWeek(week), by * 7));
}

export function isValidWeek(week: string): boolean {
  return WEEK.test(week) && Number.isFinite(dateUtc(mondayOfWeek(week))) && isoWeekOf(mondayOfWeek(week)) === week;
}
