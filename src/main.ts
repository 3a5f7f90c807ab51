/**
 * The composition root: the one place that wires configuration, logger,
 * knowledge, classifier, advisor, store, turn engine, the HTTP server, the web
 * playground, the Slack and Teams adapters, and the metrics sink they all
 * report to (Prometheus at GET /metrics when VMK_METRICS is on).
 *
 * Start-up order: listen first (so /healthz answers at once), then build the
 * core and mount the routes; /readyz turns 200 when that is done and the store
 * answers. Requests that arrive in between wait for the core.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpApp, type ReadinessReport } from '../adapters/http/app.js';
import { InflightTracker } from '../adapters/http/inflight.js';
import { mountPlayground } from '../adapters/web/index.js';
import { describeConfig, describePlatforms, loadConfig, type Config, type StoreKind } from './config.js';
import { buildEngineCore, type Core as EngineCore } from './core.js';
import type { Engine } from './engine.js';
import { VmkError } from './errors.js';
import { createLogger } from './log.js';
import type { Logger } from './logger.js';
import { noMetrics, type Metrics } from './metrics.js';
import { createStore } from './store/index.js';
import { meteredStore } from './store/metered.js';
import type { StateStore } from './store/types.js';

export interface CoreOverrides {
  /** A logger to use instead of the one built from config.log. */
  logger?: Logger;
  /** Another store kind than the configured one (tests use 'memory'). */
  storeKind?: StoreKind;
  /** A ready-made store (tests wrap one to simulate an outage). */
  store?: StateStore;
  /** The engine's and store's clock. */
  now?: () => number;
  /** Where turns and store errors are counted (startServer passes the Prometheus sink when VMK_METRICS is on). */
  metrics?: Metrics;
}

export interface ServerOverrides extends CoreOverrides {
  /** Passed to the Teams adapter: the parameterized Bot Framework auth settings (tests with a local JWKS). */
  teamsAuthOverrides?: Record<string, string>;
  /** Wraps the engine the HTTP routes and adapters call (tests inject slow or failing turns). */
  wrapEngine?: (engine: Engine) => Engine;
}

/** The engine core plus the logger it was built with. */
export interface Core extends EngineCore {
  logger: Logger;
}

/** Builds the platform-neutral core: knowledge, classifier, advisor, store and engine. */
export async function buildCore(config: Config, overrides: CoreOverrides = {}): Promise<Core> {
  const logger = overrides.logger ?? (await createLogger(config.log));
  const metrics = overrides.metrics ?? noMetrics;
  const opened =
    overrides.store ??
    (await createStore({
      kind: overrides.storeKind ?? config.store.kind,
      dataDir: config.store.dataDir,
      redisUrl: config.store.redisUrl,
      now: overrides.now,
      logger: logger.child({ component: 'store' }),
    }));
  const store = metrics === noMetrics ? opened : meteredStore(opened, metrics);
  try {
    const core = buildEngineCore({ store, logger, dialogTtlMs: config.dialogTtlMs, now: overrides.now, metrics });
    return { ...core, logger };
  } catch (err) {
    if (!overrides.store) await store.close().catch(() => {});
    throw err;
  }
}

export interface RunningServer {
  /** Base URL, e.g. http://localhost:3978 (no trailing slash). */
  url: string;
  port: number;
  /** Resolves when the core is built and every adapter is mounted; rejects when start-up failed. */
  ready: Promise<void>;
  /** The core once ready (tests reach the store through it). */
  core(): Core | null;
  logger: Logger;
  /** Graceful stop: refuse new work, finish in-flight turns (bounded by shutdownGraceMs), close adapters and the store. */
  close(): Promise<void>;
}

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

function publicUrl(server: Server, host: string): { url: string; port: number } {
  const addr = server.address() as AddressInfo;
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const shown = wildcard ? 'localhost' : addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { url: `http://${shown}:${addr.port}`, port: addr.port };
}

/** Reports whether `work` finished within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts the HTTP server and builds everything behind it. */
export async function startServer(config: Config, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const logger = overrides.logger ?? (await createLogger(config.log));
  const tracker = new InflightTracker();
  let core: Core | null = null;
  const stoppables: Stoppable[] = [];
  /** Adapters' own readiness (the Slack delivery queue), added as they mount. */
  const adapterHealth: { name: string; health: () => { ok: boolean; reason?: string } }[] = [];

  let markReady!: () => void;
  let markFailed!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });
  ready.catch(() => {});

  const readiness = async (): Promise<ReadinessReport> => {
    const checks: Record<string, boolean> = { knowledge: false, classifier: false, store: false };
    if (!core) return { ready: false, reason: 'starting: the knowledge base and classifier are not loaded yet', checks };
    checks.knowledge = true;
    checks.classifier = true;
    // The probe is public: it says which check failed, never where the store is or why
    // (the store's own log lines carry the host and the cause).
    try {
      const ok = await within(core.store.ping(), 2_000);
      if (!ok) return { ready: false, reason: 'store unavailable', checks };
      checks.store = true;
    } catch {
      return { ready: false, reason: 'store unavailable', checks };
    }
    for (const a of adapterHealth) {
      const h = a.health();
      checks[a.name] = h.ok;
      if (!h.ok) return { ready: false, reason: h.reason ?? `${a.name} is not healthy`, checks };
    }
    return { ready: true, checks };
  };

  // prom-client loads while the server starts listening; with VMK_METRICS=off it is never imported.
  const prometheus = config.metrics.enabled
    ? import('../adapters/http/metrics.js').then((m) => m.createPrometheusMetrics(config.metrics.token ? { token: config.metrics.token } : {}))
    : null;
  prometheus?.catch(() => {});
  const http = createHttpApp({
    logger,
    readiness,
    whenReady: ready,
    tracker,
    ...(prometheus ? { metrics: async (req, res) => (await prometheus).handle(req, res) } : {}),
  });
  // The client address behind reverse proxies (the playground's rate limit is per address).
  if (config.server.trustProxy > 0) http.app.set('trust proxy', config.server.trustProxy);
  const server = createServer({ keepAliveTimeout: 5_000 }, http.app);
  server.listen(config.server.port, config.server.host);
  try {
    // once() rejects with the 'error' event's error, so one await covers both outcomes.
    await once(server, 'listening');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint =
      e.code === 'EADDRINUSE'
        ? `port ${config.server.port} is already in use; stop the other process or set PORT to a free port`
        : e.code === 'EACCES'
          ? `no permission to listen on port ${config.server.port}; use a port above 1023 or run with the needed privileges`
          : e.code === 'EADDRNOTAVAIL'
            ? `${config.server.host} is not an address of this machine; set HOST to one of its addresses (or 0.0.0.0)`
            : e.message;
    throw new VmkError('VMK_LISTEN', `vmk cannot listen on ${config.server.host}:${config.server.port}: ${hint}`, { cause: err });
  }
  const { url, port } = publicUrl(server, config.server.host);

  // Build the core and mount everything behind the readiness gate. The
  // platform SDKs load while the store connects, and the two adapters mount
  // side by side (Slack's auth.test round trip overlaps Teams' set-up).
  void (async () => {
    try {
      const slackModule = config.slack ? import('../adapters/slack/index.js') : null;
      // Teams is off (/api/messages 404) unless it has credentials or local mode is asked for.
      const teamsOn = Boolean(config.teams.appId) || config.teams.local !== 'off';
      const teamsModule = teamsOn ? import('../adapters/teams/index.js') : null;
      // An import that fails while the core is still building must not become an unhandled rejection.
      slackModule?.catch(() => {});
      teamsModule?.catch(() => {});

      const metrics: Metrics = overrides.metrics ?? (prometheus ? await prometheus : noMetrics);
      metrics.inFlight(() => tracker.count);
      const built = await buildCore(config, { ...overrides, logger, metrics });
      stoppables.push({ name: 'store', stop: () => built.store.close() });
      const inner = overrides.wrapEngine ? overrides.wrapEngine(built.engine) : built.engine;
      // Turns are tracked so a graceful stop waits for them, including work done after an early ack.
      const engine: Engine = { handle: (msg) => tracker.track(() => inner.handle(msg)) };

      if (config.playground.enabled) {
        mountPlayground(http.routes, {
          engine,
          logger,
          maxBodyBytes: config.server.maxBodyBytes,
          // Without a configured secret, identities last until the process stops (and differ between instances).
          secret: config.playground.secret ?? randomBytes(32),
          rateLimitPerMinute: config.playground.rateLimitPerMinute,
        });
      }

      const mounts: Promise<void>[] = [];
      const slackConfig = config.slack;
      if (slackConfig && slackModule) {
        mounts.push(
          (async () => {
            const { mountSlack } = await slackModule;
            const slack = await mountSlack(http.routes, {
              config: slackConfig,
              engine,
              store: built.store,
              logger: logger.child({ platform: 'slack' }),
              maxBodyBytes: config.server.maxBodyBytes,
              metrics,
            });
            stoppables.unshift({ name: 'slack', stop: () => slack.stop() });
            adapterHealth.push({ name: 'slackDelivery', health: () => slack.health() });
          })(),
        );
      }
      if (teamsModule) mounts.push(
        (async () => {
          const { mountTeams } = await teamsModule;
          const teams = await mountTeams(http.routes, {
            config: config.teams,
            engine,
            logger: logger.child({ platform: 'teams' }),
            maxBodyBytes: config.server.maxBodyBytes,
            shutdownGraceMs: config.server.shutdownGraceMs,
            claim: (id, ttlMs) => built.store.claimEvent(id, ttlMs),
            metrics,
            ...(overrides.teamsAuthOverrides ? { authOverrides: overrides.teamsAuthOverrides } : {}),
          });
          stoppables.unshift({ name: 'teams', stop: () => teams.stop() });
        })(),
      );
      const failed = (await Promise.allSettled(mounts)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;

      core = { ...built, engine };
      markReady();
    } catch (err) {
      markFailed(err);
    }
  })();

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const started = performance.now();
      http.startDraining();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // A start-up still in progress gets the grace period to finish, so what it opened is closed below.
      await within(ready.catch(() => {}), config.server.shutdownGraceMs);
      const drained = await tracker.drain(config.server.shutdownGraceMs);
      if (!drained) logger.warn({ inflight: tracker.count, graceMs: config.server.shutdownGraceMs }, 'shutdown grace period over; dropping unfinished work');
      server.closeAllConnections();
      await serverClosed;
      for (const s of stoppables) {
        try {
          const stopped = await within(s.stop(), 5_000);
          if (!stopped) logger.warn({ component: s.name }, 'did not stop within 5 s');
        } catch (err) {
          logger.error({ component: s.name, err }, 'error while stopping');
        }
      }
      logger.info({ ms: Math.round(performance.now() - started), drained }, 'vmk stopped');
    })();
    return closing;
  };

  return { url, port, ready, core: () => core, logger, close };
}

/**
 * `vmk serve`: reads the configuration (environment and .env), starts the
 * server, reports what is on, and stops gracefully on SIGTERM or SIGINT.
 * Resolves once the server is ready; the process then keeps running.
 */
export async function main(): Promise<RunningServer> {
  const config = loadConfig();
  const logger = await createLogger(config.log);
  logger.info({ config: describeConfig(config) }, 'configuration');

  const server = await startServer(config, { logger });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, graceMs: config.server.shutdownGraceMs }, 'stopping: finishing in-flight turns');
    const hardStop = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.server.shutdownGraceMs + 15_000);
    hardStop.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection');
  });

  try {
    await server.ready;
  } catch (err) {
    await server.close();
    throw err;
  }
  for (const p of describePlatforms(config)) logger.info({ platform: p.platform, on: p.on }, p.message);
  if (config.playground.enabled && !config.playground.secret && config.store.kind === 'redis') {
    logger.warn(
      'The playground signs its identity cookies with a secret made at start-up, so each instance refuses the others\' cookies and a browser moved to another instance loses its dialog. Set the same VMK_PLAYGROUND_SECRET on every instance',
    );
  }
  // Last, so it is the line a person sees.
  logger.info(
    { url: `${server.url}/`, msSinceProcessStart: Math.round(performance.now()) },
    config.playground.enabled ? `vmk is ready. Playground: ${server.url}/` : 'vmk is ready. Playground: off (VMK_PLAYGROUND=on turns it on)',
  );
  return server;
}
