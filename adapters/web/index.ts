/**
 * The web playground: a static chat page (adapters/web/public, no build step)
 * and one JSON endpoint that runs a turn through the same engine as Slack and
 * Teams, with platform 'web' and workspace 'local'.
 */
import { join } from 'node:path';
import express from 'express';
import { z } from 'zod';
import type { Engine } from '../../src/engine.js';
import type { Logger } from '../../src/logger.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import type { Action, InboundMessage, Reply } from '../../src/types.js';

export const PUBLIC_DIR = join(PROJECT_ROOT, 'adapters', 'web', 'public');

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
    user: id,
    text: z.string().max(12_000).optional(),
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
}

/** Mounts GET / (the page and its assets) and POST /api/playground/turn. */
export function mountPlayground(app: express.Express, opts: PlaygroundOptions): void {
  const router = express.Router();

  router.post('/api/playground/turn', express.json({ limit: opts.maxBodyBytes, strict: true }), async (req, res) => {
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
      user: body.user,
      text: body.action?.type === 'ask' ? body.action.text : (body.text ?? ''),
      surface: body.action ? 'button' : 'web',
      ...(body.action ? { action: body.action } : {}),
    };
    const result = await opts.engine.handle(msg);
    const response: TurnResponse = { replies: result.replies };
    res.setHeader('Cache-Control', 'no-store');
    res.json(response);
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
