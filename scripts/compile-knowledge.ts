/**
 * `npm run build` step: writes dist/knowledge.compiled.json (validated
 * knowledge, advisor catalogue and trained classifier, with the hash of the
 * sources they came from; see src/compiled.ts). When knowledge/ does not
 * validate, any old file is removed and the build goes on: `vmk serve` then
 * reports every problem in the knowledge files, as it does without the file.
 */
import { relative } from 'node:path';
import { COMPILED_KNOWLEDGE_FILE, removeCompiledKnowledge, writeCompiledKnowledge } from '../src/compiled.js';
import { KnowledgeError } from '../src/errors.js';

const started = performance.now();
const shown = relative(process.cwd(), COMPILED_KNOWLEDGE_FILE) || COMPILED_KNOWLEDGE_FILE;
try {
  writeCompiledKnowledge();
  if (process.argv.includes('--verbose')) process.stdout.write(`compiled knowledge: ${shown} (${Math.round(performance.now() - started)} ms)\n`);
} catch (err) {
  removeCompiledKnowledge();
  if (!(err instanceof KnowledgeError)) throw err;
  process.stderr.write(`compiled knowledge not written (start-up will load knowledge/ and report this):\n${err.message}\n`);
}
