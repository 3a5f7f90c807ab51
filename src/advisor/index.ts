export { createAdvisor, MAX_TEXT, type AdvisorOptions, type Analysis, type VmkAdvisor } from './advisor.js';
export { buildCatalog, loadCatalog, type Catalog, type Question, type Trait, type HybridPatternId } from './catalog.js';
export { evaluate, openQuestions, THRESHOLD, VERDICTS, type Evaluation, type Verdict } from './engine.js';
export { createExtractor, type FoundTrait } from './extract.js';
export { evaluateWorkloads, formatReviewText, formatWorkloadEval, parseWorkloadsJsonl, reviewJson, type ReviewJson, type WorkloadEvalReport, type WorkloadLine } from './report.js';
export { DialogStateSchema, MAX_QUESTIONS, type DialogState } from './state.js';
export type { Advisor, AdvisorResult } from './types.js';
export type { AdvisorKnowledge } from './render.js';
