import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SLACK_EVENTS_PATH } from '../adapters/slack/index.js';
import { SLACK_COMMAND, SLACK_EVENTS, SLACK_SCOPES } from '../adapters/slack/constants.js';

interface Manifest {
  _metadata: { major_version: number };
  display_information: { name: string; description: string; long_description?: string; background_color: string };
  features: {
    bot_user: { display_name: string; always_online: boolean };
    app_home: { home_tab_enabled: boolean; messages_tab_enabled: boolean; messages_tab_read_only_enabled: boolean };
    slash_commands: { command: string; url: string; description: string; usage_hint: string; should_escape: boolean }[];
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url: string };
    socket_mode_enabled: boolean;
    org_deploy_enabled: boolean;
    token_rotation_enabled: boolean;
  };
}

const manifest = JSON.parse(readFileSync(new URL('../manifest.json', import.meta.url), 'utf8')) as Manifest;
const source = (file: string) => readFileSync(new URL(`../adapters/slack/${file}`, import.meta.url), 'utf8');

describe('manifest.json agrees with the Slack adapter', () => {
  it('declares exactly the command the adapter registers, with a usage hint', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual([SLACK_COMMAND]);
    const cmd = manifest.features.slash_commands[0]!;
    expect(cmd.usage_hint).toBe('[question | workload description | help]');
    expect(cmd.should_escape).toBe(false);
    expect(new URL(cmd.url).pathname).toBe(SLACK_EVENTS_PATH);
    // The registration uses the constant, not a literal of its own.
    expect(source('index.ts')).toMatch(/bolt\.command\(SLACK_COMMAND,/);
  });

  it('subscribes to exactly the events the adapter listens to', () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual([...SLACK_EVENTS].sort());
    expect(source('index.ts')).toMatch(/for \(const name of SLACK_EVENTS\) registerEvent\[name\]\(\)/);
  });

  it('asks for exactly the scopes the adapter needs', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...SLACK_SCOPES].sort());
    expect([...SLACK_SCOPES].sort()).toEqual(['app_mentions:read', 'chat:write', 'commands', 'im:history']);
    // Every Web API method the adapter calls is covered by chat:write (views.publish needs no scope).
    const calls = new Set([...['deliver.ts', 'turns.ts'].flatMap((f) => [...source(f).matchAll(/client\.(\w+)\.(\w+)\(/g)].map((m) => `${m[1]}.${m[2]}`))]);
    expect([...calls].sort()).toEqual(['chat.postEphemeral', 'chat.postMessage', 'chat.update', 'views.publish']);
  });

  it('points events and interactivity at the one endpoint, with App Home and a bot user', () => {
    expect(new URL(manifest.settings.event_subscriptions.request_url).pathname).toBe(SLACK_EVENTS_PATH);
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: manifest.settings.event_subscriptions.request_url });
    expect(manifest.features.app_home).toEqual({ home_tab_enabled: true, messages_tab_enabled: true, messages_tab_read_only_enabled: false });
    expect(manifest.features.bot_user.display_name).toBe('vmk');
    expect(manifest._metadata.major_version).toBe(1);
    expect(manifest.settings).toMatchObject({ socket_mode_enabled: false, org_deploy_enabled: false, token_rotation_enabled: false });
  });

  it('stays within Slack manifest limits', () => {
    expect(manifest.display_information.name.length).toBeLessThanOrEqual(35);
    expect(manifest.display_information.description.length).toBeLessThanOrEqual(140);
    expect(manifest.display_information.long_description?.length ?? 175).toBeGreaterThanOrEqual(175);
    expect(manifest.display_information.background_color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(manifest.features.slash_commands[0]!.description.length).toBeLessThanOrEqual(100);
  });
});
