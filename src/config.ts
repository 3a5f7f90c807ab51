/**
 * vmk's configuration: one zod schema over the environment, read once at
 * start-up and passed down as a typed object. This is the only file that reads
 * process.env.
 *
 * An optional `.env` file is read on purpose (node:util parseEnv), never as a
 * side effect of importing something; a variable set in the real environment
 * wins over the same variable in the file.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { ConfigError } from './errors.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const STORE_KINDS = ['sqlite', 'redis', 'memory'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];
export const TEAMS_APP_TYPES = ['MultiTenant', 'SingleTenant', 'UserAssignedMsi'] as const;
export type TeamsAppType = (typeof TEAMS_APP_TYPES)[number];

export interface SlackConfig {
  /** 'http': events arrive at POST /slack/events; 'socket': Socket Mode over a WebSocket. */
  mode: 'http' | 'socket';
  signingSecret?: string;
  botToken: string;
  appToken?: string;
  /** Web API base URL, e.g. https://slack.com/api/ (GovSlack-style deployments, tests). */
  apiUrl?: string;
  /** Acked events and clicks waiting for a turn before new ones get 503 (default 1,000; see adapters/slack). */
  maxQueuedTurns?: number;
  /** Turns of acked events and clicks answered at the same time (default 32). */
  maxConcurrentTurns?: number;
  /** Time limit of one Web API or response_url call, in ms (VMK_SLACK_TIMEOUT_MS, default 4,000). */
  timeoutMs?: number;
  /** How long the oldest unanswered event or click may wait before /readyz says the queue is stuck (default 30 s; see adapters/slack). */
  queueStuckMs?: number;
}

export const TEAMS_LOCAL_CLIENTS = ['loopback', 'any'] as const;

export interface TeamsConfig {
  /** The bot's app id: Teams on, with Bot Framework authentication. */
  appId?: string;
  appPassword?: string;
  appType: TeamsAppType;
  tenantId?: string;
  /**
   * Local mode (no app id, no authentication; the Bot Framework Emulator and
   * tests): 'off' unless VMK_TEAMS_LOCAL=on. 'loopback' accepts activities
   * only from clients on this machine; 'any' (VMK_TEAMS_LOCAL_CLIENTS=any) from
   * any client. Either way replies go only to a loopback serviceUrl.
   */
  local: 'off' | 'loopback' | 'any';
}

export interface PlaygroundConfig {
  /** Serve the web playground (GET / and POST /api/playground/turn); off: both answer 404. */
  enabled: boolean;
  /**
   * Signs the identity cookie each browser gets. Unset: a random secret made
   * at start-up (identities then last until the process restarts, and each
   * instance has its own). Never logged.
   */
  secret?: string;
  /** Turns one client address may send per minute (0: no limit). */
  rateLimitPerMinute: number;
}

export interface Config {
  nodeEnv: string;
  server: {
    port: number;
    host: string;
    maxBodyBytes: number;
    shutdownGraceMs: number;
    /** Reverse proxies in front of vmk whose X-Forwarded-For is trusted for the client address (0: none). */
    trustProxy: number;
  };
  log: { level: LogLevel; format: 'json' | 'pretty' };
  store: { kind: StoreKind; dataDir: string; redisUrl?: string };
  /** GET /metrics (Prometheus text format): on unless VMK_METRICS=off; with a token, only for `Authorization: Bearer <token>`. */
  metrics: { enabled: boolean; token?: string };
  dialogTtlMs: number;
  slack: SlackConfig | null;
  teams: TeamsConfig;
  playground: PlaygroundConfig;
}

export interface LoadConfigOptions {
  /**
   * A .env file to read. Defaults to `.env` in the working directory when
   * reading process.env, and to none when an explicit env object is passed.
   * `null` reads no file. A missing file is not an error.
   */
  envFile?: string | null;
  /** Whether stdout is a terminal (chooses the default LOG_FORMAT). */
  isTTY?: boolean;
}

const MIB = 1024 * 1024;

/** Blank values (`FOO=` in a .env file) count as unset. */
function blank(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  return t === '' ? undefined : t;
}

const text = () => z.preprocess(blank, z.string().optional());

function integer(opts: { min: number; max: number; fix: string }) {
  return z.preprocess(
    blank,
    z
      .string()
      .regex(/^\d+$/, `must be a whole number; ${opts.fix}`)
      .transform(Number)
      .pipe(z.number().min(opts.min, `must be at least ${opts.min}; ${opts.fix}`).max(opts.max, `must be at most ${opts.max}; ${opts.fix}`))
      .optional(),
  );
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, fix?: string) {
  return z.preprocess(
    blank,
    z.enum(values, { error: () => `must be one of ${values.join(', ')}${fix ? `; ${fix}` : ''}` }).optional(),
  );
}

function url(protocols: string[], example: string) {
  return z.preprocess(
    blank,
    z
      .string()
      .refine((v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      }, `must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL, e.g. ${example}`)
      .optional(),
  );
}

function prefixed(prefix: string, what: string) {
  return z.preprocess(
    blank,
    z
      .string()
      .refine((v) => v.startsWith(prefix) && v.length > prefix.length, `must be ${what} starting with "${prefix}"; copy it from your Slack app's settings page`)
      .optional(),
  );
}

const EnvSchema = z.object({
  PORT: integer({ min: 0, max: 65535, fix: 'use a TCP port such as 3978 (0 picks a free port)' }),
  HOST: text(),
  LOG_LEVEL: oneOf(LOG_LEVELS),
  LOG_FORMAT: oneOf(['json', 'pretty'] as const, 'json for log collectors, pretty for a terminal'),
  NODE_ENV: text(),
  VMK_DATA_DIR: text(),
  VMK_STORE: oneOf(STORE_KINDS),
  REDIS_URL: url(['redis:', 'rediss:'], 'redis://localhost:6379'),
  VMK_DIALOG_TTL_HOURS: z.preprocess(
    blank,
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'must be a number of hours, e.g. 24')
      .transform(Number)
      .pipe(z.number().gt(0, 'must be more than 0 hours, e.g. 24').max(24 * 365, 'must be at most 8760 hours (a year)'))
      .optional(),
  ),
  VMK_SHUTDOWN_GRACE_MS: integer({ min: 0, max: 600_000, fix: 'use milliseconds, e.g. 10000' }),
  VMK_MAX_BODY_BYTES: integer({ min: 1024, max: 100 * MIB, fix: 'use bytes, e.g. 1048576 for 1 MiB' }),
  VMK_TRUST_PROXY: integer({ min: 0, max: 10, fix: 'use the number of reverse proxies in front of vmk, e.g. 1 behind one ingress (0: none)' }),
  VMK_PLAYGROUND: oneOf(['on', 'off'] as const, 'use off in production'),
  VMK_PLAYGROUND_SECRET: z.preprocess(
    blank,
    z
      .string()
      .min(32, 'must be at least 32 characters; generate one with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64url\'))"')
      .optional(),
  ),
  VMK_PLAYGROUND_RATE_LIMIT: integer({ min: 0, max: 100_000, fix: 'use turns per minute per client, e.g. 60 (0: no limit)' }),
  VMK_METRICS: oneOf(['on', 'off'] as const, 'on serves Prometheus metrics at GET /metrics, off turns the route off'),
  VMK_METRICS_TOKEN: z.preprocess(
    blank,
    z
      .string()
      .min(16, 'must be at least 16 characters; generate one with: openssl rand -hex 32')
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it travels in an Authorization header); generate one with: openssl rand -hex 32')
      .optional(),
  ),
  SLACK_SIGNING_SECRET: text(),
  SLACK_BOT_TOKEN: prefixed('xoxb-', 'a bot token'),
  SLACK_APP_TOKEN: prefixed('xapp-', 'an app-level token'),
  SLACK_API_URL: url(['https:', 'http:'], 'https://slack.com/api/'),
  VMK_SLACK_TIMEOUT_MS: integer({ min: 100, max: 60_000, fix: 'use milliseconds, e.g. 4000' }),
  MicrosoftAppId: text(),
  MicrosoftAppPassword: text(),
  MicrosoftAppType: oneOf(TEAMS_APP_TYPES),
  MicrosoftAppTenantId: text(),
  VMK_TEAMS_LOCAL: oneOf(['on', 'off'] as const, 'on serves /api/messages without authentication for the Bot Framework Emulator on this machine'),
  VMK_TEAMS_LOCAL_CLIENTS: oneOf(TEAMS_LOCAL_CLIENTS, 'loopback accepts Teams local-mode activities only from this machine'),
});

/** Every variable vmk reads, for documentation and for tests. */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape) as (keyof typeof EnvSchema.shape)[];

type Env = Record<string, string | undefined>;

function readEnvFile(path: string, problems: ConfigError['problems']): Env {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    problems.push({ variable: path, message: `cannot read this .env file (${code ?? String(err)}); fix its permissions or remove it` });
    return {};
  }
  return parseEnv(content) as Env;
}

/**
 * Reads, validates and types the configuration. Throws one ConfigError
 * listing every problem found, each with how to fix it.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Config {
  const problems: ConfigError['problems'] = [];
  const envFile = options.envFile === undefined ? (env === process.env ? '.env' : null) : options.envFile;
  const fromFile = envFile ? readEnvFile(resolve(envFile), problems) : {};
  // Real environment wins over the file.
  const merged: Env = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;

  // Field by field first; the cross-field checks below still run, so one
  // message lists every problem. A value that is present but invalid counts as
  // given there (no "add X" for an X that is only malformed).
  const invalid = new Set<string>();
  let parsed = EnvSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? '(environment)');
      invalid.add(variable);
      problems.push({ variable, message: issue.message });
    }
    const valid: Env = { ...merged };
    for (const k of invalid) delete valid[k];
    parsed = EnvSchema.safeParse(valid);
    if (!parsed.success) throw new ConfigError(problems);
  }
  const e = parsed.data;
  const given = (k: keyof typeof e): boolean => e[k] !== undefined || invalid.has(k);
  const isTTY = options.isTTY ?? Boolean(process.stdout.isTTY);
  const nodeEnv = e.NODE_ENV ?? 'development';

  // Store
  const storeKind: StoreKind = e.VMK_STORE ?? (given('REDIS_URL') ? 'redis' : 'sqlite');
  if (storeKind === 'redis' && !given('REDIS_URL')) {
    problems.push({ variable: 'REDIS_URL', message: 'VMK_STORE is redis, so set REDIS_URL, e.g. redis://localhost:6379 (or choose VMK_STORE=sqlite)' });
  }

  // Slack
  let slack: SlackConfig | null = null;
  if (given('SLACK_BOT_TOKEN') || given('SLACK_SIGNING_SECRET') || given('SLACK_APP_TOKEN')) {
    if (!given('SLACK_BOT_TOKEN')) {
      problems.push({
        variable: 'SLACK_BOT_TOKEN',
        message: `${given('SLACK_SIGNING_SECRET') ? 'SLACK_SIGNING_SECRET' : 'SLACK_APP_TOKEN'} is set but the bot token is missing; add SLACK_BOT_TOKEN (xoxb-..., from OAuth & Permissions after installing the app) or unset the other Slack variables`,
      });
    } else if (!given('SLACK_SIGNING_SECRET') && !given('SLACK_APP_TOKEN')) {
      problems.push({
        variable: 'SLACK_SIGNING_SECRET',
        message:
          'SLACK_BOT_TOKEN is set, so Slack needs a way in: add SLACK_SIGNING_SECRET (Basic Information > App Credentials) to receive events over HTTP at /slack/events, or SLACK_APP_TOKEN (xapp-..., with connections:write) for Socket Mode',
      });
    } else if (e.SLACK_BOT_TOKEN) {
      slack = {
        mode: given('SLACK_APP_TOKEN') ? 'socket' : 'http',
        botToken: e.SLACK_BOT_TOKEN,
        ...(e.SLACK_SIGNING_SECRET ? { signingSecret: e.SLACK_SIGNING_SECRET } : {}),
        ...(e.SLACK_APP_TOKEN ? { appToken: e.SLACK_APP_TOKEN } : {}),
        ...(e.SLACK_API_URL ? { apiUrl: e.SLACK_API_URL } : {}),
        ...(e.VMK_SLACK_TIMEOUT_MS !== undefined ? { timeoutMs: e.VMK_SLACK_TIMEOUT_MS } : {}),
      };
    }
  }

  // Teams
  // Azure creates new bots as single tenant (or with a managed identity), so that is the default with an app id.
  // Local mode (no app id) keeps botbuilder's MultiTenant, the only type that accepts an empty app id.
  const appType: TeamsAppType = e.MicrosoftAppType ?? (given('MicrosoftAppId') ? 'SingleTenant' : 'MultiTenant');
  if (given('MicrosoftAppId')) {
    if (appType !== 'MultiTenant' && !given('MicrosoftAppTenantId')) {
      problems.push({
        variable: 'MicrosoftAppTenantId',
        message: given('MicrosoftAppType')
          ? `MicrosoftAppType is ${appType}, so set MicrosoftAppTenantId to your Microsoft Entra tenant id (Azure portal > Bot > Configuration)`
          : 'MicrosoftAppType defaults to SingleTenant (the only kind Azure creates for new bots, with UserAssignedMsi), so set MicrosoftAppTenantId to your Microsoft Entra tenant id (Azure portal > Bot > Configuration); for a bot registered as multi-tenant before, set MicrosoftAppType=MultiTenant',
      });
    }
    if (appType !== 'UserAssignedMsi' && !given('MicrosoftAppPassword')) {
      problems.push({
        variable: 'MicrosoftAppPassword',
        message: 'MicrosoftAppId is set, so set MicrosoftAppPassword to the bot\'s client secret (Azure portal > Bot > Configuration > Manage Password)',
      });
    }
    if (e.VMK_TEAMS_LOCAL === 'on') {
      problems.push({ variable: 'VMK_TEAMS_LOCAL', message: 'MicrosoftAppId is set, so Teams runs with authentication; unset VMK_TEAMS_LOCAL (local mode is for the Bot Framework Emulator without credentials)' });
    }
  } else {
    if (given('MicrosoftAppPassword')) {
      problems.push({ variable: 'MicrosoftAppId', message: 'MicrosoftAppPassword is set but MicrosoftAppId is missing; add the bot\'s app id, or unset the password to run Teams in local mode' });
    }
    if (e.MicrosoftAppType === 'SingleTenant' || e.MicrosoftAppType === 'UserAssignedMsi') {
      problems.push({ variable: 'MicrosoftAppId', message: `MicrosoftAppType is ${e.MicrosoftAppType} but MicrosoftAppId is missing; add the bot's app id, or unset MicrosoftAppType to run Teams in local mode` });
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    nodeEnv,
    server: {
      port: e.PORT ?? 3978,
      host: e.HOST ?? '0.0.0.0',
      maxBodyBytes: e.VMK_MAX_BODY_BYTES ?? MIB,
      shutdownGraceMs: e.VMK_SHUTDOWN_GRACE_MS ?? 10_000,
      trustProxy: e.VMK_TRUST_PROXY ?? 0,
    },
    log: {
      level: e.LOG_LEVEL ?? 'info',
      format: e.LOG_FORMAT ?? (isTTY && nodeEnv !== 'production' ? 'pretty' : 'json'),
    },
    store: {
      kind: storeKind,
      dataDir: resolve(e.VMK_DATA_DIR ?? './data'),
      ...(e.REDIS_URL ? { redisUrl: e.REDIS_URL } : {}),
    },
    metrics: {
      enabled: (e.VMK_METRICS ?? 'on') === 'on',
      ...(e.VMK_METRICS_TOKEN ? { token: e.VMK_METRICS_TOKEN } : {}),
    },
    dialogTtlMs: Math.round((e.VMK_DIALOG_TTL_HOURS ?? 24) * 3_600_000),
    slack,
    teams: {
      appType,
      ...(e.MicrosoftAppId ? { appId: e.MicrosoftAppId } : {}),
      ...(e.MicrosoftAppPassword ? { appPassword: e.MicrosoftAppPassword } : {}),
      ...(e.MicrosoftAppTenantId ? { tenantId: e.MicrosoftAppTenantId } : {}),
      local: e.MicrosoftAppId || e.VMK_TEAMS_LOCAL !== 'on' ? 'off' : (e.VMK_TEAMS_LOCAL_CLIENTS ?? 'loopback'),
    },
    playground: {
      // On for local runs; off by default in production, where it is an open, unauthenticated chat endpoint.
      enabled: (e.VMK_PLAYGROUND ?? (nodeEnv === 'production' ? 'off' : 'on')) === 'on',
      ...(e.VMK_PLAYGROUND_SECRET ? { secret: e.VMK_PLAYGROUND_SECRET } : {}),
      rateLimitPerMinute: e.VMK_PLAYGROUND_RATE_LIMIT ?? 60,
    },
  };
}

const REDACTED = '[redacted]';

function redactUrl(u: string): string {
  try {
    const parsed = new URL(u);
    if (parsed.password) parsed.password = REDACTED;
    return parsed.toString();
  } catch {
    return REDACTED;
  }
}

/** The configuration as it is safe to log: every secret replaced by "[redacted]". */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    nodeEnv: config.nodeEnv,
    server: { ...config.server },
    log: { ...config.log },
    store: {
      kind: config.store.kind,
      dataDir: config.store.dataDir,
      ...(config.store.redisUrl ? { redisUrl: redactUrl(config.store.redisUrl) } : {}),
    },
    metrics: config.metrics.enabled ? { path: '/metrics', token: config.metrics.token ? REDACTED : 'none' } : 'off',
    dialogTtlHours: config.dialogTtlMs / 3_600_000,
    slack: config.slack
      ? {
          mode: config.slack.mode,
          botToken: REDACTED,
          ...(config.slack.signingSecret ? { signingSecret: REDACTED } : {}),
          ...(config.slack.appToken ? { appToken: REDACTED } : {}),
          ...(config.slack.apiUrl ? { apiUrl: config.slack.apiUrl } : {}),
          ...(config.slack.timeoutMs !== undefined ? { timeoutMs: config.slack.timeoutMs } : {}),
        }
      : 'off',
    teams: {
      mode: config.teams.appId ? 'authenticated' : config.teams.local === 'off' ? 'off' : 'local',
      ...(!config.teams.appId && config.teams.local !== 'off' ? { localClients: config.teams.local } : {}),
      appType: config.teams.appType,
      ...(config.teams.appId ? { appId: config.teams.appId } : {}),
      ...(config.teams.appPassword ? { appPassword: REDACTED } : {}),
      ...(config.teams.tenantId ? { tenantId: config.teams.tenantId } : {}),
    },
    playground: config.playground.enabled
      ? {
          enabled: true,
          secret: config.playground.secret ? REDACTED : 'generated at start-up',
          rateLimitPerMinute: config.playground.rateLimitPerMinute,
        }
      : 'off',
  };
}

/** One line per platform for the start-up banner: what is on, and how to turn on what is off. */
export function describePlatforms(config: Config): { platform: 'slack' | 'teams'; on: boolean; message: string }[] {
  const slack = config.slack
    ? {
        platform: 'slack' as const,
        on: true,
        message:
          config.slack.mode === 'socket'
            ? 'Slack: on, Socket Mode (SLACK_APP_TOKEN)'
            : 'Slack: on, HTTP events at POST /slack/events',
      }
    : {
        platform: 'slack' as const,
        on: false,
        message:
          'Slack: off. Set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (HTTP at /slack/events) or with SLACK_APP_TOKEN (Socket Mode) to turn it on',
      };
  const teams = config.teams.appId
    ? {
        platform: 'teams' as const,
        on: true,
        message: `Teams: on, POST /api/messages (${config.teams.appType}, app id ${config.teams.appId})${
          config.teams.appType === 'MultiTenant' ? '. MultiTenant works only for a bot registered as multi-tenant before Azure stopped creating them; a new bot is SingleTenant (set MicrosoftAppTenantId)' : ''
        }`,
      }
    : config.teams.local !== 'off'
      ? {
          platform: 'teams' as const,
          on: false,
          message: `Teams: local mode only, without authentication (Bot Framework Emulator at POST /api/messages; ${config.teams.local === 'loopback' ? 'clients on this machine only' : 'clients anywhere (VMK_TEAMS_LOCAL_CLIENTS=any)'}; replies only to a loopback serviceUrl). Set MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId (a single-tenant bot, the default) to connect to Microsoft Teams`,
        }
      : {
          platform: 'teams' as const,
          on: false,
          message:
            'Teams: off (/api/messages answers 404). Set MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId (a single-tenant bot, the default) to connect to Microsoft Teams, or VMK_TEAMS_LOCAL=on for the Bot Framework Emulator on this machine',
        };
  return [slack, teams];
}
