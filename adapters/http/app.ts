/**
 * The one HTTP application: probes, a readiness gate, the routes mounted by
 * the playground and the platform adapters, JSON 404s and one error handler.
 *
 * There is no global body parser: Slack's request signature covers the raw
 * body, so each JSON route brings its own `express.json()`.
 */
import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { referenceId } from '../../src/engine.js';
import type { Logger } from '../../src/logger.js';
import { InflightTracker } from './inflight.js';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, boolean>;
  reason?: string;
}

export interface HttpAppOptions {
  logger: Logger;
  /** Answers GET /readyz. */
  readiness: () => Promise<ReadinessReport>;
  /** Requests other than the probes wait for this (the core being built); a rejection answers 503. */
  whenReady: Promise<unknown>;
  tracker: InflightTracker;
  /** Serves GET /metrics (adapters/http/metrics.ts); unset: no such route (VMK_METRICS=off). */
  metrics?: (req: express.Request, res: express.Response) => Promise<void>;
}

export interface HttpApp {
  app: express.Express;
  /** The sub-application the playground and platform adapters mount their routes on. */
  routes: express.Express;
  /** From now on: readiness fails and new requests get 503 with `Connection: close`. */
  startDraining(): void;
  readonly draining: boolean;
}

/** Requests logged at debug and left out of the in-flight count: probes and scrapes come every few seconds. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/** An error that carries an HTTP status and a message safe to show (body-parser's errors do). */
function exposedHttpError(err: unknown): { status: number; type?: string; message: string } | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown; type?: unknown; message?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined || status < 400 || status >= 500 || e.expose !== true) return null;
  return { status, type: typeof e.type === 'string' ? e.type : undefined, message: typeof e.message === 'string' ? e.message : 'bad request' };
}

const ERROR_CODES: Record<string, { code: string; message: string }> = {
  'entity.too.large': { code: 'payload_too_large', message: 'The request body is larger than this server accepts (VMK_MAX_BODY_BYTES).' },
  'entity.parse.failed': { code: 'malformed_json', message: 'The request body is not valid JSON.' },
  'encoding.unsupported': { code: 'unsupported_encoding', message: 'The request body uses an unsupported content encoding.' },
  'charset.unsupported': { code: 'unsupported_charset', message: 'The request body uses an unsupported charset.' },
  'request.aborted': { code: 'request_aborted', message: 'The request was aborted by the client.' },
};

export function createHttpApp(opts: HttpAppOptions): HttpApp {
  const { logger, tracker } = opts;
  let draining = false;
  let readyState: 'pending' | 'ready' | 'failed' = 'pending';
  opts.whenReady.then(
    () => (readyState = 'ready'),
    () => (readyState = 'failed'),
  );

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Request id, minimal request log, in-flight accounting.
  const requestLog: RequestHandler = (req, res, next) => {
    const started = performance.now();
    const id = (typeof req.headers['x-request-id'] === 'string' && /^[\w.-]{1,64}$/.test(req.headers['x-request-id']) ? req.headers['x-request-id'] : randomUUID());
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const probe = PROBES.has(req.path);
    const end = probe ? () => {} : tracker.begin();
    const level = probe ? 'debug' : 'info';
    // The level is checked per request (it can change at run time); the record is built only when it is written.
    const logged = logger.isLevelEnabled?.(level) !== false;
    res.on('close', () => {
      end();
      if (!logged) return;
      logger[level]({ req: id, method: req.method, path: req.path, status: res.statusCode, ms: Number((performance.now() - started).toFixed(1)) }, 'request');
    });
    next();
  };
  app.use(requestLog);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    if (draining) {
      res.status(503).json({ status: 'not_ready', reason: 'shutting down', checks: {} });
      return;
    }
    const report = await opts.readiness();
    res.status(report.ready ? 200 : 503).json({
      status: report.ready ? 'ready' : 'not_ready',
      ...(report.reason ? { reason: report.reason } : {}),
      checks: report.checks,
    });
  });

  // Served while starting and while draining: a scrape is how an operator watches both.
  const metrics = opts.metrics;
  if (metrics) app.get('/metrics', (req, res, next) => void metrics(req, res).catch(next));

  // While draining: refuse new work and ask the client not to reuse the connection.
  app.use((_req, res, next) => {
    if (!draining) return next();
    res.setHeader('Connection', 'close');
    res.status(503).json({ error: 'shutting_down', message: 'vmk is shutting down; retry against another instance.' });
  });

  // Until the core is built, requests wait for it instead of meeting a 404.
  // Once it is, the check is a plain comparison: no promise per request.
  const untilReady = async (res: express.Response, next: express.NextFunction): Promise<void> => {
    if (readyState === 'pending') {
      try {
        await opts.whenReady;
      } catch {
        /* answered below */
      }
    }
    if (readyState === 'failed') {
      res.status(503).json({ error: 'not_ready', message: 'vmk failed to start; see the server log.' });
      return;
    }
    next();
  };
  app.use((_req, res, next) => {
    if (readyState === 'ready') return next();
    void untilReady(res, next);
  });

  const routes = express();
  routes.disable('x-powered-by');
  app.use(routes);

  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `No route for ${req.method} ${req.path}.` });
  });

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const exposed = exposedHttpError(err);
    if (exposed) {
      const known = exposed.type ? ERROR_CODES[exposed.type] : undefined;
      logger.info({ req: res.locals.requestId, path: req.path, status: exposed.status, type: exposed.type }, 'request rejected');
      if (!res.headersSent) res.status(exposed.status).json({ error: known?.code ?? 'bad_request', message: known?.message ?? exposed.message });
      return;
    }
    const ref = referenceId();
    logger.error({ ref, req: res.locals.requestId, method: req.method, path: req.path, err }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(500).json({ error: 'internal', ref, message: `Something went wrong on our side. Reference: ${ref}` });
  };
  app.use(onError);

  return {
    app,
    routes,
    startDraining() {
      draining = true;
    },
    get draining() {
      return draining;
    },
  };
}
