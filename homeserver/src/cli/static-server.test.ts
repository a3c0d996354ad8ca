import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheControlFor, contentTypeFor, resolveUnderRoot, startWebServer, type WebServer } from './static-server.ts';

let dir: string;
let root: string;
let web: WebServer;

/** A raw request, so paths like /../ reach the server unnormalised (fetch would clean them). */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: web.port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peerline-static-'));
  root = join(dir, 'dist');
  mkdirSync(join(root, 'assets'), { recursive: true });
  mkdirSync(join(root, 'icons'));
  writeFileSync(join(dir, 'secret.txt'), 'outside the root');
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Peerline</title>');
  writeFileSync(join(root, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  writeFileSync(join(root, 'config.json'), '{"homeserver_url":"http://from-disk"}');
  writeFileSync(join(root, 'manifest.webmanifest'), '{"name":"Peerline"}');
  writeFileSync(join(root, 'assets', 'index-AbCd1234.js'), 'export {};');
  writeFileSync(join(root, 'assets', 'matrix_sdk_crypto_wasm_bg-DQQaknxI.wasm'), Buffer.from([0, 97, 115, 109]));
  writeFileSync(join(root, 'icons', 'icon-192.png'), Buffer.from([137, 80, 78, 71]));
  symlinkSync(join(dir, 'secret.txt'), join(root, 'leak.txt'));
  web = await startWebServer({ root, port: 0, config: { homeserver_url: 'http://127.0.0.1:8008', bridge_url: null } });
});

afterAll(async () => {
  await web?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('web client static server', () => {
  it('refuses paths that climb out of the root, however they are encoded', async () => {
    for (const path of ['/../secret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt', '/..%5csecret.txt', '/a%00.js']) {
      const res = await get(path);
      expect([400, 404], path).toContain(res.status);
      expect(res.body, path).not.toContain('outside the root');
    }
  });

  it('does not follow a symlink that leads outside the root', async () => {
    const res = await get('/leak.txt');
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('outside the root');
  });

  it('resolves only paths under the root', () => {
    expect(resolveUnderRoot('/srv/dist', '/assets/a.js')).toBe('/srv/dist/assets/a.js');
    expect(resolveUnderRoot('/srv/dist', '/..%2fetc/passwd')).toBeNull();
    expect(resolveUnderRoot('/srv/dist', '/%E0%A4%A')).toBeNull();
  });

  it('sends the WASM as application/wasm and the manifest as application/manifest+json', async () => {
    const wasm = await get('/assets/matrix_sdk_crypto_wasm_bg-DQQaknxI.wasm');
    expect(wasm.status).toBe(200);
    expect(wasm.headers['content-type']).toBe('application/wasm');
    expect((await get('/manifest.webmanifest')).headers['content-type']).toMatch(/^application\/manifest\+json/);
    expect((await get('/assets/index-AbCd1234.js')).headers['content-type']).toMatch(/^text\/javascript/);
    expect((await get('/icons/icon-192.png')).headers['content-type']).toBe('image/png');
    expect(contentTypeFor('x.unknown')).toBe('application/octet-stream');
  });

  it('marks hashed assets immutable and makes the shell, the worker and the config revalidate', async () => {
    expect((await get('/assets/index-AbCd1234.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const path of ['/', '/index.html', '/sw.js', '/config.json', '/manifest.webmanifest']) {
      expect((await get(path)).headers['cache-control'], path).toBe('no-cache');
    }
    expect(cacheControlFor('/assets/index.js')).toBe('no-cache');
  });

  it('answers 404 for a missing file and the app shell for a client-side route', async () => {
    const missing = await get('/assets/gone-ZZZZ9999.js');
    expect(missing.status).toBe(404);
    const route = await get('/rooms/some-room');
    expect(route.status).toBe(200);
    expect(route.body).toContain('<title>Peerline</title>');
    expect(route.headers['cache-control']).toBe('no-cache');
  });

  it('serves the generated config.json instead of the file on disk', async () => {
    const res = await get('/config.json');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toEqual({ homeserver_url: 'http://127.0.0.1:8008', bridge_url: null });
  });

  it('answers 304 when the browser already holds the current version', async () => {
    const first = await get('/index.html');
    const again = await get('/index.html', { 'If-None-Match': String(first.headers['etag']) });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
  });

  it('refuses methods other than GET and HEAD', async () => {
    const status = await new Promise<number>((ok, fail) => {
      const req = request({ host: '127.0.0.1', port: web.port, path: '/index.html', method: 'POST' }, (res) => { res.resume(); ok(res.statusCode ?? 0); });
      req.on('error', fail);
      req.end();
    });
    expect(status).toBe(405);
  });
});
