import { createHash } from 'node:crypto';
import type { Action, Reply, TextBlock } from '../types.js';
import type { Advisor, AdvisorResult } from './types.js';
import { loadCatalog, type Catalog, type Question } from './catalog.js';
import { evaluate, openQuestions, type Evaluation } from './engine.js';
import { createExtractor, type FoundTrait } from './extract.js';
import { finalReply, type AdvisorKnowledge, foundBlock, notice, questionReply, START_CHOICE, verdictTitle, type RenderContext } from './render.js';
import { knownTraits, MAX_QUESTIONS, parseDialog, type DialogState } from './state.js';

/** Longest description read; the rest is ignored. */
export const MAX_TEXT = 4_000;

/** A description analysed without a dialog: what the CLI and the eval use. */
export interface Analysis {
  text: string;
  found: FoundTrait[];
  evaluation: Evaluation;
  /** Questions whose answer could still change the verdict, best first. */
  missing: Question[];
}

/** The advisor the turn engine calls, plus what the CLI needs. */
export interface VmkAdvisor extends Advisor<DialogState> {
  readonly catalog: Catalog;
  readonly knowledge: AdvisorKnowledge;
  analyse(text: string): Analysis;
  /** The finished review of a dialog as a reply (private unless asked otherwise). */
  render(dialog: DialogState, visibility?: 'private' | 'public'): Reply;
}

export interface AdvisorOptions {
  /** A catalogue already loaded; by default knowledge/advisor.yaml is read. */
  catalog?: Catalog;
}

function dialogId(...parts: (string | number)[]): string {
  return `d${createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 15)}`;
}

/** Leading and trailing characters norm() drops. */
const EDGE = /[\s"'`*_~.!,:;-]/;

/**
 * Drops EDGE characters from both ends in one pass each. (A regex alternation
 * anchored at the end, `[...]+$`, retries from every position of a long run
 * that is not at the end: quadratic time on a long run of spaces.)
 */
function trimEdges(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && EDGE.test(text[start] as string)) start++;
  while (end > start && EDGE.test(text[end - 1] as string)) end--;
  return text.slice(start, end);
}

const norm = (text: string): string =>
  trimEdges(
    text
      .toLowerCase()
      .replace(/[’‘]/g, "'")
      .replace(/<@[^<>]{1,100}>/g, ' '),
  ).replace(/\s+/g, ' ');

const CANCEL = /^(cancel|stop|quit|exit|abort|never ?mind|forget it|stop it|end|cancel (it|this|that))$/;
const RESTART = /^(restart|start over|start again|reset|from the (top|start|beginning)|begin again)$/;
const BACK = /^(back|go back|previous|prev|undo|previous question|last question)$/;
const SKIP = /^(skip|next|pass|skip it|skip this( one)?|skip (the )?question|move on)$/;
const UNSURE = /^(not sure|unsure|i'?m not sure|don'?t know|i don'?t know|dunno|no idea|idk|no clue|unknown|maybe|hard to say|it depends|depends)$/;
const YES = /^(yes|y|yeah|yep|yup|ya|sure|correct|right|true|definitely|absolutely|indeed|yes please|of course|affirmative)$/;
const NO = /^(no|n|nope|nah|not really|none|false|negative|no way|not at all)$/;
const MOSTLY = /^(mostly|partly|partially|somewhat|sort of|kind of|kinda|a bit|some|a little|in part|a mix|mixed)$/;
const NUMBER = /^(?:option |number |#)?(\d{1,2})$/;
const QUESTION_LIKE = /\?$|^(what|how|why|is|are|can|could|does|do|should|which|when|where|who|tell me|explain|compare|help)\b/;

export function createAdvisor(knowledge: AdvisorKnowledge, options: AdvisorOptions = {}): VmkAdvisor {
  const catalog = options.catalog ?? loadCatalog();
  const ctx: RenderContext = { catalog, knowledge };
  const extract = createExtractor(catalog);

  const settledOf = (s: DialogState): Set<string> => new Set(s.answers.map((a) => a.question));

  /** Picks the next question, or finishes the dialog when nothing could change the verdict. */
  function advance(s: DialogState, now: number): DialogState {
    const open = s.answers.length >= MAX_QUESTIONS ? [] : openQuestions(catalog, knownTraits(catalog, s), settledOf(s), s.mode === 'guided' ? 2 : 1);
    // A blank dialog opens with the catalogue's first question; after that the order adapts.
    const opening = s.answers.length === 0 && s.found.length === 0 ? open.find((o) => o.question.id === catalog.questions[0]?.id) : undefined;
    const next = opening ?? open[0];
    return next ? { ...s, current: next.question.id, done: false, updatedAt: now } : { ...s, current: null, done: true, updatedAt: now };
  }

  function show(s: DialogState, replace: boolean, intro?: TextBlock[]): AdvisorResult<DialogState> {
    if (s.done || s.current === null) return { dialog: s, replies: [finalReply(ctx, s, { replace, visibility: 'private' })] };
    const q = catalog.question.get(s.current);
    if (!q) return { dialog: s, replies: [finalReply(ctx, s, { replace, visibility: 'private' })] };
    return { dialog: s, replies: [questionReply(ctx, s, q, { replace, intro })] };
  }

  function currentQuestion(s: DialogState): Question | undefined {
    return s.current === null ? undefined : catalog.question.get(s.current);
  }

  function fresh(owner: string, now: number, mode: DialogState['mode'], salt: string, found: DialogState['found']): DialogState {
    return { v: 1, id: dialogId(owner, now, mode, salt), owner, mode, found, answers: [], current: null, done: false, startedAt: now, updatedAt: now };
  }

  function start(owner: string, now: number, salt = ''): AdvisorResult<DialogState> {
    const s = advance(fresh(owner, now, 'guided', salt, []), now);
    return show(s, false, [
      {
        heading: 'Virtual machines, Kubernetes or both?',
        text: 'I will ask a few questions, one at a time, and stop as soon as the answer is clear. Every recommendation shows its workings and cites the article.',
      },
    ]);
  }

  function answer(s: DialogState, option: string | null, now: number, replace: boolean, extra: FoundTrait[] = []): AdvisorResult<DialogState> {
    const q = currentQuestion(s);
    if (!q) return show(s, replace);
    const step = s.answers.length + 1;
    const known = new Set(knownTraits(catalog, s));
    const found = [...s.found, ...extra.filter((f) => !known.has(f.trait)).map((f) => ({ trait: f.trait, evidence: f.evidence.slice(0, 500), at: step }))];
    const next = advance({ ...s, found, answers: [...s.answers, { question: q.id, option }] }, now);
    return show(next, replace);
  }

  function back(s: DialogState, now: number, replace: boolean): AdvisorResult<DialogState> {
    const last = s.answers[s.answers.length - 1];
    if (!last) {
      const r = show(s, false);
      return { dialog: s, replies: [notice('This is the first question, so there is nothing to go back to.', [], s), ...r.replies] };
    }
    const step = s.answers.length;
    const prev: DialogState = {
      ...s,
      answers: s.answers.slice(0, -1),
      found: s.found.filter((f) => f.at !== step),
      current: last.question,
      done: false,
      updatedAt: now,
    };
    return show(prev, replace);
  }

  function cancel(): AdvisorResult<DialogState> {
    return {
      dialog: null,
      replies: [{ ...notice('Recommendation cancelled; nothing of it is kept. Start again whenever you like.', [START_CHOICE]), replaceOriginal: true }],
    };
  }

  function restart(s: DialogState, now: number): AdvisorResult<DialogState> {
    const r = start(s.owner, now, s.id);
    return { dialog: r.dialog, replies: r.replies.map((reply) => ({ ...reply, replaceOriginal: true })) };
  }

  function stale(s: DialogState | undefined, why: string): AdvisorResult<DialogState> {
    if (!s) return { dialog: null, replies: [notice(`${why} That recommendation has ended or expired. Start a new one?`, [START_CHOICE])] };
    if (s.done || s.current === null) {
      return {
        dialog: s,
        replies: [notice(`${why} Your recommendation is already finished.`, [{ label: 'Share in channel', action: { type: 'share', dialog: s.id, owner: s.owner } }, START_CHOICE], s)],
      };
    }
    const r = show(s, false);
    return { dialog: s, replies: [notice(`${why} Here is the current question.`, [], s), ...r.replies] };
  }

  function analyse(text: string): Analysis {
    const clipped = text.slice(0, MAX_TEXT);
    const found = extract(clipped);
    const known = found.map((f) => f.trait);
    return {
      text: clipped,
      found,
      evaluation: evaluate(catalog, known),
      missing: openQuestions(catalog, known, new Set()).map((o) => o.question),
    };
  }

  const advisor: VmkAdvisor = {
    catalog,
    knowledge,
    analyse,

    render(dialog, visibility = 'private') {
      return finalReply(ctx, dialog, { replace: false, visibility });
    },

    start(owner, now) {
      return start(owner, now);
    },

    review(text, owner, now) {
      const clipped = text.slice(0, MAX_TEXT);
      const found = extract(clipped).map((f) => ({ trait: f.trait, evidence: f.evidence.slice(0, 500), at: 0 }));
      const s = advance(fresh(owner, now, 'review', clipped, found), now);
      if (s.done) return show(s, false);
      // Nothing to go on (a bare "review", a question without details): no verdict to hint at, just the questions.
      if (found.length === 0) {
        return show(s, false, [
          {
            heading: 'Tell me about the workload',
            text: 'I could not pick out any detail that decides the matter yet, so I will ask a few questions, one at a time. You can also describe the workload in your own words (what it is, its OS, its traffic, your team).',
          },
        ]);
      }
      const e = evaluate(catalog, knownTraits(catalog, s));
      const open = openQuestions(catalog, knownTraits(catalog, s), new Set()).length;
      return show(s, false, [
        foundBlock(ctx, found),
        {
          heading: 'So far',
          text: `From the description alone I would say ${verdictTitle(ctx, e)} (confidence ${Math.round(e.confidence * 100)}%), but ${open === 1 ? 'one question' : `${open} questions`} could still change that. I will ask only those.`,
        },
      ]);
    },

    onAction(dialog, action: Action, user, now) {
      if (action.type === 'start') return start(user, now, dialog?.id ?? '');
      if (action.type === 'ask') {
        if (dialog && advisor.isActive(dialog)) return show(dialog, false);
        return { dialog: dialog ?? null, replies: [] };
      }
      if (action.owner !== user) {
        return {
          dialog: dialog ?? null,
          // The owner is not named: a raw user id means nothing to people (a GUID in Teams).
          replies: [notice(`This recommendation belongs to the person who started it; start your own with the button below or by asking me to help you choose.`, [START_CHOICE])],
        };
      }
      if (!dialog || dialog.id !== action.dialog || dialog.owner !== user) {
        if (dialog && advisor.isActive(dialog)) return stale(dialog, 'That button is from an earlier recommendation.');
        // A finished recommendation stays as it is (its Share button keeps working); only the old button is refused.
        const refused = stale(undefined, 'That button is from an earlier recommendation.');
        return dialog ? { dialog, replies: refused.replies } : refused;
      }
      if (action.type === 'share') {
        if (!dialog.done) return stale(dialog, 'The recommendation is not finished yet, so there is nothing to share.');
        return { dialog, replies: [finalReply(ctx, dialog, { replace: false, visibility: 'public' })] };
      }
      if (action.step !== dialog.answers.length || dialog.done) return stale(dialog, 'That button is from an earlier step.');
      switch (action.type) {
        case 'answer': {
          const q = currentQuestion(dialog);
          if (!q || !q.options.some((o) => o.id === action.value)) return stale(dialog, 'That button is from an earlier step.');
          return answer(dialog, action.value, now, true);
        }
        case 'skip':
          return answer(dialog, null, now, true);
        case 'back':
          return back(dialog, now, true);
        case 'restart':
          return restart(dialog, now);
        case 'cancel':
          return cancel();
      }
    },

    onText(dialog, text, user, now) {
      if (user !== dialog.owner || !advisor.isActive(dialog)) return null;
      const q = currentQuestion(dialog);
      if (!q) return null;
      const t = norm(text);
      if (t === '') return null;
      if (CANCEL.test(t)) return cancel();
      if (RESTART.test(t)) return restart(dialog, now);
      if (BACK.test(t)) return back(dialog, now, false);
      if (SKIP.test(t) || UNSURE.test(t)) return answer(dialog, null, now, false);
      const num = NUMBER.exec(t);
      if (num) {
        const option = q.options[Number(num[1]) - 1];
        if (!option) {
          const r = show(dialog, false);
          return { dialog, replies: [notice(`There is no option ${num[1]}; pick a number from 1 to ${q.options.length}.`, [], dialog), ...r.replies] };
        }
        return answer(dialog, option.id, now, false);
      }
      for (const [re, kind] of [[YES, 'yes'], [NO, 'no'], [MOSTLY, 'mostly']] as const) {
        if (!re.test(t)) continue;
        const option = q.options.find((o) => o.typed.includes(kind));
        if (option) return answer(dialog, option.id, now, false);
        const r = show(dialog, false);
        return { dialog, replies: [notice(`"${text.trim().slice(0, 40)}" does not pick one option here; choose a number from 1 to ${q.options.length}.`, [], dialog), ...r.replies] };
      }
      const byLabel = q.options.find((o) => norm(o.label) === t);
      if (byLabel) return answer(dialog, byLabel.id, now, false);
      if (QUESTION_LIKE.test(t)) return null;

      // Free text: the traits it names, first for this question, then any still open.
      const found = extract(text.slice(0, MAX_TEXT));
      const known = new Set(knownTraits(catalog, dialog));
      const forThis = found.filter((f) => q.options.some((o) => o.traits.includes(f.trait)));
      let option = q.options.find((o) => o.traits.every((tr) => forThis.some((f) => f.trait === tr)));
      option ??= q.options.find((o) => o.traits.some((tr) => forThis.some((f) => f.trait === tr)));
      if (!option) {
        const words = ` ${t.replace(/[^a-z0-9+ ]/g, ' ').replace(/\s+/g, ' ')} `;
        const hits = q.options.filter((o) => o.keywords.some((k) => words.includes(` ${k.toLowerCase()} `)));
        if (hits.length === 1) option = hits[0];
      }
      const others = found.filter((f) => !known.has(f.trait) && !forThis.some((x) => x.trait === f.trait));
      if (option) return answer(dialog, option.id, now, false, [...forThis.filter((f) => !option.traits.includes(f.trait)), ...others]);
      if (others.length === 0) return null;
      const step = dialog.answers.length;
      // Nothing for this question, but facts for others: keep them, then ask
      // this question again unless they made it moot.
      const kept = advance(
        { ...dialog, found: [...dialog.found, ...others.map((f) => ({ trait: f.trait, evidence: f.evidence.slice(0, 500), at: step }))] },
        now,
      );
      const r = show(kept, false);
      const still = kept.current === dialog.current;
      return {
        dialog: kept,
        replies: [
          notice(`Noted: ${others.map((f) => `"${f.evidence}"`).join(', ')}.${still ? ' That does not answer this question yet, though.' : ''}`, [], kept),
          ...r.replies,
        ],
      };
    },

    isActive(dialog) {
      return !dialog.done && dialog.current !== null;
    },

    parse(stored) {
      return parseDialog(catalog, stored);
    },
  };
  return advisor;
}
