import { describe, expect, it } from 'vitest';
import { noMetrics, type Metrics } from '../src/metrics.js';
import { MemoryStore } from '../src/store/memory.js';
import { meteredStore } from '../src/store/metered.js';
import { StoreUnavailableError } from '../src/store/types.js';

describe('the metered store wrapper', () => {
  it('passes the outbox and the owner of a claim through, so crash protection stays on', async () => {
    const store = meteredStore(new MemoryStore(), noMetrics);
    expect(store.outbox).toBeDefined();
    await store.outbox!.add('w1', '{"x":1}', 'me', 10_000);
    expect(await store.outbox!.save('w1', '{"x":2}', 'me', 10_000)).toBe(true);
    expect(await store.claimEvent('E1', 60_000, 'w1')).toBe(true);
    // The same owner claims again after a restart; anyone else still sees the id taken.
    expect(await store.claimEvent('E1', 60_000, 'w1')).toBe(true);
    expect(await store.claimEvent('E1', 60_000, 'w2')).toBe(false);
    expect(await store.claimEvent('E1', 60_000)).toBe(false);
    await store.close();
  });

  it('counts outbox failures as store errors and rethrows them', async () => {
    const seen: string[] = [];
    const metrics: Metrics = { ...noMetrics, storeError: (kind, operation, what) => void seen.push(`${kind}/${operation}/${what}`) };
    const inner = new MemoryStore();
    const failing = Object.assign(Object.create(Object.getPrototypeOf(inner) as object) as MemoryStore, inner, {
      outbox: { ...inner.outbox!, add: () => Promise.reject(new StoreUnavailableError('down')) },
    });
    const store = meteredStore(failing, metrics);
    await expect(store.outbox!.add('w', '{}', 'me', 1000)).rejects.toThrow('down');
    expect(seen).toEqual(['memory/outbox/unavailable']);
  });
});
