/**
 * The process logger: pino, JSON lines in production and for log collectors,
 * pino-pretty when a person reads a terminal. Secrets are redacted by path, so
 * a token or an Authorization header that ends up in a logged object never
 * reaches the output.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { Config } from './config.js';

/** Paths pino censors wherever they appear (up to three levels deep). */
export const REDACT_PATHS: string[] = (() => {
  const keys = [
    'password',
    'appPassword',
    'MicrosoftAppPassword',
    'token',
    'botToken',
    'appToken',
    'accessToken',
    'access_token',
    'secret',
    'signingSecret',
    'clientSecret',
    'authorization',
    'Authorization',
    'cookie',
    'SLACK_BOT_TOKEN',
    'SLACK_APP_TOKEN',
    'SLACK_SIGNING_SECRET',
    'VMK_PLAYGROUND_SECRET',
    'VMK_METRICS_TOKEN',
  ];
  const paths: string[] = [];
  for (const k of keys) paths.push(k, `*.${k}`, `*.*.${k}`);
  paths.push('req.headers.authorization', 'req.headers.cookie', 'req.headers["x-slack-signature"]', 'headers.authorization', 'headers.cookie');
  return paths;
})();

export interface CreateLoggerOptions {
  /** Where JSON lines go (tests capture them); default stdout. Pretty output always goes to stdout. */
  destination?: DestinationStream;
  /** Bindings on every line; default { name: 'vmk' }. */
  base?: Record<string, unknown>;
}

export type { PinoLogger };

/**
 * Builds the logger from the log configuration. pino-pretty is imported only
 * when the format is pretty, so production start-up does not load it.
 */
export async function createLogger(config: Config['log'], options: CreateLoggerOptions = {}): Promise<PinoLogger> {
  const opts = {
    level: config.level,
    base: options.base ?? { name: 'vmk' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  if (config.format === 'pretty' && !options.destination) {
    const { default: pretty } = await import('pino-pretty');
    return pino(opts, pretty({ sync: true, colorize: Boolean(process.stdout.isTTY), ignore: 'pid,hostname,name', translateTime: 'SYS:HH:MM:ss.l' }));
  }
  return pino(opts, options.destination ?? pino.destination({ dest: 1, sync: true }));
}

/** A destination that keeps every JSON line as an object (tests). */
export function memoryDestination(): DestinationStream & { lines: Record<string, unknown>[]; text(): string } {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    write(msg: string) {
      raw.push(msg);
      try {
        lines.push(JSON.parse(msg) as Record<string, unknown>);
      } catch {
        lines.push({ msg });
      }
    },
    text() {
      return raw.join('');
    },
  };
}
