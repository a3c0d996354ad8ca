// The shared protocol module: wire formats defined once for the web client and the bridge —
// canonical JSON, identifiers and their schemas, the org.peerline.* event types, the consent
// receipt, and the institution policy. Importers may also reach a single file
// (`protocol/src/policy.ts`) to keep bundles small.
export * from './base64.ts';
export * from './canonical-json.ts';
export * from './common-schemas.ts';
export * from './validation.ts';
export * from './event-types.ts';
export * from './consent.ts';
export * from './policy.ts';
export * from './coordination.ts';
