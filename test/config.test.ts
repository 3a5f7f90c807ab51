import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, describeConfig, describePlatforms, loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { createLogger, memoryDestination } from '../src/log.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmk-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Loads with no .env file and a fixed TTY answer. */
function load(env: Record<string, string | undefined>, isTTY = false) {
  return loadConfig(env, { envFile: null, isTTY });
}

function problemsOf(env: Record<string, string | undefined>): ConfigError['problems'] {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const SECRETS = {
  SLACK_SIGNING_SECRET: 'sig-5ecret-value-123',
  SLACK_BOT_TOKEN: 'xoxb-111-222-bottokensecret',
  SLACK_APP_TOKEN: 'xapp-1-A1-apptokensecret',
  MicrosoftAppId: '00000000-0000-0000-0000-000000000001',
  MicrosoftAppPassword: 'teams-pa55word-secret',
  MicrosoftAppType: 'SingleTenant',
  MicrosoftAppTenantId: '00000000-0000-0000-0000-0000000000aa',
  REDIS_URL: 'redis://default:redis-pa55@localhost:6390/0',
  VMK_PLAYGROUND_SECRET: 'playground-5ecret-0123456789abcdefghij',
};

describe('loadConfig', () => {
  it('starts with nothing set: defaults everywhere, Slack off, Teams off', () => {
    const c = load({});
    expect(c.server).toEqual({ port: 3978, host: '0.0.0.0', maxBodyBytes: 1024 * 1024, shutdownGraceMs: 10_000, trustProxy: 0 });
    expect(c.log).toEqual({ level: 'info', format: 'json' });
    expect(c.store).toEqual({ kind: 'sqlite', dataDir: resolve('./data') });
    expect(c.dialogTtlMs).toBe(24 * 3_600_000);
    expect(c.slack).toBeNull();
    expect(c.teams).toEqual({ appType: 'MultiTenant', local: 'off' });
    expect(c.nodeEnv).toBe('development');
    expect(c.playground).toEqual({ enabled: true, rateLimitPerMinute: 60 });
  });

  it('turns the playground off by default in production; VMK_PLAYGROUND decides when set', () => {
    expect(load({ NODE_ENV: 'production' }).playground.enabled).toBe(false);
    expect(load({ NODE_ENV: 'production', VMK_PLAYGROUND: 'on' }).playground.enabled).toBe(true);
    expect(load({ VMK_PLAYGROUND: 'off' }).playground.enabled).toBe(false);
    expect(load({ VMK_PLAYGROUND_RATE_LIMIT: '0', VMK_TRUST_PROXY: '1', VMK_PLAYGROUND_SECRET: SECRETS.VMK_PLAYGROUND_SECRET })).toMatchObject({
      playground: { enabled: true, rateLimitPerMinute: 0, secret: SECRETS.VMK_PLAYGROUND_SECRET },
      server: { trustProxy: 1 },
    });
    const problems = problemsOf({ VMK_PLAYGROUND: 'yes', VMK_PLAYGROUND_SECRET: 'short', VMK_PLAYGROUND_RATE_LIMIT: 'lots' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['VMK_PLAYGROUND', 'VMK_PLAYGROUND_RATE_LIMIT', 'VMK_PLAYGROUND_SECRET']);
    expect(JSON.stringify(problems)).toMatch(/at least 32 characters; generate one with/);
    expect(JSON.stringify(problems)).not.toContain('short"');
  });

  it('picks pretty logs in a terminal, JSON in production or when not a terminal', () => {
    expect(load({}, true).log.format).toBe('pretty');
    expect(load({ NODE_ENV: 'production' }, true).log.format).toBe('json');
    expect(load({}, false).log.format).toBe('json');
    expect(load({ LOG_FORMAT: 'pretty' }, false).log.format).toBe('pretty');
  });

  it('defaults the store to redis when REDIS_URL is set, and honours VMK_STORE', () => {
    expect(load({ REDIS_URL: 'redis://localhost:6379' }).store).toEqual({ kind: 'redis', dataDir: resolve('./data'), redisUrl: 'redis://localhost:6379' });
    expect(load({ REDIS_URL: 'redis://localhost:6379', VMK_STORE: 'sqlite' }).store.kind).toBe('sqlite');
    expect(load({ VMK_STORE: 'memory' }).store.kind).toBe('memory');
  });

  it('parses numbers and treats blank values as unset', () => {
    const c = load({ PORT: '8080', VMK_DIALOG_TTL_HOURS: '0.5', VMK_SHUTDOWN_GRACE_MS: '250', VMK_MAX_BODY_BYTES: '4096', HOST: '', LOG_LEVEL: '  ' });
    expect(c.server).toEqual({ port: 8080, host: '0.0.0.0', maxBodyBytes: 4096, shutdownGraceMs: 250, trustProxy: 0 });
    expect(c.dialogTtlMs).toBe(30 * 60_000);
    expect(c.log.level).toBe('info');
  });

  it('turns Slack on in HTTP mode with a bot token and signing secret, Socket Mode with an app token', () => {
    expect(load({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack).toEqual({ mode: 'http', botToken: 'xoxb-1', signingSecret: 's' });
    expect(load({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', SLACK_API_URL: 'http://127.0.0.1:9/api/' }).slack).toEqual({
      mode: 'socket',
      botToken: 'xoxb-1',
      appToken: 'xapp-1',
      apiUrl: 'http://127.0.0.1:9/api/',
    });
  });

  it('reads the Slack call time limit, and says how to fix a bad one', () => {
    expect(load({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', VMK_SLACK_TIMEOUT_MS: '2500' }).slack).toEqual({ mode: 'http', botToken: 'xoxb-1', signingSecret: 's', timeoutMs: 2500 });
    expect(load({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack?.timeoutMs).toBeUndefined();
    for (const bad of ['0', '50', '600000', 'soon']) {
      const problems = problemsOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', VMK_SLACK_TIMEOUT_MS: bad });
      expect(problems.map((p) => p.variable)).toEqual(['VMK_SLACK_TIMEOUT_MS']);
      expect(problems[0]?.message).toMatch(/milliseconds, e\.g\. 4000/);
    }
  });

  it('configures Teams from the Bot Framework variables', () => {
    // Azure creates new bots as single tenant: that is the default once there is an app id.
    expect(load({ MicrosoftAppId: 'app', MicrosoftAppPassword: 'pw', MicrosoftAppTenantId: 't' }).teams).toEqual({ appId: 'app', appPassword: 'pw', appType: 'SingleTenant', tenantId: 't', local: 'off' });
    expect(load({ MicrosoftAppId: 'app', MicrosoftAppPassword: 'pw', MicrosoftAppType: 'MultiTenant' }).teams).toEqual({ appId: 'app', appPassword: 'pw', appType: 'MultiTenant', local: 'off' });
    expect(load({ MicrosoftAppId: 'app', MicrosoftAppType: 'UserAssignedMsi', MicrosoftAppTenantId: 't' }).teams).toEqual({
      appId: 'app',
      appType: 'UserAssignedMsi',
      tenantId: 't',
      local: 'off',
    });
  });

  it('turns Teams local mode on only when asked, for clients on this machine unless allowed from any', () => {
    expect(load({ VMK_TEAMS_LOCAL: 'on' }).teams.local).toBe('loopback');
    expect(load({ VMK_TEAMS_LOCAL: 'on', VMK_TEAMS_LOCAL_CLIENTS: 'any' }).teams.local).toBe('any');
    expect(load({ VMK_TEAMS_LOCAL: 'off' }).teams.local).toBe('off');
    expect(load({ VMK_TEAMS_LOCAL_CLIENTS: 'any' }).teams.local).toBe('off');
    expect(describePlatforms(load({})).find((p) => p.platform === 'teams')?.message).toMatch(/^Teams: off \(\/api\/messages answers 404\).*VMK_TEAMS_LOCAL=on/);
    expect(describePlatforms(load({ VMK_TEAMS_LOCAL: 'on' })).find((p) => p.platform === 'teams')?.message).toMatch(/^Teams: local mode only.*clients on this machine only/);
    expect(problemsOf({ VMK_TEAMS_LOCAL: 'yes' })).toEqual([{ variable: 'VMK_TEAMS_LOCAL', message: expect.stringMatching(/must be one of on, off/) }]);
    expect(problemsOf({ MicrosoftAppId: 'a', MicrosoftAppPassword: 'p', MicrosoftAppTenantId: 't', VMK_TEAMS_LOCAL: 'on' })).toEqual([
      { variable: 'VMK_TEAMS_LOCAL', message: expect.stringMatching(/MicrosoftAppId is set.*unset VMK_TEAMS_LOCAL/) },
    ]);
  });

  it('lists every problem at once, each naming the variable and how to fix it', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      VMK_STORE: 'postgres',
      REDIS_URL: 'http://localhost:6379',
      VMK_DIALOG_TTL_HOURS: '0',
      VMK_SHUTDOWN_GRACE_MS: '-5',
      VMK_MAX_BODY_BYTES: '10',
      SLACK_BOT_TOKEN: 'xoxp-user-token',
      SLACK_APP_TOKEN: 'bad',
      SLACK_API_URL: 'not a url',
      MicrosoftAppType: 'Single',
    });
    const byVar = Object.fromEntries(problems.map((p) => [p.variable, p.message]));
    expect(Object.keys(byVar).sort()).toEqual(
      [
        'LOG_LEVEL',
        'MicrosoftAppType',
        'PORT',
        'REDIS_URL',
        'SLACK_API_URL',
        'SLACK_APP_TOKEN',
        'SLACK_BOT_TOKEN',
        'VMK_DIALOG_TTL_HOURS',
        'VMK_MAX_BODY_BYTES',
        'VMK_SHUTDOWN_GRACE_MS',
        'VMK_STORE',
      ].sort(),
    );
    expect(byVar.PORT).toMatch(/whole number.*3978/);
    expect(byVar.LOG_LEVEL).toMatch(/one of fatal, error, warn, info, debug, trace, silent/);
    expect(byVar.VMK_STORE).toMatch(/sqlite, redis, memory/);
    expect(byVar.REDIS_URL).toMatch(/redis:\/\/ or rediss:\/\/ URL/);
    expect(byVar.SLACK_BOT_TOKEN).toMatch(/starting with "xoxb-"/);
    expect(byVar.SLACK_APP_TOKEN).toMatch(/starting with "xapp-"/);
    expect(byVar.MicrosoftAppType).toMatch(/MultiTenant, SingleTenant, UserAssignedMsi/);
  });

  it('the thrown message lists all problems and points to the README', () => {
    let message = '';
    try {
      load({ PORT: '70000', LOG_FORMAT: 'xml' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/2 configuration problems/);
    expect(message).toMatch(/PORT: must be at most 65535/);
    expect(message).toMatch(/LOG_FORMAT: must be one of json, pretty/);
    expect(message).toMatch(/README\.md/);
  });

  it('runs the cross-field checks even when single values are bad, so one message has everything', () => {
    const problems = problemsOf({
      PORT: 'abc',
      SLACK_BOT_TOKEN: 'xoxb-1',
      MicrosoftAppId: 'id',
      MicrosoftAppPassword: 'pw',
      MicrosoftAppType: 'SingleTenant',
      VMK_STORE: 'redis',
    });
    expect(problems.map((p) => p.variable)).toEqual(['PORT', 'REDIS_URL', 'SLACK_SIGNING_SECRET', 'MicrosoftAppTenantId']);
    // A value that is present but malformed is reported once, not also as missing.
    expect(problemsOf({ SLACK_BOT_TOKEN: 'xoxp-1', SLACK_SIGNING_SECRET: 's' }).map((p) => p.variable)).toEqual(['SLACK_BOT_TOKEN']);
    expect(problemsOf({ REDIS_URL: 'http://x' }).map((p) => p.variable)).toEqual(['REDIS_URL']);
  });

  it('a bot token without a signing secret or app token says what to add', () => {
    const problems = problemsOf({ SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.variable).toBe('SLACK_SIGNING_SECRET');
    expect(problems[0]?.message).toMatch(/add SLACK_SIGNING_SECRET.*or SLACK_APP_TOKEN/);
  });

  it('a signing secret or app token without a bot token asks for the bot token', () => {
    expect(problemsOf({ SLACK_SIGNING_SECRET: 's' })[0]).toMatchObject({ variable: 'SLACK_BOT_TOKEN', message: expect.stringMatching(/add SLACK_BOT_TOKEN/) });
    expect(problemsOf({ SLACK_APP_TOKEN: 'xapp-1' })[0]).toMatchObject({ variable: 'SLACK_BOT_TOKEN' });
  });

  it('checks the Teams combinations', () => {
    expect(problemsOf({ MicrosoftAppId: 'a', MicrosoftAppPassword: 'p', MicrosoftAppType: 'SingleTenant' })).toEqual([
      { variable: 'MicrosoftAppTenantId', message: expect.stringMatching(/SingleTenant, so set MicrosoftAppTenantId/) },
    ]);
    expect(problemsOf({ MicrosoftAppId: 'a', MicrosoftAppPassword: 'p' })).toEqual([
      { variable: 'MicrosoftAppTenantId', message: expect.stringMatching(/defaults to SingleTenant.*set MicrosoftAppTenantId.*MicrosoftAppType=MultiTenant/) },
    ]);
    expect(problemsOf({ MicrosoftAppId: 'a', MicrosoftAppTenantId: 't' })).toEqual([{ variable: 'MicrosoftAppPassword', message: expect.stringMatching(/set MicrosoftAppPassword/) }]);
    expect(problemsOf({ MicrosoftAppPassword: 'p' })).toEqual([{ variable: 'MicrosoftAppId', message: expect.stringMatching(/MicrosoftAppId is missing/) }]);
    expect(problemsOf({ VMK_STORE: 'redis' })).toEqual([{ variable: 'REDIS_URL', message: expect.stringMatching(/set REDIS_URL/) }]);
  });

  it('reads a .env file on purpose; the real environment wins over it', () => {
    const file = join(tmp, 'app.env');
    writeFileSync(file, ['# comment', 'PORT=4000', 'LOG_LEVEL=debug', 'export VMK_STORE=memory', 'SLACK_BOT_TOKEN="xoxb-from-file"', 'SLACK_SIGNING_SECRET=file-secret # inline comment', ''].join('\n'));
    const c = loadConfig({ PORT: '5000' }, { envFile: file, isTTY: false });
    expect(c.server.port).toBe(5000);
    expect(c.log.level).toBe('debug');
    expect(c.store.kind).toBe('memory');
    expect(c.slack).toEqual({ mode: 'http', botToken: 'xoxb-from-file', signingSecret: 'file-secret' });
  });

  it('does not read a .env file unless asked, and a missing file is not an error', () => {
    const file = join(tmp, 'other.env');
    writeFileSync(file, 'PORT=4001\n');
    expect(loadConfig({}, { isTTY: false }).server.port).toBe(3978);
    expect(loadConfig({}, { envFile: join(tmp, 'missing.env'), isTTY: false }).server.port).toBe(3978);
  });

  it('reports bad values that come from the .env file too', () => {
    const file = join(tmp, 'bad.env');
    writeFileSync(file, 'PORT=abc\nMicrosoftAppType=Nope\n');
    let problems: ConfigError['problems'] = [];
    try {
      loadConfig({}, { envFile: file, isTTY: false });
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems.map((p) => p.variable).sort()).toEqual(['MicrosoftAppType', 'PORT']);
  });

  it('knows every variable the README table documents', () => {
    expect(CONFIG_VARIABLES).toEqual(
      expect.arrayContaining(['PORT', 'HOST', 'LOG_LEVEL', 'LOG_FORMAT', 'NODE_ENV', 'VMK_DATA_DIR', 'VMK_STORE', 'REDIS_URL', 'VMK_DIALOG_TTL_HOURS', 'VMK_SHUTDOWN_GRACE_MS', 'VMK_MAX_BODY_BYTES', 'SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_API_URL', 'VMK_SLACK_TIMEOUT_MS', 'MicrosoftAppId', 'MicrosoftAppPassword', 'MicrosoftAppType', 'MicrosoftAppTenantId', 'VMK_TEAMS_LOCAL', 'VMK_TEAMS_LOCAL_CLIENTS']),
    );
  });
});

describe('the documentation of the configuration', () => {
  const root = resolve(import.meta.dirname, '..');
  it('README.md\'s table and .env.example name exactly the variables of the schema', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const inTable = [...section.matchAll(/^\| `([A-Za-z_]+)` \|/gm)].map((m) => m[1]);
    expect([...inTable].sort()).toEqual([...CONFIG_VARIABLES].sort());
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const inExample = [...example.matchAll(/^#?\s?([A-Za-z_]+)=/gm)].map((m) => m[1]);
    expect([...new Set(inExample)].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});

describe('describeConfig and the logger', () => {
  const secretValues = ['sig-5ecret-value-123', 'bottokensecret', 'apptokensecret', 'teams-pa55word-secret', 'redis-pa55', 'playground-5ecret'];

  it('redacts every secret in describeConfig', () => {
    const c = load(SECRETS);
    const described = describeConfig(c);
    const text = JSON.stringify(described);
    for (const s of secretValues) expect(text).not.toContain(s);
    expect(described).toMatchObject({
      slack: { mode: 'socket', botToken: '[redacted]', signingSecret: '[redacted]', appToken: '[redacted]' },
      teams: { mode: 'authenticated', appId: SECRETS.MicrosoftAppId, appPassword: '[redacted]', tenantId: SECRETS.MicrosoftAppTenantId },
      store: { kind: 'redis', redisUrl: expect.stringContaining('localhost:6390') },
      playground: { enabled: true, secret: '[redacted]' },
    });
    expect(describeConfig(load({})).playground).toMatchObject({ secret: 'generated at start-up' });
  });

  it('keeps secrets out of a captured log, even when a whole config or headers are logged by mistake', async () => {
    const c = load(SECRETS);
    const dest = memoryDestination();
    const logger = await createLogger({ level: 'debug', format: 'json' }, { destination: dest });
    logger.info({ config: describeConfig(c) }, 'configuration');
    logger.info({ slack: c.slack, teams: c.teams, playground: c.playground }, 'raw config logged by mistake');
    logger.info({ req: { headers: { authorization: 'Bearer teams-pa55word-secret' } } }, 'request');
    logger.child({ platform: 'slack' }).warn({ token: 'xoxb-111-222-bottokensecret' }, 'child');
    const text = dest.text();
    expect(dest.lines).toHaveLength(4);
    for (const s of secretValues) expect(text).not.toContain(s);
    expect(text).toContain('[redacted]');
  });

  it('describes which platforms are on, and which variables turn the others on', () => {
    const none = describePlatforms(load({}));
    expect(none.map((p) => p.on)).toEqual([false, false]);
    expect(none[0]?.message).toMatch(/SLACK_BOT_TOKEN.*SLACK_SIGNING_SECRET.*SLACK_APP_TOKEN/);
    expect(none[1]?.message).toMatch(/MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId/);
    const both = describePlatforms(load(SECRETS));
    expect(both.map((p) => p.on)).toEqual([true, true]);
    expect(JSON.stringify(both)).not.toContain('teams-pa55word-secret');
    const older = describePlatforms(load({ MicrosoftAppId: 'a', MicrosoftAppPassword: 'p', MicrosoftAppType: 'MultiTenant' }));
    expect(older[1]?.message).toMatch(/MultiTenant works only for a bot registered as multi-tenant before/);
  });
});
