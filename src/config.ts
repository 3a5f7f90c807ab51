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
}

export interface TeamsConfig {
  /** Empty: local mode (Bot Framework Emulator, tests), with no authentication. */
  appId?: string;
  appPassword?: string;
  appType: TeamsAppType;
  tenantId?: string;
}

export interface Config {
  nodeEnv: string;
  server: { port: number; host: string; maxBodyBytes: number; shutdownGraceMs: number };
  log: { level: LogLevel; format: 'json' | 'pretty' };
  store: { kind: StoreKind; dataDir: string; redisUrl?: string };
  /** GET /metrics (Prometheus text format): on unless VMK_METRICS=off; with a token, only for `Authorization: Bearer <token>`. */
  metrics: { enabled: boolean; token?: string };
  dialogTtlMs: number;
  slack: SlackConfig | null;
  teams: TeamsConfig;
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
  MicrosoftAppId: text(),
  MicrosoftAppPassword: text(),
  MicrosoftAppType: oneOf(TEAMS_APP_TYPES),
  MicrosoftAppTenantId: text(),
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
      };
    }
  }

  // Teams
  const appType: TeamsAppType = e.MicrosoftAppType ?? 'MultiTenant';
  if (given('MicrosoftAppId')) {
    if (appType !== 'MultiTenant' && !given('MicrosoftAppTenantId')) {
      problems.push({
        variable: 'MicrosoftAppTenantId',
        message: `MicrosoftAppType is ${appType}, so set MicrosoftAppTenantId to your Microsoft Entra tenant id (Azure portal > Bot > Configuration)`,
      });
    }
    if (appType !== 'UserAssignedMsi' && !given('MicrosoftAppPassword')) {
      problems.push({
        variable: 'MicrosoftAppPassword',
        message: 'MicrosoftAppId is set, so set MicrosoftAppPassword to the bot\'s client secret (Azure portal > Bot > Configuration > Manage Password)',
      });
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
        }
      : 'off',
    teams: {
      mode: config.teams.appId ? 'authenticated' : 'local',
      appType: config.teams.appType,
      ...(config.teams.appId ? { appId: config.teams.appId } : {}),
      ...(config.teams.appPassword ? { appPassword: REDACTED } : {}),
      ...(config.teams.tenantId ? { tenantId: config.teams.tenantId } : {}),
    },
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
    ? { platform: 'teams' as const, on: true, message: `Teams: on, POST /api/messages (${config.teams.appType}, app id ${config.teams.appId})` }
    : {
        platform: 'teams' as const,
        on: false,
        message:
          'Teams: local mode only (Bot Framework Emulator on loopback at POST /api/messages). Set MicrosoftAppId and MicrosoftAppPassword (plus MicrosoftAppType and MicrosoftAppTenantId for single-tenant bots) to connect to Microsoft Teams',
      };
  return [slack, teams];
}
