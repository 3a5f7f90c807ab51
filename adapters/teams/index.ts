/**
 * Microsoft Teams on the project's HTTP server: `POST /api/messages` with the
 * Bot Framework's CloudAdapter. Every botbuilder import lives in this folder
 * (the SDK's classes come through sdk.ts).
 *
 * 1. Parse the JSON body (this route only), answer 400/413/415 for bad input.
 * 2. Local mode (no MicrosoftAppId, asked for with VMK_TEAMS_LOCAL=on): accept
 *    activities only from clients on this machine (unless allowed from any),
 *    and refuse any whose serviceUrl is not on loopback, so nobody can make the
 *    bot post to another host. The connector client never follows a redirect.
 * 3. CloudAdapter authenticates the request (401 on a missing or bad token)
 *    and runs the turn: translate, call the core, render, send or update.
 */
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type Activity,
  type InvokeResponse,
  type TurnContext,
} from './sdk.js';
import express from 'express';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Engine } from '../../src/engine.js';
import type { Logger } from '../../src/logger.js';
import type { Metrics } from '../../src/metrics.js';
import { VmkTeamsBot, type ClaimFn } from './bot.js';
import { isLoopbackAddress, isLoopbackServiceUrl } from './loopback.js';

export type { ClaimFn } from './bot.js';

export interface TeamsMountConfig {
  appId?: string;
  appPassword?: string;
  appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMsi';
  tenantId?: string;
  /**
   * Local mode only (no appId): which clients may post activities. 'loopback'
   * (the default) accepts only connections from this machine that carry no
   * proxy forwarding headers; 'any' accepts every client.
   */
  local?: 'off' | 'loopback' | 'any';
}

export interface MountTeamsOptions {
  config: TeamsMountConfig;
  engine: Engine;
  logger: Logger;
  /**
   * The parameterized Bot Framework auth configuration (tests with a locally
   * served JWKS). Setting one key switches the SDK to fully parameterized
   * mode, so every key in AUTH_OVERRIDE_KEYS must be given.
   */
  authOverrides?: Record<string, string>;
  /** Largest accepted body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Deduplication of redelivered activities; pass the store's claimEvent when several instances run. */
  claim?: ClaimFn;
  /** How long stop() waits for turns in flight (default 10 s). */
  shutdownGraceMs?: number;
  /** Where delivery retries and failures are counted (src/metrics.ts); default: nowhere. */
  metrics?: Metrics;
}

export const TEAMS_ROUTE = '/api/messages';

export const AUTH_OVERRIDE_KEYS = [
  'ToBotFromChannelOpenIdMetadataUrl',
  'ToBotFromChannelTokenIssuer',
  'ToBotFromEmulatorOpenIdMetadataUrl',
  'ToChannelFromBotLoginUrl',
  'ToChannelFromBotOAuthScope',
  'OAuthUrl',
] as const;

export const LOCAL_MODE_WARNING =
  'Teams endpoint is running WITHOUT authentication; set MicrosoftAppId/MicrosoftAppPassword to turn it on; only loopback serviceUrls are accepted';

/** CloudAdapter with the HTTP layer left to vmk (status codes, JSON errors, no internals in bodies). */
class VmkCloudAdapter extends CloudAdapter {
  run(authHeader: string, activity: Activity, logic: (ctx: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(authHeader, activity, logic);
  }
}

/** The fields vmk needs on every activity before it goes near the SDK. */
const activityShape = z
  .object({
    type: z.string().min(1).max(100),
    serviceUrl: z.string().min(1).max(2048),
    conversation: z.object({ id: z.string().min(1).max(1024) }).passthrough(),
    // The bot itself: every Bot Framework activity names it (the SDK reads recipient.id).
    recipient: z.object({ id: z.string().min(1).max(1024) }).passthrough(),
  })
  .passthrough();

function jsonError(res: Response, status: number, error: string): void {
  if (!res.headersSent) res.status(status).json({ error });
}

/** Express 5 body-parser errors carry `type` and `status`. */
function bodyErrorStatus(err: unknown): { status: number; message: string } {
  const e = err as { type?: unknown; status?: unknown };
  switch (e.type) {
    case 'entity.too.large':
      return { status: 413, message: 'The request body is too large.' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, message: 'The request body must be UTF-8 JSON.' };
    default:
      return { status: 400, message: 'The request body is not valid JSON.' };
  }
}

/** Headers a reverse proxy adds: behind one, a remote client's connection comes from loopback. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-host'];

/** Whether a local-mode request comes straight from this machine (not relayed by a proxy on it). */
function fromThisMachine(req: Request): boolean {
  if (!isLoopbackAddress(req.socket.remoteAddress)) return false;
  return !FORWARDING_HEADERS.some((h) => req.headers[h] !== undefined);
}

/** core-rest-pipeline's name for the policy that follows 3xx responses. */
const REDIRECT_POLICY = 'redirectPolicy';

interface PipelineLike {
  getOrderedPolicies(): { name: string }[];
  removePolicy(options: { name: string }): unknown;
}

/**
 * Takes the redirect policy out of a connector client's HTTP pipeline, so a
 * reply to a serviceUrl that answers 3xx fails instead of following the
 * Location header to another host or port. The client's pipeline is not part
 * of botbuilder's typings; when its shape is not the one expected (a changed
 * SDK) this throws rather than send with redirects on.
 */
export function refuseRedirects(connectorClient: unknown): void {
  const pipeline = (connectorClient as { client?: { pipeline?: Partial<PipelineLike> } } | null)?.client?.pipeline;
  if (typeof pipeline?.getOrderedPolicies !== 'function' || typeof pipeline.removePolicy !== 'function') {
    throw new Error('the Bot Framework connector client has no HTTP pipeline where vmk expects it; cannot turn off redirects (check the botbuilder version)');
  }
  pipeline.removePolicy({ name: REDIRECT_POLICY });
  if (pipeline.getOrderedPolicies().some((p) => p.name === REDIRECT_POLICY)) throw new Error('could not remove the redirect policy from the connector client');
}

/** jsonwebtoken's errors for a bad signature, a malformed, expired or not-yet-valid token. */
const TOKEN_ERRORS = new Set(['JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError']);

/**
 * Classifies an error thrown while authenticating: botframework-connector's
 * AuthenticationError (not re-exported by botbuilder; statusCode 500 when the
 * signing keys could not be fetched) or a jsonwebtoken verification error.
 */
function authFailure(err: unknown): 'refused' | 'unavailable' | null {
  if (typeof err !== 'object' || err === null) return null;
  const name = (err as { constructor?: { name?: string } }).constructor?.name ?? '';
  if (name === 'AuthenticationError') {
    const status = (err as { statusCode?: unknown }).statusCode;
    return typeof status === 'number' && status >= 500 ? 'unavailable' : 'refused';
  }
  // node-fetch failing to reach the OpenID metadata or key endpoint (turn errors never get here: onTurnError takes them).
  if (name === 'FetchError') return 'unavailable';
  return TOKEN_ERRORS.has(name) || TOKEN_ERRORS.has(String((err as { name?: unknown }).name)) ? 'refused' : null;
}

function validateOverrides(overrides: Record<string, string>): void {
  const missing = AUTH_OVERRIDE_KEYS.filter((k) => !overrides[k]);
  if (missing.length > 0) {
    throw new Error(
      `Teams authOverrides must set every parameterized auth key when any is set; missing: ${missing.join(', ')}`,
    );
  }
}

/**
 * Mounts `POST /api/messages` on `app`. Returns `stop()`, which refuses new
 * requests (503) and waits (bounded) for turns in flight.
 */
export async function mountTeams(app: express.Express, opts: MountTeamsOptions): Promise<{ stop(): Promise<void> }> {
  const { config, engine } = opts;
  const logger = opts.logger.child({ component: 'teams' });
  if (opts.authOverrides) validateOverrides(opts.authOverrides);

  const authenticated = Boolean(config.appId);
  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: config.appId ?? '',
    MicrosoftAppPassword: config.appPassword ?? '',
    MicrosoftAppType: config.appType,
    MicrosoftAppTenantId: config.tenantId ?? '',
    ...(opts.authOverrides ?? {}),
  });
  // Every connector client the adapter creates (replies, card updates) refuses redirects.
  // CloudAdapter gets its factory from authenticateRequest for incoming activities and
  // from createConnectorFactory for proactive messages: both are wrapped.
  type Factory = ReturnType<typeof auth.createConnectorFactory>;
  const noRedirects = (factory: Factory): Factory => ({
    async create(serviceUrl: string, audience?: string) {
      const client = await factory.create(serviceUrl, audience);
      refuseRedirects(client);
      return client;
    },
  });
  const createConnectorFactory = auth.createConnectorFactory.bind(auth);
  auth.createConnectorFactory = (identity) => noRedirects(createConnectorFactory(identity));
  const authenticateRequest = auth.authenticateRequest.bind(auth);
  auth.authenticateRequest = async (...args) => {
    const result = await authenticateRequest(...args);
    return result.connectorFactory ? { ...result, connectorFactory: noRedirects(result.connectorFactory) } : result;
  };
  const adapter = new VmkCloudAdapter(auth);
  const anyClient = config.local === 'any';
  adapter.onTurnError = async (ctx, err) => {
    // Never rethrow: a failed send must not become a 500 carrying the error text.
    logger.error({ err: { message: err.message, name: err.name }, conversation: ctx.activity.conversation?.id }, 'Teams turn failed');
  };
  const bot = new VmkTeamsBot({ engine, logger, ...(opts.claim ? { claim: opts.claim } : {}), ...(opts.metrics ? { metrics: opts.metrics } : {}) });
  const logic = (ctx: TurnContext) => bot.run(ctx);

  if (authenticated) {
    logger.info(
      { appId: config.appId, appType: config.appType, tenantId: config.tenantId, route: TEAMS_ROUTE, parameterizedAuth: Boolean(opts.authOverrides) },
      'Teams endpoint on, with Bot Framework authentication',
    );
  } else {
    logger.warn({ route: TEAMS_ROUTE, clients: anyClient ? 'any' : 'loopback' }, LOCAL_MODE_WARNING);
  }

  const parseJson = express.json({ limit: opts.maxBodyBytes ?? 1024 * 1024, strict: true });
  const inflight = new Set<Promise<unknown>>();
  let closing = false;

  const handle = async (req: Request, res: Response): Promise<void> => {
    if (closing) return jsonError(res, 503, 'vmk is shutting down; try again in a moment.');
    if (!authenticated && !anyClient && !fromThisMachine(req)) {
      logger.warn({ remote: req.socket.remoteAddress }, 'Teams local mode: refused a client that is not on this machine');
      return jsonError(
        res,
        403,
        'This vmk runs Teams without authentication (local mode), which accepts activities only from this machine. Set MicrosoftAppId and MicrosoftAppPassword, or VMK_TEAMS_LOCAL_CLIENTS=any to accept other clients.',
      );
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return jsonError(res, 405, `Use POST ${TEAMS_ROUTE}.`);
    }
    if (!req.is('application/json')) return jsonError(res, 415, 'Send the activity as application/json.');
    const parsed = await new Promise<{ status: number; message: string } | null>((resolve) => {
      parseJson(req, res, (err?: unknown) => resolve(err ? bodyErrorStatus(err) : null));
    });
    if (parsed) return jsonError(res, parsed.status, parsed.message);
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return jsonError(res, 400, 'The request body must be a Bot Framework activity (a JSON object).');
    }
    const shape = activityShape.safeParse(body);
    if (!shape.success) {
      const field = String(shape.error.issues[0]?.path.join('.') || 'body');
      return jsonError(res, 400, `The activity is missing or has an invalid "${field}".`);
    }
    const activity = body as Activity & { timestamp?: unknown; localTimestamp?: unknown; expiration?: unknown };
    for (const key of ['timestamp', 'localTimestamp', 'expiration'] as const) {
      const v = activity[key];
      if (typeof v === 'string') {
        const d = new Date(v);
        if (Number.isNaN(d.getTime())) delete activity[key];
        else (activity as unknown as Record<string, unknown>)[key] = d;
      }
    }

    if (!authenticated && !isLoopbackServiceUrl(activity.serviceUrl)) {
      logger.warn({ serviceUrl: activity.serviceUrl.slice(0, 200), type: activity.type }, 'Teams local mode: refused a non-loopback serviceUrl');
      return jsonError(
        res,
        403,
        'This vmk runs without Teams authentication (MicrosoftAppId is unset), so it only replies to a Bot Framework service on this machine; the activity\'s serviceUrl is not on loopback.',
      );
    }

    const authHeader = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
    try {
      const invoke = await adapter.run(authHeader, activity, logic);
      const status = invoke?.status ?? 200;
      if (invoke?.body !== undefined) res.status(status).json(invoke.body);
      else res.status(status).end();
    } catch (err) {
      const e = err as { name?: string; message?: string; statusCode?: unknown };
      const kind = authFailure(err);
      if (kind === 'unavailable') {
        logger.error({ reason: e.message?.slice(0, 300) }, 'Teams request not verified: the Bot Framework signing keys could not be loaded');
        return jsonError(res, 503, 'vmk cannot verify Bot Framework tokens right now; try again in a moment.');
      }
      if (kind === 'refused') {
        logger.warn({ reason: e.message?.slice(0, 300) }, 'Teams request refused: not authenticated');
        return jsonError(res, 401, 'Unauthorized: the request does not carry a valid Bot Framework token.');
      }
      logger.error({ err: { name: e.name, message: e.message } }, 'Teams request failed');
      return jsonError(res, 500, 'vmk could not process this activity.');
    }
  };

  app.all(TEAMS_ROUTE, (req, res) => {
    const p = handle(req, res).catch((err: unknown) => {
      logger.error({ err: { message: (err as Error).message } }, 'Teams request handler failed');
      jsonError(res, 500, 'vmk could not process this activity.');
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  });

  return {
    async stop() {
      closing = true;
      if (inflight.size === 0) return;
      const grace = opts.shutdownGraceMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inflight]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, grace);
        }),
      ]);
      if (timer) clearTimeout(timer);
    },
  };
}
