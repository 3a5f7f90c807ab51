/**
 * The Prometheus side of src/metrics.ts: prom-client metrics in a registry of
 * their own, and the `GET /metrics` handler that serves them in the text
 * exposition format. src/main.ts imports this module only when VMK_METRICS is
 * on, so with metrics off prom-client is never loaded.
 *
 *   vmk_turns_total{platform,intent,outcome}          counter
 *   vmk_turn_duration_seconds{platform}               histogram
 *   vmk_delivery_retries_total{platform}              counter (slack, teams)
 *   vmk_delivery_failures_total{platform}             counter (slack, teams)
 *   vmk_store_errors_total{store,operation,kind}      counter
 *   vmk_queue_depth{queue}                            gauge, read at scrape time
 *   vmk_in_flight                                     gauge, read at scrape time
 *   process_*, nodejs_*                               prom-client's default metrics
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeliveryPlatform, Metrics } from '../../src/metrics.js';

/** Turn latency buckets, in seconds: a turn takes about 0.4 ms at p50 and 3 ms at p99 (README, Performance); the top ones catch a slow store. */
export const TURN_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const DELIVERY_PLATFORMS: DeliveryPlatform[] = ['slack', 'teams'];

export interface PrometheusMetrics extends Metrics {
  readonly registry: Registry;
  /** Serves GET /metrics: 401 without the token when one is configured. */
  handle(req: Request, res: Response): Promise<void>;
}

export interface PrometheusOptions {
  /** VMK_METRICS_TOKEN: when set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string;
  /** prom-client's default process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function createPrometheusMetrics(opts: PrometheusOptions = {}): PrometheusMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const turns = new Counter({
    name: 'vmk_turns_total',
    help: 'Turns answered, by platform, intent (or dialog, action, none) and outcome (ok, store_unavailable, error).',
    labelNames: ['platform', 'intent', 'outcome'] as const,
    registers: [registry],
  });
  const turnSeconds = new Histogram({
    name: 'vmk_turn_duration_seconds',
    help: 'Time the core took to answer a turn (classify, decide, read and write the store), in seconds.',
    labelNames: ['platform'] as const,
    buckets: TURN_BUCKETS,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'vmk_delivery_retries_total',
    help: 'Sends to Slack or Teams that failed and were tried again (rate limits, 5xx, network errors).',
    labelNames: ['platform'] as const,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'vmk_delivery_failures_total',
    help: 'Sends to Slack or Teams that failed after their retries: a reply that did not arrive.',
    labelNames: ['platform'] as const,
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'vmk_store_errors_total',
    help: 'Conversation store calls that failed, by store, operation and kind (unavailable: the service could not be reached).',
    labelNames: ['store', 'operation', 'kind'] as const,
    registers: [registry],
  });
  // Series that exist from the start read 0 instead of being absent, so rate() and alerts work before the first failure.
  for (const platform of DELIVERY_PLATFORMS) {
    retries.labels(platform).inc(0);
    failures.labels(platform).inc(0);
  }

  const queues = new Map<string, () => number>();
  new Gauge({
    name: 'vmk_queue_depth',
    help: 'Work waiting in a queue, read at scrape time (slack: acknowledged events and clicks waiting for a turn).',
    labelNames: ['queue'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [queue, read] of queues) this.labels(queue).set(read());
    },
  });
  let inFlight: (() => number) | undefined;
  new Gauge({
    name: 'vmk_in_flight',
    help: 'HTTP requests and turns in progress, read at scrape time.',
    registers: [registry],
    collect() {
      this.set(inFlight ? inFlight() : 0);
    },
  });

  const expected = opts.token ? digest(`Bearer ${opts.token}`) : null;

  return {
    registry,
    turn(platform, intent, outcome, seconds) {
      turns.labels(platform, intent, outcome).inc();
      turnSeconds.labels(platform).observe(seconds);
    },
    deliveryRetry(platform) {
      retries.labels(platform).inc();
    },
    deliveryFailure(platform) {
      failures.labels(platform).inc();
    },
    storeError(store, operation, kind) {
      storeErrors.labels(store, operation, kind).inc();
    },
    queueDepth(queue, read) {
      queues.set(queue, read);
    },
    inFlight(read) {
      inFlight = read;
    },
    async handle(req, res) {
      if (expected) {
        const given = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
        // Compared as digests: equal length, constant time, and the token never appears in a comparison.
        if (!timingSafeEqual(digest(given), expected)) {
          res.setHeader('WWW-Authenticate', 'Bearer realm="vmk metrics"');
          res.status(401).json({ error: 'unauthorized', message: 'GET /metrics needs Authorization: Bearer <VMK_METRICS_TOKEN>.' });
          return;
        }
      }
      const body = await registry.metrics();
      res.setHeader('Content-Type', registry.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).send(body);
    },
  };
}
