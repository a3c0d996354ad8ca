// Matrix identifier grammar (spec appendix "Identifier Grammar") and random id generation.
import { randomBytes } from 'node:crypto';

const SERVER_NAME = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[A-Za-z0-9.-]{1,255})(?::[0-9]{1,5})?$/;

export function isValidServerName(s: string): boolean {
  return s.length <= 255 && SERVER_NAME.test(s);
}

/** Splits a sigil id (`@user:server`, `!room:server`, `#alias:server`) into local part and server name. */
export function splitId(id: string): { sigil: string; localpart: string; serverName: string } | null {
  const i = id.indexOf(':');
  if (i < 1 || id.length > 255) return null;
  const serverName = id.slice(i + 1);
  if (!isValidServerName(serverName)) return null;
  return { sigil: id[0]!, localpart: id.slice(1, i), serverName };
}

/** A user id is valid for this server's new users when the localpart uses the strict grammar. */
export function isValidLocalpart(localpart: string): boolean {
  return /^[a-z0-9._=\-/+]+$/.test(localpart);
}

/** User ids accepted from elsewhere: the historical grammar (printable ASCII except ':'), as the spec allows. */
export function isValidUserId(id: string): boolean {
  const p = splitId(id);
  return !!p && p.sigil === '@' && p.localpart.length > 0 && /^[\x21-\x39\x3b-\x7e]+$/.test(p.localpart);
}

export function isValidRoomId(id: string): boolean {
  const p = splitId(id);
  return !!p && p.sigil === '!' && p.localpart.length > 0;
}

export function isValidRoomAlias(id: string): boolean {
  const p = splitId(id);
  return !!p && p.sigil === '#' && p.localpart.length > 0;
}

export function serverNameOf(id: string): string {
  return id.slice(id.indexOf(':') + 1);
}

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random letters, as used for room ids, device ids and the like. */
export function randomString(length: number, alphabet = ALPHA): string {
  const bytes = randomBytes(length);
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[bytes[i]! % alphabet.length];
  return s;
}

export function newRoomId(serverName: string): string {
  return `!${randomString(18)}:${serverName}`;
}

export function newDeviceId(): string {
  return randomString(10, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
}
