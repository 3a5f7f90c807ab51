/**
 * A minimal PNG encoder (8-bit RGBA, no interlace, filter 0, zlib via
 * node:zlib) and vmk's two Teams icons drawn in code: a box (a virtual
 * machine) beside a hexagon (Kubernetes).
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Encodes `rgba` (width * height * 4 bytes, row-major) as a PNG file. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`invalid PNG size ${width}x${height}`);
  if (rgba.length !== width * height * 4) throw new Error(`PNG data has ${rgba.length} bytes, expected ${width * height * 4}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: truecolour with alpha
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None
    raw.set(rgba.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** A shape in unit coordinates (0..1 on both axes). */
type Shape = (x: number, y: number) => boolean;

const SQRT3_2 = Math.sqrt(3) / 2;

function insideHexagon(cx: number, cy: number, apothem: number): Shape {
  // Pointy-top hexagon: vertical flat sides at +-apothem.
  return (x, y) => {
    const dx = Math.abs(x - cx);
    const dy = Math.abs(y - cy);
    return dx <= apothem && dx / 2 + dy * SQRT3_2 <= apothem;
  };
}

function insideRoundedSquare(cx: number, cy: number, half: number, radius: number): Shape {
  return (x, y) => {
    const dx = Math.max(Math.abs(x - cx) - (half - radius), 0);
    const dy = Math.max(Math.abs(y - cy) - (half - radius), 0);
    return dx * dx + dy * dy <= radius * radius;
  };
}

const ring = (outer: Shape, inner: Shape): Shape => (x, y) => outer(x, y) && !inner(x, y);
const union = (...shapes: Shape[]): Shape => (x, y) => shapes.some((s) => s(x, y));

/** The glyph: a VM box on the left overlapping a Kubernetes hexagon on the right, as strokes. */
function glyph(stroke: number): Shape {
  const box = ring(insideRoundedSquare(0.37, 0.5, 0.2, 0.04), insideRoundedSquare(0.37, 0.5, 0.2 - stroke, 0.02));
  const hex = ring(insideHexagon(0.63, 0.5, 0.2), insideHexagon(0.63, 0.5, 0.2 - stroke));
  return union(box, hex);
}

/** Fraction of a pixel covered by `shape`, from a 4x4 grid of samples. */
function coverage(shape: Shape, px: number, py: number, size: number): number {
  let hits = 0;
  for (let sy = 0; sy < 4; sy++) {
    for (let sx = 0; sx < 4; sx++) {
      if (shape((px + (sx + 0.5) / 4) / size, (py + (sy + 0.5) / 4) / size)) hits++;
    }
  }
  return hits / 16;
}

export const ACCENT_COLOR = '#326CE5';

function hex(color: string): [number, number, number] {
  const n = parseInt(color.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** The 192x192 full-colour icon: the white glyph on an accent-coloured rounded square. */
export function colorIcon(size = 192): Buffer {
  const [r, g, b] = hex(ACCENT_COLOR);
  const background = insideRoundedSquare(0.5, 0.5, 0.5, 0.16);
  const mark = glyph(0.055);
  const px = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const bg = coverage(background, x, y, size);
      const fg = coverage(mark, x, y, size);
      const i = (y * size + x) * 4;
      px[i] = Math.round(r + (255 - r) * fg);
      px[i + 1] = Math.round(g + (255 - g) * fg);
      px[i + 2] = Math.round(b + (255 - b) * fg);
      px[i + 3] = Math.round(255 * bg);
    }
  }
  return encodePng(size, size, px);
}

/** The 32x32 outline icon: the glyph in white on a transparent background (Teams' rule for outline icons). */
export function outlineIcon(size = 32): Buffer {
  const mark = glyph(0.075);
  const px = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      px[i] = 255;
      px[i + 1] = 255;
      px[i + 2] = 255;
      px[i + 3] = Math.round(255 * coverage(mark, x, y, size));
    }
  }
  return encodePng(size, size, px);
}
