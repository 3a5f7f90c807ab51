/**
 * Starts a real vmk server (the same startServer as `vmk serve`) on a free
 * loopback port, with an in-memory store and a captured JSON log.
 *
 *   const srv = await startTestServer({ env: { SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: 'xoxb-1' } });
 *   const res = await fetch(`${srv.url}/healthz`);
 *   await srv.close();
 */
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger, memoryDestination } from '../../src/log.js';
import { startServer, type Core, type ServerOverrides } from '../../src/main.js';
import type { StateStore } from '../../src/store/types.js';

export interface TestServerOptions {
  /** Environment variables on top of the test defaults (PORT=0, HOST=127.0.0.1, VMK_STORE=memory, LOG_LEVEL=debug). */
  env?: Record<string, string | undefined>;
  /** Changes applied to the loaded Config (after validation). */
  config?: (config: Config) => Config;
  /** A ready-made store instead of the configured one. */
  store?: StateStore;
  now?: () => number;
  teamsAuthOverrides?: Record<string, string>;
  /** Wraps the engine (slow or failing turns). */
  wrapEngine?: ServerOverrides['wrapEngine'];
  /** Wait for /readyz conditions (core built, adapters mounted). Default true. */
  waitReady?: boolean;
}

export interface TestServer {
  /** e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  port: number;
  config: Config;
  /** The core (engine, store, knowledge...) once ready. */
  core: Core;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  /** The raw log output (to check that a secret never appears). */
  logText(): string;
  ready: Promise<void>;
  close(): Promise<void>;
}

export const TEST_ENV: Record<string, string> = {
  PORT: '0',
  HOST: '127.0.0.1',
  VMK_STORE: 'memory',
  LOG_LEVEL: 'debug',
  LOG_FORMAT: 'json',
  NODE_ENV: 'test',
  VMK_SHUTDOWN_GRACE_MS: '2000',
};

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const env: Record<string, string | undefined> = { ...TEST_ENV, ...(opts.env ?? {}) };
  let config = loadConfig(env, { envFile: null, isTTY: false });
  if (opts.config) config = opts.config(config);
  const dest = memoryDestination();
  const logger = await createLogger(config.log, { destination: dest });
  const overrides: ServerOverrides = {
    logger,
    ...(opts.store ? { store: opts.store } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.teamsAuthOverrides ? { teamsAuthOverrides: opts.teamsAuthOverrides } : {}),
    ...(opts.wrapEngine ? { wrapEngine: opts.wrapEngine } : {}),
  };
  const server = await startServer(config, overrides);
  if (opts.waitReady !== false) {
    try {
      await server.ready;
    } catch (err) {
      await server.close();
      throw err;
    }
  }
  return {
    url: server.url,
    port: server.port,
    config,
    get core(): Core {
      const core = server.core();
      if (!core) throw new Error('the test server is not ready yet; await srv.ready first');
      return core;
    },
    logs: dest.lines,
    logText: () => dest.text(),
    ready: server.ready,
    close: () => server.close(),
  };
}
