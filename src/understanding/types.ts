import type { ConversationState } from '../store/types.js';
import type { Classification } from '../types.js';

/** Language understanding: text in, intent + slots out. Pure and synchronous once trained. */
export interface Nlu {
  /**
   * Classifies one utterance. `context` is the conversation's memory, used for
   * follow-ups ("what about security?" after a topic answer; "and for VMs?").
   */
  classify(text: string, context?: ConversationState['context']): Classification;
}
