/**
 * The Teams app package: the manifest validated offline against the official
 * schema bundled with @microsoft/app-manifest, the icon sizes read from the
 * PNG headers, the icons' pixels, and the zip layout.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { afterAll, describe, expect, it, vi } from 'vitest';
import yauzl from 'yauzl';
import { buildManifest, TEAMS_MANIFEST_SCHEMA } from '../adapters/teams/manifest.js';
import { buildTeamsPackage, main } from '../adapters/teams/package.js';
import { colorIcon, crc32, encodePng, outlineIcon, PNG_SIGNATURE } from '../adapters/teams/png.js';

const BOT_ID = '0d3b3c4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e';
const dir = mkdtempSync(join(tmpdir(), 'vmk-teams-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Schema = Parameters<typeof AppManifestUtils.validateAgainstSchema>[1];
type AppManifest = Parameters<typeof AppManifestUtils.validateAgainstSchema>[0];

/** The official 1.22 schema as shipped inside @microsoft/app-manifest (no network). */
function officialSchema(): Schema {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('@microsoft/app-manifest/package.json'));
  return JSON.parse(readFileSync(join(root, 'build/json-schemas/teams/v1.22/MicrosoftTeams.schema.json'), 'utf8')) as Schema;
}

async function validate(manifest: Record<string, unknown>): Promise<string[]> {
  return AppManifestUtils.validateAgainstSchema(manifest as unknown as AppManifest, officialSchema());
}

interface Png {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  pixels: Buffer;
}

/** Reads a PNG written by our encoder (also checks the signature and every chunk CRC). */
function readPng(buf: Buffer): Png {
  expect(buf.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  let offset = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('ascii', offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    expect(buf.readUInt32BE(offset + 8 + length)).toBe(crc32(buf.subarray(offset + 4, offset + 8 + length)));
    if (type === 'IHDR') ihdr = data;
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  if (!ihdr) throw new Error('no IHDR');
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0);
    raw.copy(pixels, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
  }
  return { width, height, bitDepth: ihdr[8] ?? -1, colorType: ihdr[9] ?? -1, pixels };
}

function readZip(path: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const files = new Map<string, Buffer>();
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no zip'));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(files));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

describe('Teams manifest', () => {
  const manifest = buildManifest({ botId: BOT_ID, version: '0.1.0', websiteUrl: 'https://vmk.example.com' });

  it('passes the official 1.22 schema', async () => {
    expect(manifest.$schema).toBe(TEAMS_MANIFEST_SCHEMA);
    expect(manifest.manifestVersion).toBe('1.22');
    expect(await validate(manifest)).toEqual([]);
  });

  it('the validator catches a broken manifest (so the check above can fail)', async () => {
    const broken = { ...manifest, accentColor: 'blue', name: { short: 'x'.repeat(40) } };
    const errors = await validate(broken);
    expect(errors.length).toBeGreaterThanOrEqual(2);
  });

  it('declares the bot in personal, team and group chat scopes with advise, review, help and examples', () => {
    const bots = manifest.bots as { botId: string; scopes: string[]; commandLists: { commands: { title: string }[] }[] }[];
    expect(bots[0]?.botId).toBe(BOT_ID);
    expect(bots[0]?.scopes).toEqual(['personal', 'team', 'groupChat']);
    const titles = bots[0]?.commandLists[0]?.commands.map((c) => c.title) ?? [];
    expect(titles.slice(0, 3)).toEqual(['advise', 'review', 'help']);
    expect(titles.length).toBeGreaterThanOrEqual(5);
    for (const t of titles) expect(t.length).toBeLessThanOrEqual(32);
  });

  it('refuses a bot id that is not a GUID and http URLs, saying how to fix it', () => {
    expect(() => buildManifest({ botId: 'my-bot', version: '0.1.0', websiteUrl: 'https://vmk.example.com' })).toThrow(/Microsoft App ID GUID/);
    expect(() => buildManifest({ botId: BOT_ID, version: '0.1.0', websiteUrl: 'http://vmk.example.com' })).toThrow(/https/);
  });
});

describe('Teams icons', () => {
  it('color.png is 192x192 RGBA', () => {
    const png = readPng(colorIcon());
    expect([png.width, png.height, png.bitDepth, png.colorType]).toEqual([192, 192, 8, 6]);
  });

  it('outline.png is 32x32, white on transparent, with a visible mark', () => {
    const png = readPng(outlineIcon());
    expect([png.width, png.height]).toEqual([32, 32]);
    let opaque = 0;
    let transparent = 0;
    for (let i = 0; i < png.pixels.length; i += 4) {
      expect([png.pixels[i], png.pixels[i + 1], png.pixels[i + 2]]).toEqual([255, 255, 255]);
      if (png.pixels[i + 3] === 255) opaque++;
      if (png.pixels[i + 3] === 0) transparent++;
    }
    expect(opaque).toBeGreaterThan(50);
    expect(transparent).toBeGreaterThan(32 * 32 * 0.5);
  });

  it('encodes arbitrary pixels losslessly', () => {
    const px = new Uint8Array(5 * 3 * 4).map((_, i) => (i * 37) % 256);
    expect(readPng(encodePng(5, 3, px)).pixels.equals(Buffer.from(px))).toBe(true);
    expect(() => encodePng(5, 3, new Uint8Array(10))).toThrow(/expected 60/);
  });
});

describe('Teams package', () => {
  it('zips manifest.json, color.png and outline.png at the root', async () => {
    const { path } = await buildTeamsPackage({ botId: BOT_ID, version: '0.1.0', websiteUrl: 'https://vmk.example.com', out: join(dir, 'a.zip') });
    const files = await readZip(path);
    expect([...files.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(files.get('manifest.json')?.toString('utf8') ?? '{}') as Record<string, unknown>;
    expect(await validate(manifest)).toEqual([]);
    const icons = manifest.icons as { color: string; outline: string };
    expect(readPng(files.get(icons.color) ?? Buffer.alloc(0)).width).toBe(192);
    expect(readPng(files.get(icons.outline) ?? Buffer.alloc(0)).width).toBe(32);
  });

  it('builds the same bytes from the same inputs', async () => {
    const a = await buildTeamsPackage({ botId: BOT_ID, version: '0.1.0', websiteUrl: 'https://vmk.example.com', out: join(dir, 'b1.zip') });
    const b = await buildTeamsPackage({ botId: BOT_ID, version: '0.1.0', websiteUrl: 'https://vmk.example.com', out: join(dir, 'b2.zip') });
    expect(readFileSync(a.path).equals(readFileSync(b.path))).toBe(true);
  });
});

describe('teams:package command line', () => {
  const run = async (argv: string[], appId: string | undefined | (() => string | undefined)) => {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((m: unknown) => void out.push(String(m)));
    const err = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void out.push(String(m)));
    try {
      const code = await main(argv, typeof appId === 'function' ? appId : () => appId);
      return { code, text: out.join('\n') };
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  };

  it('fails clearly when MicrosoftAppId is unset and no --dev-id is given', async () => {
    const r = await run(['--base-url', 'https://vmk.example.com', '--out', join(dir, 'c.zip')], undefined);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/MicrosoftAppId is not set/);
    expect(r.text).toMatch(/--dev-id/);
  });

  it('uses --dev-id when MicrosoftAppId is unset', async () => {
    const out = join(dir, 'd.zip');
    const r = await run(['--base-url', 'https://vmk.example.com', '--dev-id', '11111111-2222-3333-4444-555555555555', '--out', out], undefined);
    expect(r.code).toBe(0);
    const manifest = JSON.parse((await readZip(out)).get('manifest.json')?.toString() ?? '{}') as { bots: { botId: string }[] };
    expect(manifest.bots[0]?.botId).toBe('11111111-2222-3333-4444-555555555555');
  });

  it('takes the bot id from MicrosoftAppId', async () => {
    const out = join(dir, 'e.zip');
    const r = await run(['--base-url', 'https://vmk.example.com', '--out', out], BOT_ID);
    expect(r.code).toBe(0);
    expect(r.text).toContain(BOT_ID);
    const manifest = JSON.parse((await readZip(out)).get('manifest.json')?.toString() ?? '{}') as { id: string };
    expect(manifest.id).toBe(BOT_ID);
  });

  it('asks for --base-url, and reports a bad one or a bad configuration without a stack trace', async () => {
    expect((await run(['--out', join(dir, 'f.zip')], BOT_ID)).text).toMatch(/--base-url is required/);
    const bad = await run(['--base-url', 'http://vmk.example.com', '--out', join(dir, 'g.zip')], BOT_ID);
    expect(bad.code).toBe(1);
    expect(bad.text).toMatch(/must be an https URL/);
    const config = await run(['--base-url', 'https://vmk.example.com'], () => {
      throw new Error('vmk cannot start: 1 configuration problem');
    });
    expect(config.code).toBe(1);
    expect(config.text).toBe('vmk cannot start: 1 configuration problem');
    expect((await run(['--bogus'], BOT_ID)).code).toBe(2);
  });
});
