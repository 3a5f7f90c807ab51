/**
 * Builds the Teams app package: `build/vmk-teams.zip` holding manifest.json,
 * color.png (192x192) and outline.png (32x32) at the zip root, ready to
 * side-load or upload to the Teams admin centre.
 *
 *   npm run teams:package -- --base-url https://vmk.example.com
 *   npm run teams:package -- --base-url https://vmk.example.com --dev-id 00000000-0000-0000-0000-000000000001
 *
 * The bot id is MicrosoftAppId from the environment (or .env), read through
 * the project's one configuration loader.
 */
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import yazl from 'yazl';
import { loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { buildManifest } from './manifest.js';
import { colorIcon, outlineIcon } from './png.js';

export const DEFAULT_PACKAGE_PATH = join(PROJECT_ROOT, 'build', 'vmk-teams.zip');

export interface PackageOptions {
  botId: string;
  version: string;
  websiteUrl: string;
  privacyUrl?: string;
  termsOfUseUrl?: string;
  /** Where to write the zip (default build/vmk-teams.zip). */
  out?: string;
}

/** A fixed timestamp so the same inputs give the same zip bytes. */
const FIXED_MTIME = new Date('2025-01-01T00:00:00Z');

export async function buildTeamsPackage(opts: PackageOptions): Promise<{ path: string; manifest: Record<string, unknown> }> {
  const manifest = buildManifest(opts);
  const out = resolve(opts.out ?? DEFAULT_PACKAGE_PATH);
  mkdirSync(dirname(out), { recursive: true });
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), 'manifest.json', { mtime: FIXED_MTIME });
  zip.addBuffer(colorIcon(), 'color.png', { mtime: FIXED_MTIME });
  zip.addBuffer(outlineIcon(), 'outline.png', { mtime: FIXED_MTIME });
  zip.end();
  await new Promise<void>((resolveWrite, reject) => {
    const stream = createWriteStream(out);
    stream.on('error', reject);
    stream.on('close', () => resolveWrite());
    zip.outputStream.on('error', reject).pipe(stream);
  });
  return { path: out, manifest };
}

const USAGE = `Usage: npm run teams:package -- --base-url <https URL> [--dev-id <GUID>] [--privacy-url <URL>] [--terms-url <URL>] [--out <file>]

  --base-url     The public https URL of your vmk server (the bot's messaging endpoint is <base-url>/api/messages).
                 Used as the developer website, and as the privacy and terms pages unless given below.
  --dev-id       A bot id to use when MicrosoftAppId is not set (a GUID; for trying the package out).
  --privacy-url  Your privacy statement (https).
  --terms-url    Your terms of use (https).
  --out          Where to write the zip (default build/vmk-teams.zip).`;

function projectVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/**
 * The command line. `appIdFromConfig` reads MicrosoftAppId (the real entry
 * point passes the configuration loader; tests pass a value).
 */
export async function main(argv: string[], appIdFromConfig: () => string | undefined): Promise<number> {
  let values: { 'base-url'?: string; 'dev-id'?: string; 'privacy-url'?: string; 'terms-url'?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'base-url': { type: 'string' },
        'dev-id': { type: 'string' },
        'privacy-url': { type: 'string' },
        'terms-url': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let appId: string | undefined;
  try {
    appId = appIdFromConfig();
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
  const botId = appId ?? values['dev-id'];
  if (!botId) {
    console.error(
      'MicrosoftAppId is not set, so the package would have no bot id.\n' +
        'Set MicrosoftAppId (the Microsoft App ID of your Azure Bot resource) in the environment or in .env,\n' +
        'or pass --dev-id <GUID> to build a package for trying things out.',
    );
    return 1;
  }
  if (appId && values['dev-id'] && values['dev-id'] !== appId) {
    console.error(`Using MicrosoftAppId ${appId}; --dev-id is only used when MicrosoftAppId is unset.`);
  }
  if (!values['base-url']) {
    console.error(
      `--base-url is required: the public https URL of your vmk server, e.g. --base-url https://vmk.example.com\n` +
        `(Teams requires https developer, privacy and terms URLs in every app package.)\n\n${USAGE}`,
    );
    return 1;
  }
  try {
    const { path } = await buildTeamsPackage({
      botId,
      version: projectVersion(),
      websiteUrl: values['base-url'],
      ...(values['privacy-url'] ? { privacyUrl: values['privacy-url'] } : {}),
      ...(values['terms-url'] ? { termsOfUseUrl: values['terms-url'] } : {}),
      ...(values.out ? { out: values.out } : {}),
    });
    console.log(`Wrote ${path} (bot id ${botId}). Side-load it in Teams: Apps > Manage your apps > Upload an app.`);
    return 0;
  } catch (err) {
    console.error(`Could not build the Teams package: ${(err as Error).message}`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2), () => loadConfig().teams.appId);
}
