import type { Metrics, StoreOperation } from '../metrics.js';
import { StoreUnavailableError, type StateStore } from './types.js';

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
  return {
    kind: store.kind,
    get: (key) => call('get', () => store.get(key)),
    set: (key, value, expectedVersion, ttlMs) => call('set', () => store.set(key, value, expectedVersion, ttlMs)),
    delete: (key) => call('delete', () => store.delete(key)),
    claimEvent: (id, ttlMs) => call('claimEvent', () => store.claimEvent(id, ttlMs)),
    ping: () => call('ping', () => store.ping()),
    close: () => store.close(),
  };
}
