/**
 * What vmk counts, as a platform-neutral sink. The engine, the store wrapper
 * and the adapters report through this interface and never import a metrics
 * library: src/main.ts injects the Prometheus implementation
 * (adapters/http/metrics.ts) when VMK_METRICS is on, and `noMetrics` otherwise.
 */
import type { Platform } from './types.js';

/** How a turn ended: answered, answered without the store (plain questions still work), or failed with an apology. */
export type TurnOutcome = 'ok' | 'store_unavailable' | 'error';

/** The platforms vmk sends replies to over the network. */
export type DeliveryPlatform = 'slack' | 'teams';

/** The store operations that can fail. */
export type StoreOperation = 'get' | 'set' | 'delete' | 'claimEvent' | 'outbox' | 'ping';

export interface Metrics {
  /**
   * One finished turn. `intent` is the classified intent, or `dialog` (a typed
   * dialog answer), `action` (a button) or `none` (a turn that failed).
   */
  turn(platform: Platform, intent: string, outcome: TurnOutcome, seconds: number): void;
  /** A send to Slack or Teams that failed and is tried again. */
  deliveryRetry(platform: DeliveryPlatform): void;
  /** A send to Slack or Teams that failed for good (after its retries): the person did not get that reply. */
  deliveryFailure(platform: DeliveryPlatform): void;
  /** A store call that threw; `unavailable` when the backing service could not be reached. */
  storeError(store: string, operation: StoreOperation, kind: 'unavailable' | 'other'): void;
  /** Registers a queue whose depth is read at every scrape (the Slack adapter's turns waiting for a slot). */
  queueDepth(queue: string, read: () => number): void;
  /** Registers the count of HTTP requests and turns in progress, read at every scrape. */
  inFlight(read: () => number): void;
}

/** The sink when metrics are off (VMK_METRICS=off), and the default of every component. */
export const noMetrics: Metrics = {
  turn() {},
  deliveryRetry() {},
  deliveryFailure() {},
  storeError() {},
  queueDepth() {},
  inFlight() {},
};
