import { createAdvisor } from './advisor/index.js';
import { createEngine, type Engine } from './engine.js';
import { loadKnowledge } from './knowledge/load.js';
import type { Knowledge } from './knowledge/schema.js';
import { silentLogger, type Logger } from './logger.js';
import { createNlu } from './nlu/index.js';
import type { Nlu } from './nlu/types.js';
import type { StateStore } from './store/types.js';
import type { Advisor } from './advisor/types.js';

export interface Core {
  knowledge: Knowledge;
  nlu: Nlu;
  advisor: Advisor;
  engine: Engine;
  store: StateStore;
}

/**
 * Builds the platform-neutral core around a store: knowledge (validated),
 * the trained classifier, the advisor and the turn engine.
 */
export function buildEngineCore(opts: {
  store: StateStore;
  logger?: Logger;
  dialogTtlMs?: number;
  now?: () => number;
  knowledgeDir?: string;
}): Core {
  const knowledge = loadKnowledge(opts.knowledgeDir);
  const nlu = createNlu(knowledge);
  const advisor = createAdvisor(knowledge) as Advisor;
  const engine = createEngine({
    knowledge,
    nlu,
    advisor,
    store: opts.store,
    logger: opts.logger ?? silentLogger,
    dialogTtlMs: opts.dialogTtlMs ?? 24 * 3600_000,
    now: opts.now,
  });
  return { knowledge, nlu, advisor, engine, store: opts.store };
}
