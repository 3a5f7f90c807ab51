/**
 * The Teams app manifest (schema 1.22) for vmk's bot. Pure: the bot id, the
 * version and the public URLs come in; the manifest object goes out.
 */
import { ACCENT_COLOR } from './png.js';

export const TEAMS_MANIFEST_VERSION = '1.22';
export const TEAMS_MANIFEST_SCHEMA = `https://developer.microsoft.com/json-schemas/teams/v${TEAMS_MANIFEST_VERSION}/MicrosoftTeams.schema.json`;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ManifestInput {
  /** The bot's Microsoft App ID (MicrosoftAppId): a GUID. Also used as the Teams app id. */
  botId: string;
  /** The app version, e.g. package.json's "0.1.0". */
  version: string;
  /** The public https base URL of the vmk server (its GET / serves the playground). */
  websiteUrl: string;
  privacyUrl?: string;
  termsOfUseUrl?: string;
}

/** Commands Teams offers in the compose box; each title is sent as typed text and the core understands it. */
export const BOT_COMMANDS = [
  { title: 'advise', description: 'Start a guided recommendation: a few questions, then VMs, Kubernetes or both, with the reasons.' },
  { title: 'review', description: 'Describe your workload after "review" and get a verdict, a scorecard and the traits it was based on.' },
  { title: 'help', description: 'What vmk can answer, with example questions.' },
  { title: 'Compare isolation', description: 'How do VMs and Kubernetes compare on isolation?' },
  { title: 'When should I pick VMs?', description: 'When are virtual machines the better choice than Kubernetes?' },
  { title: 'Is Kubernetes more efficient?', description: 'Is Kubernetes more resource efficient than virtual machines?' },
] as const;

function httpsUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} must be an https URL, e.g. https://vmk.example.com/ (got "${value}")`);
  }
  if (url.protocol !== 'https:') throw new Error(`${name} must be an https URL; Teams refuses http (got "${value}")`);
  return url.toString();
}

export function buildManifest(input: ManifestInput): Record<string, unknown> {
  if (!GUID.test(input.botId)) {
    throw new Error(`The bot id must be the Microsoft App ID GUID from the Azure Bot resource, e.g. 00000000-0000-0000-0000-000000000000 (got "${input.botId}")`);
  }
  if (!/^\d+\.\d+\.\d+$/.test(input.version)) throw new Error(`The app version must look like 1.0.0 (got "${input.version}")`);
  const websiteUrl = httpsUrl('The website URL', input.websiteUrl);
  const scopes = ['personal', 'team', 'groupChat'];
  return {
    $schema: TEAMS_MANIFEST_SCHEMA,
    manifestVersion: TEAMS_MANIFEST_VERSION,
    version: input.version,
    id: input.botId.toLowerCase(),
    developer: {
      name: 'vmk',
      websiteUrl,
      privacyUrl: httpsUrl('The privacy URL', input.privacyUrl ?? websiteUrl),
      termsOfUseUrl: httpsUrl('The terms of use URL', input.termsOfUseUrl ?? websiteUrl),
    },
    name: { short: 'vmk', full: 'vmk: virtual machines or Kubernetes?' },
    description: {
      short: 'Decide whether a workload belongs on VMs, Kubernetes, or both.',
      full:
        'vmk compares virtual machines and Kubernetes on resource efficiency, isolation, portability, orchestration, ' +
        'deployment speed, maintenance, scaling and security, and helps your team decide where a workload should run. ' +
        'Ask a question, describe a workload for a review, or let vmk guide you with a few questions to a recommendation ' +
        'that shows its reasons and sources. In channels and group chats, @mention vmk.',
    },
    icons: { color: 'color.png', outline: 'outline.png' },
    accentColor: ACCENT_COLOR,
    bots: [
      {
        botId: input.botId.toLowerCase(),
        scopes,
        supportsFiles: false,
        isNotificationOnly: false,
        commandLists: [{ scopes, commands: BOT_COMMANDS.map((c) => ({ ...c })) }],
      },
    ],
    permissions: ['identity', 'messageTeamMembers'],
    validDomains: [new URL(websiteUrl).host],
  };
}
