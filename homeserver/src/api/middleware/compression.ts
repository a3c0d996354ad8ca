// Response compression for JSON answers: brotli or gzip as the request's Accept-Encoding allows,
// only above a size where it pays (a few hundred bytes of JSON gain little once the gzip framing and
// the extra headers are paid). Sync answers, key queries and state shrink to a third or less, which
// is what a client on a slow mobile connection waits for. Only JSON is compressed here: this server
// serves no media, and already-compressed bodies would only grow.
import { brotliCompress, constants, gzip } from 'node:zlib';
import { promisify } from 'node:util';

export type ContentEncoding = 'br' | 'gzip';

/** Bodies smaller than this go as they are. */
export const COMPRESS_MIN_BYTES = 512;

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/**
 * The encoding to answer with for an Accept-Encoding header (RFC 9110 §12.5.3): brotli before gzip
 * when both are acceptable, none when neither is (absent header, `identity`, or q=0).
 */
export function negotiateEncoding(acceptEncoding: string | string[] | undefined): ContentEncoding | null {
  if (!acceptEncoding) return null;
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const accepts = (coding: string): boolean => (q.get(coding) ?? q.get('*') ?? 0) > 0;
  if (accepts('br')) return 'br';
  if (accepts('gzip')) return 'gzip';
  return null;
}

/**
 * Compresses `body` with `encoding`. Brotli at quality 5 and gzip at level 6: for answers made per
 * request, higher settings cost far more CPU than they save bytes. Runs on libuv's thread pool.
 */
export function compress(body: Buffer, encoding: ContentEncoding): Promise<Buffer> {
  return encoding === 'br'
    ? brotli(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
    : gz(body, { level: 6 });
}
