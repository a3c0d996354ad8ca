// Schemas for the identifiers and small values every Peerline wire format repeats: Matrix ids,
// server names, timestamps, digests, keys and the escalation severity scale. Descriptions are noun
// phrases because validation messages use them as "expected …" (see validation.ts).

import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

// server_name = hostname [ ":" port ], hostname = IPv4 / "[" IPv6 "]" / dns-name (spec appendix
// "Server Name"); the pattern is written once and reused inside the user id pattern.
const SERVER_NAME = '(?:\\[[0-9A-Fa-f:.]{2,45}\\]|[A-Za-z0-9.-]{1,255})(?::[0-9]{1,5})?';

export const MatrixServerNameSchema = Type.String({
  pattern: `^${SERVER_NAME}$`,
  maxLength: 255,
  description: 'a Matrix server name such as a.example or a.example:8448',
});

// Localparts: historical user ids allow any printable ASCII but ':' (spec "Historical User IDs"),
// and users from federated Synapse servers may have one.
export const MatrixUserIdSchema = Type.String({
  pattern: `^@[\\x21-\\x39\\x3B-\\x7E]+:${SERVER_NAME}$`,
  maxLength: 255,
  description: 'a Matrix user ID such as @s-7kq2m9:a.example',
});

// Room ids are opaque (room version 12 drops the ":server" part), so only the sigil is checked.
export const MatrixRoomIdSchema = Type.String({
  pattern: '^![\\x21-\\x7E]+$',
  maxLength: 255,
  description: 'a Matrix room ID such as !Abc123:a.example',
});

export const MatrixEventIdSchema = Type.String({
  pattern: '^\\$[\\x21-\\x7E]+$',
  maxLength: 255,
  description: 'a Matrix event ID such as $Abc123',
});

export const TimestampMsSchema = Type.Integer({
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'a time in milliseconds since the Unix epoch (a non-negative integer)',
});

// 32 bytes in unpadded base64 are 43 characters whose last one carries 2 unused (zero) bits.
export const Sha256Base64Schema = Type.String({
  pattern: '^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$',
  description: 'a SHA-256 digest in unpadded base64 (43 characters)',
});

export const Ed25519PublicKeySchema = Type.String({
  pattern: '^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$',
  description: 'an ed25519 public key in unpadded base64 (43 characters)',
});

// 64 bytes are 86 characters whose last one carries 4 unused (zero) bits.
export const Ed25519SignatureSchema = Type.String({
  pattern: '^[A-Za-z0-9+/]{85}[AQgw]$',
  description: 'an ed25519 signature in unpadded base64 (86 characters)',
});

/** Random identifiers (receipt ids, nonces, check-in ids): URL-safe so they can sit in paths. */
export const RandomIdSchema = Type.String({
  pattern: '^[A-Za-z0-9_-]{16,128}$',
  description: 'a random identifier of 16–128 characters from A-Z a-z 0-9 _ -',
});

/** How urgently a counsellor is needed, least to most urgent; queues order by it, then by wait. */
export const SEVERITY_LEVELS = ['low', 'medium', 'high', 'critical'] as const satisfies readonly SeverityLevel[];

export const EscalationSeveritySchema = Type.Union(
  [Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')],
  { description: 'an escalation severity: low, medium, high or critical' },
);
export type SeverityLevel = Static<typeof EscalationSeveritySchema>;
