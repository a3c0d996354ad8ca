// Unpadded base64 as Matrix uses it everywhere (keys, signatures, hashes), plus the URL-safe variant
// used for event ids from room version 4 on.

/** Standard alphabet, no padding. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

/** URL-safe alphabet, no padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decodes padded or unpadded, standard or URL-safe base64; returns null when it is not base64. */
export function decodeBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/\-_]*={0,2}$/.test(text)) return null;
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
