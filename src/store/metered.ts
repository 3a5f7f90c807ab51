import type { Metrics, StoreOperation } from '../metrics.js';
import { StoreUnavailableError, type Outbox, type StateStore } from './types.js';

/**
 * The same store, with every call that throws counted (by store kind,
 * operation and whether the backing service was unreachable). The error
 * itself goes on to the caller unchanged.
 */
export function meteredStore(store: StateStore, metrics: Metrics): StateStore {
  // async, so a store that throws synchronously is counted too.
  const call = async <T>(operation: StoreOperation, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      metrics.storeError(store.kind, operation, err instanceof StoreUnavailableError ? 'unavailable' : 'other');
      throw err;
    }
  };
  const inner = store.outbox;
  // Every method and argument passes through: a wrapper that dropped the outbox, or the owner of a claim,
  // would turn off the Slack adapter's crash protection.
  const outbox: Outbox | undefined = inner && {
    add: (id, data, holder, leaseMs) => call('outbox', () => inner.add(id, data, holder, leaseMs)),
    save: (id, data, holder, leaseMs) => call('outbox', () => inner.save(id, data, holder, leaseMs)),
    renew: (ids, holder, leaseMs) => call('outbox', () => inner.renew(ids, holder, leaseMs)),
    remove: (id) => call('outbox', () => inner.remove(id)),
    takeExpired: (holder, leaseMs, limit) => call('outbox', () => inner.takeExpired(holder, leaseMs, limit)),
  };
  return {
    kind: store.kind,
    get: (key) => call('get', () => store.get(key)),
    set: (key, value, expectedVersion, ttlMs) => call('set', () => store.set(key, value, expectedVersion, ttlMs)),
    delete: (key) => call('delete', () => store.delete(key)),
    claimEvent: (id, ttlMs, owner) => call('claimEvent', () => store.claimEvent(id, ttlMs, owner)),
    ...(outbox ? { outbox } : {}),
    ping: () => call('ping', () => store.ping()),
    close: () => store.close(),
  };
}
