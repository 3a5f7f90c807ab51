/**
 * The web playground: a static chat page (adapters/web/public, no build step)
 * and one JSON endpoint that runs a turn through the same engine as Slack and
 * Teams, with platform 'web' and workspace 'local'.
 *
 * Each browser gets a server-issued identity in a signed, HttpOnly cookie
 * (identity.ts); that identity is the turn's user, so one browser cannot read
 * or move another's dialog whatever ids it sends. Turns are rate limited per
 * client address (express-rate-limit). The whole playground is off (404) with
 * VMK_PLAYGROUND=off, the default when NODE_ENV=production.
 */
import { join } from 'node:path';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import type { Engine } from '../../src/engine.js';
import type { Logger } from '../../src/logger.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import type { Action, InboundMessage, Reply } from '../../src/types.js';
import { IDENTITY_COOKIE, IDENTITY_MAX_AGE_MS, identityCookieValue, newIdentity, readCookie, verifyIdentity } from './identity.js';

export const PUBLIC_DIR = join(PROJECT_ROOT, 'adapters', 'web', 'public');

/** The longest message the playground accepts; the page shows the same limit (data-max-chars on its text box). */
export const MAX_TEXT_CHARS = 12_000;

const id = z.string().trim().min(1).max(200).regex(/^[\w.:@-]+$/, 'use letters, digits and . : @ _ - only');
const step = z.number().int().min(0).max(1000);
const owner = z.string().min(1).max(200);

/** A button click as the page sends it back: exactly the Action the reply carried. */
export const ActionSchema: z.ZodType<Action> = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('answer'), dialog: z.string().min(1).max(200), owner, step, value: z.string().min(1).max(200) }),
  z.strictObject({ type: z.enum(['skip', 'back', 'restart', 'cancel']), dialog: z.string().min(1).max(200), owner, step }),
  z.strictObject({ type: z.literal('start') }),
  z.strictObject({ type: z.literal('ask'), text: z.string().trim().min(1).max(2000) }),
  z.strictObject({ type: z.literal('share'), dialog: z.string().min(1).max(200), owner }),
]);

export const TurnRequestSchema = z
  .strictObject({
    conversation: id,
    /** Ignored: the user is the identity in the cookie. Accepted so older pages and scripts still get an answer. */
    user: id.optional(),
    text: z.string().max(MAX_TEXT_CHARS, `the message is longer than ${MAX_TEXT_CHARS.toLocaleString('en')} characters; shorten it`).optional(),
    action: ActionSchema.optional(),
  })
  .refine((b) => b.action !== undefined || (b.text !== undefined && b.text.trim() !== ''), {
    message: 'send either text (what the person typed) or action (the button they clicked)',
    path: ['text'],
  });

export interface TurnResponse {
  replies: Reply[];
}

export interface PlaygroundOptions {
  engine: Engine;
  logger: Logger;
  maxBodyBytes: number;
  /** Signs the identity cookies (config VMK_PLAYGROUND_SECRET, or random bytes made at start-up). */
  secret: string | Buffer;
  /** Turns per minute per client address; 0 turns the limit off. */
  rateLimitPerMinute: number;
}

/** Mounts GET / (the page and its assets) and POST /api/playground/turn. */
export function mountPlayground(app: express.Express, opts: PlaygroundOptions): void {
  const router = express.Router();
  const logger = opts.logger.child({ component: 'playground' });

  /** The browser's identity: the one its cookie proves, or a new one set in a fresh cookie. */
  const identify = (req: express.Request, res: express.Response): string => {
    const known = verifyIdentity(opts.secret, readCookie(req.headers.cookie, IDENTITY_COOKIE));
    if (known) return known;
    const fresh = newIdentity();
    res.cookie(IDENTITY_COOKIE, identityCookieValue(opts.secret, fresh), {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      maxAge: IDENTITY_MAX_AGE_MS,
      encode: String,
    });
    return fresh;
  };

  const limits: express.RequestHandler[] = [];
  if (opts.rateLimitPerMinute > 0) {
    let warnedForwarded = false;
    limits.push(
      rateLimit({
        windowMs: 60_000,
        limit: opts.rateLimitPerMinute,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        // The library's checks print to the console; the one that matters here is logged below instead.
        validate: false,
        handler: (req, res) => {
          if (!warnedForwarded && req.headers['x-forwarded-for'] !== undefined && !req.app.get('trust proxy')) {
            warnedForwarded = true;
            logger.warn('playground rate limit reached by a proxy address: requests carry X-Forwarded-For, so set VMK_TRUST_PROXY to the number of proxies in front of vmk to limit each client on its own');
          }
          logger.info({ path: req.path }, 'playground rate limit reached');
          res.status(429).json({
            error: 'rate_limited',
            message: `Too many messages from your address: the playground takes ${opts.rateLimitPerMinute} a minute. Wait a few seconds and send again.`,
          });
        },
      }),
    );
  }

  router.post('/api/playground/turn', ...limits, express.json({ limit: opts.maxBodyBytes, strict: true }), async (req, res) => {
    if (!req.is('application/json')) {
      res.status(415).json({ error: 'unsupported_media_type', message: 'Send the turn as JSON (Content-Type: application/json).' });
      return;
    }
    const parsed = TurnRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({
        error: 'invalid_request',
        message: 'The turn request is not valid.',
        problems: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message })),
      });
      return;
    }
    const body = parsed.data;
    const msg: InboundMessage = {
      platform: 'web',
      workspace: 'local',
      conversation: body.conversation,
      user: identify(req, res),
      text: body.action?.type === 'ask' ? body.action.text : (body.text ?? ''),
      surface: body.action ? 'button' : 'web',
      ...(body.action ? { action: body.action } : {}),
    };
    const result = await opts.engine.handle(msg);
    const response: TurnResponse = { replies: result.replies };
    res.setHeader('Cache-Control', 'no-store');
    res.json(response);
  });

  // The page load issues the identity, so the first clicks do not race for one.
  router.get(['/', '/index.html'], (req, _res, next) => {
    identify(req, _res);
    next();
  });
  router.use(
    express.static(PUBLIC_DIR, {
      index: 'index.html',
      fallthrough: true,
      setHeaders(res) {
        res.setHeader('Cache-Control', 'no-cache');
        res.setHeader(
          'Content-Security-Policy',
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        );
        res.setHeader('Referrer-Policy', 'no-referrer');
      },
    }),
  );

  app.use(router);
}
