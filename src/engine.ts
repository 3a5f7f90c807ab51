import type { InboundMessage, TurnResult } from './types.js';

/** The turn engine: one inbound message in, replies out. Platform-neutral. */
export interface Engine {
  handle(msg: InboundMessage): Promise<TurnResult>;
}
