import { EXAMPLE_QUESTIONS, START_CHOICE } from '../../src/answers.js';
import type { Reply } from '../../src/types.js';

/** The card vmk posts once when it is installed in a personal chat, a team or a group chat. */
export function welcomeReply(personal: boolean): Reply {
  return {
    kind: 'greeting',
    title: 'Hi, I am vmk',
    summary: 'vmk helps you decide whether a workload should run on virtual machines, Kubernetes, or both.',
    blocks: [
      {
        text:
          'I compare virtual machines and Kubernetes and help you decide where a workload should run. ' +
          'Ask a question, describe your workload for a review, or let me guide you with a few questions.',
      },
      {
        heading: 'Try asking',
        bullets: [...EXAMPLE_QUESTIONS],
      },
      {
        text: personal
          ? 'Just type here. "help" shows everything I can do.'
          : 'In a channel or group chat, @mention me with your question and I answer in the thread. Only the person who starts a recommendation can answer its questions.',
      },
    ],
    choices: [{ ...START_CHOICE, label: 'Start a recommendation' }],
    actions: EXAMPLE_QUESTIONS.map((q) => ({ label: q, action: { type: 'ask', text: q } })),
  };
}
