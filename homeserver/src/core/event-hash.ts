// Content hashes, reference hashes and event ids (room versions 4+ format), and event signing.
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import { encodeBase64, encodeBase64Url } from './base64.ts';
import type { Pdu, RoomVersion } from './pdu.ts';
import { redactEvent } from './redaction.ts';
import type { SigningKey } from './signing.ts';
import { signJson } from './signing.ts';

/** The sha256 content hash: the event without unsigned, signatures and hashes, canonically encoded. */
export function computeContentHash(event: Partial<Pdu>): string {
  const { unsigned: _u, signatures: _s, hashes: _h, ...rest } = event as Record<string, unknown>;
  void _u; void _s; void _h;
  return encodeBase64(createHash('sha256').update(canonicalJson(rest)).digest());
}

/** The reference hash of an event: sha256 of the redacted event without signatures and unsigned. */
export function computeReferenceHash(pdu: Pdu, version: RoomVersion): Buffer {
  const redacted = redactEvent(pdu, version) as unknown as Record<string, unknown>;
  delete redacted['signatures'];
  delete redacted['unsigned'];
  delete redacted['age_ts'];
  return createHash('sha256').update(canonicalJson(redacted)).digest();
}

/** The event id of a PDU in room versions 4 and later: `$` + URL-safe unpadded base64 of its reference hash. */
export function computeEventId(pdu: Pdu, version: RoomVersion): string {
  return '$' + encodeBase64Url(computeReferenceHash(pdu, version));
}

/** Adds the content hash and this server's signature (over the redacted event) to an unsigned PDU. */
export function hashAndSignEvent(
  unsigned: Omit<Pdu, 'hashes' | 'signatures'>,
  version: RoomVersion,
  serverName: string,
  key: SigningKey,
): Pdu {
  const pdu = { ...unsigned, hashes: { sha256: computeContentHash(unsigned) }, signatures: {} } as Pdu;
  const redacted = redactEvent(pdu, version) as unknown as Record<string, unknown>;
  delete redacted['signatures'];
  delete redacted['unsigned'];
  const signed = signJson(redacted, serverName, key);
  pdu.signatures = signed.signatures;
  return pdu;
}
