import type { Reply } from '../../src/types.js';
import { SLACK_COMMAND } from './constants.js';

/** Questions shown on the Home tab; each is also a button that asks it. */
export const HOME_EXAMPLES = [
  'How do VMs and Kubernetes compare on isolation?',
  'Which one scales better?',
  'Is Kubernetes more portable than virtual machines?',
  'We run a legacy Windows app with strict isolation needs. VMs or Kubernetes?',
] as const;

/**
 * The App Home tab as a neutral reply (rendered by the same Block Kit
 * renderer as every message). It only describes how to reach vmk; the
 * answers themselves always come from the core.
 */
export function homeReply(): Reply {
  return {
    kind: 'help',
    title: 'vmk: virtual machines, Kubernetes, or both?',
    summary: 'vmk helps you decide where a workload should run.',
    blocks: [
      {
        text:
          'vmk helps your team decide whether a workload belongs on virtual machines, on Kubernetes, or on a mix of the two. ' +
          'It compares the two on resource efficiency, isolation, portability, orchestration, deployment speed, maintenance, scaling and security, ' +
          'and it can walk you through a few questions about your workload to reach a recommendation.',
      },
      {
        heading: 'Where to use it',
        bullets: [
          'Mention @vmk in a channel: the answer arrives in a thread under your message.',
          'Send vmk a direct message: ask a question, or describe a workload to get a review.',
          `Type ${SLACK_COMMAND} in any channel: with no text it starts the guided recommendation (only you see it); ${SLACK_COMMAND} help shows usage.`,
        ],
      },
      { heading: 'Try asking', bullets: [...HOME_EXAMPLES] },
    ],
    choices: [{ label: 'Start a recommendation', action: { type: 'start' }, style: 'primary' }],
    actions: HOME_EXAMPLES.map((text) => ({ label: text, action: { type: 'ask' as const, text } })),
    source: "Kubernetes vs. Virtual Machines: The Evolution of Infrastructure (ABS), the one article vmk's knowledge comes from",
  };
}
