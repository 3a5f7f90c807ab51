import { createAdvisor, loadCatalog } from './advisor/index.js';
import { createEngine, type Engine } from './engine.js';
import { loadKnowledge } from './knowledge/load.js';
import type { Knowledge } from './knowledge/schema.js';
import { silentLogger, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { createNlu, createNluFromModel } from './understanding/index.js';
import { nluKnowledge } from './understanding/corpus.js';
import { KNOWLEDGE_DIR } from './paths.js';
import { COMPILED_KNOWLEDGE_FILE, readCompiledKnowledge } from './compiled.js';
import type { NluEngine } from './understanding/index.js';
import type { StateStore } from './store/types.js';
import type { Advisor } from './advisor/types.js';

export interface Core {
  knowledge: Knowledge;
  nlu: NluEngine;
  advisor: Advisor;
  engine: Engine;
  store: StateStore;
  /** Where knowledge and classifier came from: the compiled file, or knowledge/ loaded and trained now. */
  knowledgeSource: 'compiled' | 'fresh';
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
  /** Where the engine counts turns (src/metrics.ts); default: nowhere. */
  metrics?: Metrics;
  knowledgeDir?: string;
  /**
   * The compiled knowledge file to try (default dist/knowledge.compiled.json),
   * or false to always load, validate and train. It is used only when it
   * was built from the current sources of the knowledge folder and the code.
   */
  compiled?: string | false;
}): Core {
  const logger = opts.logger ?? silentLogger;
  const dir = opts.knowledgeDir ?? KNOWLEDGE_DIR;
  const read = opts.compiled === false ? null : readCompiledKnowledge(opts.compiled || COMPILED_KNOWLEDGE_FILE, dir);
  let knowledge: Knowledge;
  let nlu: NluEngine;
  let advisor: Advisor;
  if (read?.ok) {
    const { compiled } = read;
    knowledge = compiled.knowledge;
    nlu = createNluFromModel(knowledge, compiled.nlu);
    advisor = createAdvisor(knowledge, { catalog: compiled.catalog }) as Advisor;
    logger.debug({ file: opts.compiled || COMPILED_KNOWLEDGE_FILE }, 'knowledge and classifier from the compiled file');
  } else {
    if (read && read.reason !== 'missing') logger.info({ reason: read.reason }, 'the compiled knowledge does not match knowledge/ and the code; loading and training now (npm run build refreshes it)');
    knowledge = loadKnowledge(dir);
    nlu = createNlu(nluKnowledge(knowledge, dir));
    advisor = createAdvisor(knowledge, { catalog: loadCatalog(dir) }) as Advisor;
  }
  const engine = createEngine({
    knowledge,
    nlu,
    advisor,
    store: opts.store,
    logger,
    dialogTtlMs: opts.dialogTtlMs ?? 24 * 3600_000,
    now: opts.now,
    metrics: opts.metrics,
  });
  return { knowledge, nlu, advisor, engine, store: opts.store, knowledgeSource: read?.ok ? 'compiled' : 'fresh' };
}
