// Draws the app icons into web-client/public/icons (run once; the output is committed):
// `node web-client/scripts/generate-icons.ts`. Two speech bubbles in the design tokens' accent and
// background colours, as SVG and as PNG (encoded here with node:zlib, so no image package is needed).
// The maskable variant keeps the bubbles inside the central 80 % safe zone and fills the whole square.
import { writeFileSync, mkdirSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { join } from 'node:path';

const ACCENT = [0x1f, 0x5f, 0xbf] as const; // --pl-accent (light theme)
const WHITE = [0xff, 0xff, 0xff] as const; // --pl-bg
const OUT = join(import.meta.dirname, '..', 'public', 'icons');

interface Bubble { cx: number; cy: number; r: number; tailX: number; tailY: number; colour: readonly [number, number, number] }

/** Geometry in a unit square; `inset` shrinks it toward the centre (maskable safe zone). */
function bubbles(inset: number): Bubble[] {
  const s = (v: number): number => 0.5 + (v - 0.5) * inset;
  return [
    { cx: s(0.42), cy: s(0.42), r: 0.24 * inset, tailX: s(0.24), tailY: s(0.72), colour: WHITE },
    { cx: s(0.62), cy: s(0.6), r: 0.19 * inset, tailX: s(0.8), tailY: s(0.84), colour: [0xdc, 0xe7, 0xfa] },
  ];
}

function inTriangle(px: number, py: number, ax: number, ay: number, bx: number, by: number, cx: number, cy: number): boolean {
  const d = (x1: number, y1: number, x2: number, y2: number, x3: number, y3: number): number => (x1 - x3) * (y2 - y3) - (x2 - x3) * (y1 - y3);
  const d1 = d(px, py, ax, ay, bx, by); const d2 = d(px, py, bx, by, cx, cy); const d3 = d(px, py, cx, cy, ax, ay);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
}

function inBubble(b: Bubble, x: number, y: number): boolean {
  if ((x - b.cx) ** 2 + (y - b.cy) ** 2 <= b.r ** 2) return true;
  // The tail: a triangle from the bubble's edge out to the tail point.
  const ang = Math.atan2(b.tailY - b.cy, b.tailX - b.cx);
  const spread = 0.5;
  return inTriangle(x, y, b.tailX, b.tailY, b.cx + b.r * Math.cos(ang - spread), b.cy + b.r * Math.sin(ang - spread), b.cx + b.r * Math.cos(ang + spread), b.cy + b.r * Math.sin(ang + spread));
}

/** Pixel colour with 4×4 supersampling; `rounded` clips the background to a rounded square. */
function paint(size: number, inset: number, rounded: boolean): Buffer {
  const bs = bubbles(inset);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const radius = 0.2;
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      let r = 0; let g = 0; let b = 0; let a = 0;
      for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) {
        const x = (px + (sx + 0.5) / 4) / size; const y = (py + (sy + 0.5) / 4) / size;
        if (rounded) {
          const qx = Math.max(radius - x, 0, x - (1 - radius)); const qy = Math.max(radius - y, 0, y - (1 - radius));
          if (qx * qx + qy * qy > radius * radius) continue;
        }
        let c: readonly number[] = ACCENT;
        for (const bub of bs) if (inBubble(bub, x, y)) c = bub.colour;
        r += c[0]!; g += c[1]!; b += c[2]!; a += 255;
      }
      const o = py * (size * 4 + 1) + 1 + px * 4;
      // Colours are averaged over covered samples only, alpha over all 16.
      const n = a / 255 || 1;
      raw[o] = Math.round(r / n); raw[o + 1] = Math.round(g / n); raw[o + 2] = Math.round(b / n); raw[o + 3] = Math.round(a / 16);
    }
  }
  return raw;
}

function png(size: number, raw: Buffer): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0; // 8-bit RGBA
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

function svg(inset: number, rounded: boolean): string {
  const hex = (c: readonly number[]): string => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  const shapes = bubbles(inset).map((b) => {
    const ang = Math.atan2(b.tailY - b.cy, b.tailX - b.cx);
    const p = (a: number): string => `${((b.cx + b.r * Math.cos(a)) * 512).toFixed(1)},${((b.cy + b.r * Math.sin(a)) * 512).toFixed(1)}`;
    return `<circle cx="${(b.cx * 512).toFixed(1)}" cy="${(b.cy * 512).toFixed(1)}" r="${(b.r * 512).toFixed(1)}" fill="${hex(b.colour)}"/>`
      + `<polygon points="${(b.tailX * 512).toFixed(1)},${(b.tailY * 512).toFixed(1)} ${p(ang - 0.5)} ${p(ang + 0.5)}" fill="${hex(b.colour)}"/>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512"${rounded ? ' rx="102.4"' : ''} fill="${hex(ACCENT)}"/>${shapes}</svg>\n`;
}

mkdirSync(OUT, { recursive: true });
for (const size of [192, 512]) writeFileSync(join(OUT, `icon-${size}.png`), png(size, paint(size, 1, true)));
writeFileSync(join(OUT, 'icon-maskable-512.png'), png(512, paint(512, 0.72, false)));
writeFileSync(join(OUT, 'icon.svg'), svg(1, true));
writeFileSync(join(OUT, 'icon-maskable.svg'), svg(0.72, false));
