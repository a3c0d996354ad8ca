export { canonicalJson, assertCanonicalizable, CanonicalJsonError } from '../../../protocol/src/canonical-json.ts';
