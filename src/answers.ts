import type { Knowledge, SectionId, TopicEntry } from './knowledge/schema.js';
import type { Choice, IntentId, Reply, Side, Topic } from './types.js';
import { DIMENSIONS } from './types.js';

/**
 * Answers built from the knowledge base. Pure functions: knowledge in, a
 * neutral Reply out. Nothing here knows about Slack, Teams or terminals.
 */

export const SIDE_NAME: Record<Side, string> = { vm: 'Virtual machines', kubernetes: 'Kubernetes' };
const SIDE_SHORT: Record<Side | 'depends', string> = { vm: 'VMs', kubernetes: 'Kubernetes', depends: 'Depends on the workload' };

/**
 * `"Kubernetes vs. Virtual Machines" (ABS), section "Comparison: 2. Isolation"`: the
 * citation alone. Renderers label it ("Source: ..."), as they do the advisor's.
 */
export function cite(k: Knowledge, ...sections: SectionId[]): string {
  const titles = [...new Set(sections)].map((id) => k.article.sections.find((s) => s.id === id)?.title ?? id);
  return `"${k.article.title}" (${k.article.publisher}), ${titles.length > 1 ? 'sections' : 'section'} ${titles.map((t) => `"${t}"`).join(', ')}`;
}

function topicEntry(k: Knowledge, topic: Topic): TopicEntry {
  const entry = k.topics.get(topic);
  if (!entry) throw new Error(`knowledge has no topic "${topic}"`);
  return entry;
}

function ask(label: string, text = label): Choice {
  return { label, action: { type: 'ask', text } };
}

export const START_CHOICE: Choice = { label: 'Help me choose', action: { type: 'start' }, style: 'primary' };

function followUpFor(k: Knowledge, topic: Topic): Choice {
  const name = topicEntry(k, topic).name.toLowerCase();
  return ask(`Compare ${name}`, `How do VMs and Kubernetes compare on ${name}?`);
}

/** Knowledge lines beyond the article start with a label; under a "Beyond the article" heading it would repeat. */
function stripBeyondLabel(line: string): string {
  const rest = line.replace(/^beyond the article:\s*/i, '');
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

/** One topic: both sides, the article's verdict, the section, two follow-ups. `side` narrows to one platform. */
export function topicAnswer(k: Knowledge, topic: Topic, side: Side | null): Reply {
  const t = topicEntry(k, topic);
  const verdict =
    t.favours === 'depends'
      ? `The article does not pick a side here: ${t.reasoning}`
      : `The article favours ${SIDE_SHORT[t.favours]}: ${t.reasoning}`;
  const sides: { side: Side; text: string }[] = [
    { side: 'kubernetes', text: t.kubernetes },
    { side: 'vm', text: t.vm },
  ];
  const shown = side ? sides.filter((s) => s.side === side) : sides;
  const blocks: Reply['blocks'] = [
    { text: t.summary },
    ...shown.map((s) => ({ heading: SIDE_NAME[s.side], text: s.text })),
    { heading: "The article's verdict", text: verdict },
  ];
  if (t.beyond.length > 0) blocks.push({ heading: 'Beyond the article', bullets: t.beyond.map(stripBeyondLabel) });
  const other: Side | null = side === 'vm' ? 'kubernetes' : side === 'kubernetes' ? 'vm' : null;
  const actions: Choice[] = t.related.slice(0, 2).map((r) => followUpFor(k, r));
  if (other) actions.unshift(ask(`And for ${SIDE_SHORT[other]}?`, `What about ${t.name.toLowerCase()} on ${SIDE_SHORT[other]}?`));
  return {
    kind: 'topic',
    title: side ? `${t.name} on ${SIDE_NAME[side]}` : `${t.name}: Kubernetes vs. VMs`,
    summary: side ? `${t.name} on ${SIDE_NAME[side]}: ${side === 'vm' ? t.vm : t.kubernetes}` : `${t.name}: ${t.summary}`,
    blocks,
    facts: [{ label: 'Favours', value: SIDE_SHORT[t.favours] }],
    actions: actions.slice(0, 3),
    source: cite(k, t.section),
  };
}

/** One platform in general: what it is, its strengths, its costs. */
export function platformAnswer(k: Knowledge, side: Side): Reply {
  const p = k.platforms[side];
  const other: Side = side === 'vm' ? 'kubernetes' : 'vm';
  const strengths = side === 'vm' ? 'Benefits' : 'Advantages';
  return {
    kind: 'platform',
    title: `${p.name} at a glance`,
    summary: `${p.name}: ${p.what}`,
    blocks: [
      { text: p.what },
      { heading: `${strengths} (according to the article)`, bullets: p.points.map((pt) => `${pt.name}: ${pt.claim}`) },
      { heading: 'Where it costs you', bullets: p.downsides.map((d) => d.text) },
    ],
    actions: [
      ask(`And ${SIDE_SHORT[other]}?`, `Tell me about ${SIDE_NAME[other].toLowerCase()}`),
      ask('Full comparison', 'Compare Kubernetes and VMs'),
      START_CHOICE,
    ],
    source: cite(k, ...p.points.map((pt) => pt.section), ...p.downsides.map((d) => d.section)),
  };
}

/** The overall comparison: all eight dimensions with the favoured side. */
export function overviewAnswer(k: Knowledge): Reply {
  const dims = DIMENSIONS.map((d) => topicEntry(k, d));
  const forK8s = dims.filter((d) => d.favours === 'kubernetes').map((d) => d.name.toLowerCase());
  const forVm = dims.filter((d) => d.favours === 'vm').map((d) => d.name.toLowerCase());
  return {
    kind: 'overview',
    title: 'Kubernetes vs. VMs: the eight dimensions',
    summary: `Kubernetes leads on ${forK8s.length} of 8 dimensions, VMs on ${forVm.length}.`,
    blocks: [
      {
        text:
          `Across the article's eight dimensions, Kubernetes comes out ahead on ${forK8s.join(', ')}; ` +
          `virtual machines keep the edge on ${forVm.join(' and ')}.`,
      },
      { heading: 'In one line each', bullets: dims.map((d) => `${d.name}: ${d.summary}`) },
      { heading: 'The bottom line', text: k.guidance.balance.map((b) => b.text).join(' ') },
    ],
    facts: dims.map((d) => ({ label: d.name, value: SIDE_SHORT[d.favours] })),
    actions: [ask('When to pick which?', 'When should I pick VMs and when Kubernetes?'), START_CHOICE],
    source: cite(k, ...dims.map((d) => d.section), 'conclusion'),
  };
}

/** General rules of thumb from the conclusion. */
export function guidanceAnswer(k: Knowledge): Reply {
  const g = k.guidance;
  return {
    kind: 'guidance',
    title: 'When to choose VMs, Kubernetes, or both',
    summary: 'VMs for strong isolation and legacy applications; Kubernetes for efficiency, fast delivery and scale; often both.',
    blocks: [
      { heading: 'Lean towards virtual machines when', bullets: g.when_vm.map((p) => p.text) },
      { heading: 'Lean towards Kubernetes when', bullets: g.when_kubernetes.map((p) => p.text) },
      { heading: 'Finding the balance', text: g.balance.map((p) => p.text).join(' ') },
      {
        heading: 'Common ways to combine them',
        bullets: g.hybrid_patterns.map((h) => `${h.name}: ${stripBeyondLabel(h.text)}${h.beyond_article ? ' (beyond the article)' : ''}`),
      },
    ],
    actions: [START_CHOICE, ask('Full comparison', 'Compare Kubernetes and VMs')],
    source: cite(k, 'conclusion'),
  };
}

export const EXAMPLE_QUESTIONS = [
  'How do VMs and Kubernetes compare on isolation?',
  'Is Kubernetes more resource efficient than VMs?',
  'When should I pick VMs over Kubernetes?',
];

/** Help, generated from the intent registry (knowledge/intents/*.yaml). */
export function helpAnswer(k: Knowledge): Reply {
  const shown = k.intents.filter((i) => !['out_of_scope', 'greeting', 'thanks', 'help'].includes(i.id));
  return {
    kind: 'help',
    title: 'What vmk can do',
    summary: 'vmk answers questions on VMs vs. Kubernetes and recommends where your workload should run.',
    blocks: [
      {
        text:
          'I help you decide whether a workload belongs on virtual machines, on Kubernetes, or on both. ' +
          `Everything I say comes from "${k.article.title}" (${k.article.publisher}); anything beyond it is labelled.`,
      },
      {
        heading: 'Things you can ask',
        bullets: shown.map((i) => `${i.description}${i.usage.length ? ` Try: "${i.usage.slice(0, 2).join('" or "')}"` : ''}`),
      },
      {
        heading: 'Guided recommendation',
        text: 'Say "help me choose" (or use the slash command with no text) and I will ask a few questions, one at a time. You can skip, go back, restart or cancel at any step.',
      },
    ],
    actions: [START_CHOICE, ...EXAMPLE_QUESTIONS.slice(0, 2).map((q) => ask(q))],
  };
}

export function greetingAnswer(): Reply {
  return {
    kind: 'greeting',
    title: 'Hi, I am vmk',
    summary: 'Hi! Ask me about VMs vs. Kubernetes, or let me help you choose.',
    blocks: [
      {
        text: 'I compare virtual machines and Kubernetes and help you decide where a workload should run. Ask a question, describe your workload, or let me guide you.',
      },
    ],
    actions: [START_CHOICE, ...EXAMPLE_QUESTIONS.slice(0, 2).map((q) => ask(q))],
  };
}

export function thanksAnswer(): Reply {
  return {
    kind: 'thanks',
    summary: 'You are welcome!',
    blocks: [{ text: 'Glad to help. Ask me anything else about VMs and Kubernetes, or describe a workload for a review.' }],
    actions: [START_CHOICE],
  };
}

/** What vmk can do, and three example questions as buttons (shown once: no list repeating them). */
export function fallbackAnswer(reason: 'out_of_scope' | 'empty'): Reply {
  return {
    kind: 'fallback',
    title: reason === 'empty' ? 'I did not catch a question' : 'That is outside what I know',
    summary:
      reason === 'empty'
        ? 'Send me a question about VMs vs. Kubernetes, or describe your workload.'
        : 'I can only help with choosing between virtual machines and Kubernetes.',
    blocks: [
      {
        text:
          reason === 'empty'
            ? 'Your message looked empty. I answer questions on virtual machines vs. Kubernetes and review workloads.'
            : 'I stick to one subject: how virtual machines and Kubernetes compare, and which fits a workload. Tool how-tos, error messages and prices are beyond what I know.',
      },
    ],
    actions: [...EXAMPLE_QUESTIONS.map((q) => ask(q)), START_CHOICE],
  };
}

/** A dialog answer ("not sure", "2") typed after the recommendation finished. */
export function dialogFinishedAnswer(): Reply {
  return {
    kind: 'notice',
    summary: 'Your recommendation is already finished.',
    blocks: [
      {
        text: 'Your recommendation is already finished, so there is no question to answer. Start a new one, or ask me anything about VMs and Kubernetes.',
      },
    ],
    actions: [START_CHOICE],
    visibility: 'private',
  };
}

const INTENT_LABEL: Partial<Record<IntentId, string>> = {
  ask_topic: 'a comparison on one topic',
  ask_platform: 'an overview of one platform',
  compare_overview: 'the overall comparison',
  ask_guidance: 'general rules of thumb',
  start_advice: 'a guided recommendation',
  review_workload: 'a review of your workload',
  help: 'what I can do',
};

const INTENT_PROMPT: Partial<Record<IntentId, (topic: Topic | null, k: Knowledge) => string>> = {
  ask_topic: (topic, k) => (topic ? `How do VMs and Kubernetes compare on ${topicEntry(k, topic).name.toLowerCase()}?` : 'Compare Kubernetes and VMs'),
  ask_platform: () => 'Tell me about Kubernetes',
  compare_overview: () => 'Compare Kubernetes and VMs',
  ask_guidance: () => 'When should I pick VMs over Kubernetes?',
  help: () => 'help',
};

/** Two readings are close: ask which one was meant. */
export function clarifyAnswer(k: Knowledge, a: IntentId, b: IntentId, topic: Topic | null): Reply {
  const options = [a, b].filter((i) => INTENT_LABEL[i]);
  const choices: Choice[] = options.map((i) =>
    i === 'start_advice' || i === 'review_workload'
      ? START_CHOICE
      : ask(`${INTENT_LABEL[i]![0]!.toUpperCase()}${INTENT_LABEL[i]!.slice(1)}`, INTENT_PROMPT[i]!(topic, k)),
  );
  return {
    kind: 'clarify',
    summary: 'Which did you mean?',
    blocks: [{ text: `I am not sure what you are after. Did you want ${options.map((i) => INTENT_LABEL[i]).join(' or ')}?` }],
    choices,
  };
}

export function storeDownAnswer(ref: string): Reply {
  return {
    kind: 'error',
    summary: 'vmk cannot reach its conversation store right now.',
    blocks: [
      {
        text: `I cannot reach my conversation store at the moment, so I cannot continue a recommendation. Please try again in a minute; plain questions still work. (reference ${ref})`,
      },
    ],
    visibility: 'private',
  };
}

export function internalErrorAnswer(ref: string): Reply {
  return {
    kind: 'error',
    summary: `Sorry, something went wrong on my side (reference ${ref}).`,
    blocks: [{ text: `Sorry, something went wrong on my side. The team can trace it with reference ${ref}. Please try again.` }],
    visibility: 'private',
  };
}

/**
 * A subject next to the comparison (Docker, KubeVirt, cost, startups,
 * databases, GPUs): what the article covers of it and what not, what it says
 * that applies (from the topics it draws on, cited), and what lies beyond it,
 * labelled.
 */
export function nearbyAnswer(k: Knowledge, id: string): Reply | null {
  const subject = k.nearby.find((n) => n.id === id);
  if (!subject) return null;
  const drawn = subject.draws_on.map((t) => topicEntry(k, t));
  return {
    kind: 'topic',
    title: subject.name,
    summary: subject.covers,
    blocks: [
      { text: subject.covers },
      { heading: 'What the article says that applies', bullets: drawn.map((t) => `${t.name}: ${t.summary}`) },
      { heading: 'Beyond the article', bullets: subject.beyond.map(stripBeyondLabel) },
    ],
    actions: [...drawn.slice(0, 2).map((t) => followUpFor(k, t.id)), START_CHOICE],
    source: cite(k, ...drawn.map((t) => t.section)),
  };
}

/**
 * A change that lost every compare-and-set to other writes arriving at the
 * same moment: nothing of it was applied, and the person is told so plainly
 * (not an error: the conversation is intact, as the other messages left it).
 */
export function raceLostAnswer(): Reply {
  const text = 'Several messages for this conversation arrived at the same moment and this one was not applied; the recommendation is where the others left it. Send it again if it still matters.';
  return { kind: 'notice', summary: 'That message crossed with others and was not applied.', blocks: [{ text }], visibility: 'private' };
}

/** A request for a new recommendation while one still waits for an answer: the current one is kept. */
export function dialogInProgressAnswer(): Reply {
  const text = 'You are in the middle of a recommendation, so I kept it and your answers so far. Answer the question below, or type "restart" to begin a new one.';
  return { kind: 'notice', summary: 'A recommendation is in progress.', blocks: [{ text }], visibility: 'private' };
}
