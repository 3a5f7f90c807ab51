/**
 * vmk's error taxonomy. Every error has a stable code; what a user reads is
 * separate from what the log gets, and setup errors say how to fix them.
 */
export class VmkError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface KnowledgeProblem {
  file: string;
  /** Path inside the file, e.g. "dimensions[2].favours". Empty for whole-file problems. */
  path: string;
  message: string;
  line?: number;
}

/** A knowledge file is missing, unreadable or does not match its schema. */
export class KnowledgeError extends VmkError {
  constructor(readonly problems: KnowledgeProblem[]) {
    super(
      'VMK_KNOWLEDGE_INVALID',
      `The knowledge base has ${problems.length} problem${problems.length === 1 ? '' : 's'}; fix the file(s) below and start again:\n` +
        problems
          .map((p) => `  - ${p.file}${p.line ? `:${p.line}` : ''}${p.path ? ` at ${p.path}` : ''}: ${p.message}`)
          .join('\n'),
    );
  }
}

/** The environment or .env file holds a bad or missing value. */
export class ConfigError extends VmkError {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'VMK_CONFIG_INVALID',
      `vmk cannot start: ${problems.length} configuration problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n') +
        '\nSet these in the environment or in .env (see the configuration table in README.md).',
    );
  }
}
