/**
 * The logger the core is given. pino's Logger satisfies it; tests can pass a
 * recorder. The core never builds its own logger.
 */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  /** pino has it; lets callers skip building records nobody will see. */
  isLevelEnabled?(level: string): boolean;
}

/** A logger that drops everything (CLI one-shots, some tests). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * A child logger that is only built when a record at an enabled level is
 * written: most turns at a quiet log level log nothing, and building a pino
 * child (with redaction) for each one is measurable under load.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  const write = (level: Level) => (obj: object | string, msg?: string) => {
    if (parent.isLevelEnabled && !parent.isLevelEnabled(level)) return;
    (child ??= parent.child(bindings))[level](obj, msg);
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => (child ??= parent.child(bindings)).child(more),
  };
}
