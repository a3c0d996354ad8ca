import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { request, type Server } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { COMPRESS_MIN_BYTES, negotiateEncoding } from './compression.ts';
import { createHttpServer } from '../http-server.ts';
import { Router } from '../router.ts';
import { RateLimiter } from './rate-limiter.ts';
import { memoryLogger } from '../../logger.ts';

describe('negotiateEncoding', () => {
  it('prefers brotli over gzip when both are accepted', () => {
    expect(negotiateEncoding('gzip, deflate, br, zstd')).toBe('br');
  });
  it('answers gzip where brotli is not offered (Chromium over plain http)', () => {
    expect(negotiateEncoding('gzip, deflate')).toBe('gzip');
  });
  it('honours q=0 and the wildcard', () => {
    expect(negotiateEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(negotiateEncoding('*;q=0')).toBeNull();
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('br;q=0, *')).toBe('gzip');
  });
  it('compresses nothing without an acceptable coding', () => {
    expect(negotiateEncoding(undefined)).toBeNull();
    expect(negotiateEncoding('')).toBeNull();
    expect(negotiateEncoding('identity')).toBeNull();
    expect(negotiateEncoding('deflate')).toBeNull();
  });
});

describe('compressed JSON answers', () => {
  let server: Server;
  let port = 0;
  const big = { chunk: Array.from({ length: 200 }, (_, i) => ({ type: 'm.room.message', event_id: `$event${i}`, content: { body: 'hello' } })) };

  beforeAll(async () => {
    const router = new Router();
    router.add({ method: 'GET', path: '/big', auth: 'none', handler: () => big });
    router.add({ method: 'GET', path: '/small', auth: 'none', handler: () => ({ ok: true }) });
    server = createHttpServer({
      router, authenticator: { authenticate: () => null }, logger: memoryLogger(), maxBodyBytes: 1024,
      rateLimiter: new RateLimiter(1000, 1000), isRateLimitExempt: () => true,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    port = typeof addr === 'object' && addr ? addr.port : 0;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = (path: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });

  it('gzips a large answer for a client that accepts gzip, with the compressed Content-Length and Vary', async () => {
    const res = await get('/big', { 'Accept-Encoding': 'gzip, deflate' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['vary']).toBe('Accept-Encoding');
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    const plain = Buffer.from(JSON.stringify(big));
    expect(res.body.length).toBeLessThan(plain.length / 4);
    expect(JSON.parse(gunzipSync(res.body).toString('utf8'))).toEqual(big);
  });

  it('answers brotli when it is offered', async () => {
    const res = await get('/big', { 'Accept-Encoding': 'gzip, br' });
    expect(res.headers['content-encoding']).toBe('br');
    expect(JSON.parse(brotliDecompressSync(res.body).toString('utf8'))).toEqual(big);
  });

  it('sends plain JSON to a client that accepts no coding, and small answers as they are', async () => {
    const plain = await get('/big', {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('Accept-Encoding');
    expect(JSON.parse(plain.body.toString('utf8'))).toEqual(big);
    const small = await get('/small', { 'Accept-Encoding': 'gzip' });
    expect(small.body.length).toBeLessThan(COMPRESS_MIN_BYTES);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.headers['vary']).toBeUndefined();
    expect(JSON.parse(small.body.toString('utf8'))).toEqual({ ok: true });
  });

  it('answers unknown routes in JSON, and answers preflights with what browsers need (cached for a while)', async () => {
    const unknown = await get('/nowhere', { 'Accept-Encoding': 'gzip' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body.toString('utf8'))).toMatchObject({ errcode: 'M_UNRECOGNIZED' });
    const preflight = await get('/big', { Origin: 'http://app.example', 'Access-Control-Request-Method': 'GET' }, 'OPTIONS');
    expect(preflight.status).toBe(204);
    expect(Number(preflight.headers['access-control-max-age'])).toBeGreaterThan(0);
    expect(preflight.headers['access-control-allow-headers']).toContain('Authorization');
    expect(preflight.headers['access-control-allow-methods']).toContain('PUT');
    // An ordinary answer carries only what a browser reads there.
    const big = await get('/big', { Origin: 'http://app.example' });
    expect(big.headers['access-control-allow-origin']).toBe('*');
    expect(big.headers['access-control-allow-methods']).toBeUndefined();
  });
});
