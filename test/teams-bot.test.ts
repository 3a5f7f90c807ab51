/**
 * The Teams turn logic with botbuilder's TestAdapter (channelId "msteams"):
 * what reaches the core, and what goes back (sends, card updates, notices,
 * the welcome). Runs without HTTP.
 */
import { TestAdapter, type Activity, type TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { VmkTeamsBot } from '../adapters/teams/bot.js';
import type { CardAttachment } from '../adapters/teams/render.js';
import type { Engine } from '../src/engine.js';
import { silentLogger } from '../src/logger.js';
import type { InboundMessage, Reply } from '../src/types.js';

const BOT = { id: '28:vmk-bot', name: 'vmk' };
const ANA = { id: '29:ana', name: 'Ana', aadObjectId: 'aad-ana' };

/** TestAdapter that also records card updates (its own updateActivity only edits its queue). */
class RecordingAdapter extends TestAdapter {
  readonly updates: Partial<Activity>[] = [];
  override async updateActivity(context: TurnContext, activity: Partial<Activity>) {
    this.updates.push(activity);
    return super.updateActivity(context, activity);
  }
}

function harness(respond: (msg: InboundMessage) => Reply[]) {
  const seen: InboundMessage[] = [];
  const engine: Engine = {
    async handle(msg) {
      seen.push(msg);
      return { replies: respond(msg) };
    },
  };
  const bot = new VmkTeamsBot({ engine, logger: silentLogger });
  const adapter = new RecordingAdapter((ctx) => bot.run(ctx));
  return { seen, adapter };
}

const personal = { id: 'a:personal-1', conversationType: 'personal', tenantId: 'tenant-1' };
const channelThread = { id: '19:chan@thread.tacv2;messageid=1700000000000', conversationType: 'channel', tenantId: 'tenant-1' };
const groupChat = { id: '19:group@thread.v2', conversationType: 'groupChat', tenantId: 'tenant-1' };

function message(extra: Partial<Activity>): Partial<Activity> {
  return { type: 'message', channelId: 'msteams', from: ANA, recipient: BOT, conversation: personal as Activity['conversation'], ...extra };
}

function mention(text: string, conversation: object): Partial<Activity> {
  return message({
    text: `<at>vmk</at> ${text}`,
    conversation: conversation as Activity['conversation'],
    entities: [{ type: 'mention', text: '<at>vmk</at>', mentioned: BOT }],
  });
}

function cardOf(a: Partial<Activity> | undefined): CardAttachment['content'] {
  const att = a?.attachments?.[0] as CardAttachment | undefined;
  if (!att) throw new Error(`no card in ${JSON.stringify(a)}`);
  return att.content;
}

const answer: Reply = { kind: 'topic', title: 'Isolation', summary: 'VMs isolate more strongly.', blocks: [{ text: 'Each VM has its own kernel.' }] };

describe('VmkTeamsBot with TestAdapter', () => {
  it('answers a personal message with one card (TestFlow)', async () => {
    const { adapter, seen } = harness(() => [answer]);
    await adapter
      .send(message({ text: 'how do they compare on isolation?' }))
      .assertReply((reply) => {
        expect(reply.type).toBe('message');
        expect(reply.summary).toBe('VMs isolate more strongly.');
        expect(JSON.stringify(cardOf(reply))).toContain('Each VM has its own kernel.');
      })
      .startTest();
    expect(seen).toEqual([
      { platform: 'teams', workspace: 'tenant-1', conversation: 'a:personal-1', user: 'aad-ana', text: 'how do they compare on isolation?', surface: 'dm' },
    ]);
  });

  it('sends every reply of a turn, in order', async () => {
    const second: Reply = { ...answer, title: 'Security', summary: 'second' };
    const { adapter } = harness(() => [answer, second]);
    await adapter.receiveActivity(message({ text: 'isolation and security?' }));
    expect(adapter.activeQueue.map((a) => a.summary)).toEqual(['VMs isolate more strongly.', 'second']);
  });

  it.each([
    ['a channel thread', channelThread],
    ['a group chat', groupChat],
  ])('strips the @-mention in %s and marks the surface as channel', async (_what, conversation) => {
    const { adapter, seen } = harness(() => [answer]);
    await adapter.receiveActivity(mention('  what about   isolation? ', conversation));
    expect(seen[0]).toMatchObject({ text: 'what about   isolation?', surface: 'channel', conversation: conversation.id });
    expect(adapter.activeQueue).toHaveLength(1);
    expect(adapter.activeQueue[0]?.conversation?.id).toBe(conversation.id);
  });

  it('turns other mentions into names and decodes the entities Teams leaves in text', async () => {
    const { adapter, seen } = harness(() => [answer]);
    await adapter.receiveActivity(
      message({
        text: '<at>vmk</at>&nbsp;ask <at>Bob Lee</at> about R&amp;D &lt;isolation&gt; &#128640; &bogus; &#xD800;',
        conversation: channelThread as Activity['conversation'],
        entities: [
          { type: 'mention', text: '<at>vmk</at>', mentioned: BOT },
          { type: 'mention', text: '<at>Bob Lee</at>', mentioned: { id: '29:bob', name: 'Bob Lee' } },
        ],
      }),
    );
    expect(seen[0]?.text).toBe('ask Bob Lee about R&D <isolation> \u{1F680} &bogus; &#xD800;');
  });

  it('stays silent in a channel when not mentioned, or when someone else is', async () => {
    const { adapter, seen } = harness(() => [answer]);
    await adapter.receiveActivity(message({ text: 'hello all', conversation: channelThread as Activity['conversation'] }));
    await adapter.receiveActivity(
      message({
        text: '<at>Bob</at> look at this',
        conversation: groupChat as Activity['conversation'],
        entities: [{ type: 'mention', text: '<at>Bob</at>', mentioned: { id: '29:bob', name: 'Bob' } }],
      }),
    );
    expect(seen).toEqual([]);
    expect(adapter.activeQueue).toEqual([]);
  });

  it('treats an Emulator chat (no conversation type) as personal, with from.id as the user and "unknown" as the tenant', async () => {
    const { adapter, seen } = harness(() => [answer]);
    await adapter.receiveActivity(
      message({ channelId: 'emulator', text: 'hi', from: { id: 'emulator-user', name: 'User' }, conversation: { id: 'emu-1' } as Activity['conversation'] }),
    );
    expect(seen[0]).toMatchObject({ user: 'emulator-user', workspace: 'unknown', surface: 'dm', text: 'hi' });
  });

  it('treats a group conversation without a type as shared (answers only @-mentions)', async () => {
    const { adapter, seen } = harness(() => [answer]);
    await adapter.receiveActivity(message({ text: 'hi', conversation: { id: 'g-1', isGroup: true } as Activity['conversation'] }));
    expect(seen).toEqual([]);
  });

  it('passes a click to the core as an action, ignoring the click text, and updates the clicked card', async () => {
    const { adapter, seen } = harness(() => [{ ...answer, kind: 'question', replaceOriginal: true }]);
    const action = { type: 'answer', dialog: 'd1', owner: 'aad-ana', step: 1, value: 'yes' } as const;
    await adapter.receiveActivity(message({ text: 'Yes', value: { vmk: action }, replyToId: 'card-17' }));
    expect(seen[0]).toMatchObject({ text: '', action });
    expect(adapter.updates).toHaveLength(1);
    expect(adapter.updates[0]?.id).toBe('card-17');
    expect(adapter.activeQueue).toEqual([]);
  });

  it('takes a click in a channel without a mention', async () => {
    const { adapter, seen } = harness(() => [answer]);
    await adapter.receiveActivity(message({ conversation: channelThread as Activity['conversation'], value: { vmk: { type: 'start' } } }));
    expect(seen[0]?.action).toEqual({ type: 'start' });
  });

  it('sends (not updates) when a replacing reply has no card to replace', async () => {
    const { adapter } = harness(() => [{ ...answer, replaceOriginal: true }]);
    await adapter.receiveActivity(message({ value: { vmk: { type: 'start' } } }));
    expect(adapter.updates).toEqual([]);
    expect(adapter.activeQueue).toHaveLength(1);
  });

  it('updates at most one card per turn and sends the rest', async () => {
    const { adapter } = harness(() => [
      { ...answer, replaceOriginal: true },
      { ...answer, summary: 'follow-up', replaceOriginal: true },
    ]);
    await adapter.receiveActivity(message({ value: { vmk: { type: 'start' } }, replyToId: 'card-1' }));
    expect(adapter.updates.map((u) => u.id)).toEqual(['card-1']);
    expect(adapter.activeQueue.map((a) => a.summary)).toEqual(['follow-up']);
  });

  it.each([
    ['a string', 'yes'],
    ['an unknown action type', { vmk: { type: 'delete_everything' } }],
    ['a missing owner', { vmk: { type: 'answer', dialog: 'd', step: 1, value: 'y' } }],
    ['a negative step', { vmk: { type: 'back', dialog: 'd', owner: 'o', step: -1 } }],
    ['another bot\'s data', { action: 'approve' }],
  ])('answers a click carrying %s without calling the core', async (_what, value) => {
    const { adapter, seen } = harness(() => [answer]);
    await adapter.receiveActivity(message({ value, replyToId: 'card-1' }));
    expect(seen).toEqual([]);
    expect(adapter.updates).toEqual([]);
    expect(JSON.stringify(cardOf(adapter.activeQueue[0]))).toContain('could not read that button');
  });

  it('shows a private dialog question in a channel in full and updates the clicked card', async () => {
    const question: Reply = {
      kind: 'question',
      title: 'Question 2',
      summary: 'Question 2: does it need its own kernel?',
      blocks: [{ text: 'Does it need its own kernel?' }],
      choices: [{ label: '1. Yes', action: { type: 'answer', dialog: 'd1', owner: 'aad-ana', step: 1, value: 'yes' } }],
      source: 'Article, section "Isolation"',
      visibility: 'private',
      replaceOriginal: true,
    };
    const { adapter } = harness(() => [question]);
    await adapter.receiveActivity(
      message({ conversation: channelThread as Activity['conversation'], value: { vmk: { type: 'answer', dialog: 'd1', owner: 'aad-ana', step: 0, value: 'no' } }, replyToId: 'card-5' }),
    );
    expect(adapter.updates.map((u) => u.id)).toEqual(['card-5']);
    const card = cardOf(adapter.updates[0]);
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: 'Question 2' });
    expect(JSON.stringify(card)).toContain('Article, section');
  });

  it('leaves out "Share in channel": a Teams card is already visible to the conversation', async () => {
    const done: Reply = {
      ...answer,
      kind: 'recommendation',
      actions: [
        { label: 'Share in channel', action: { type: 'share', dialog: 'd1', owner: 'aad-ana' } },
        { label: 'Start over', action: { type: 'start' } },
      ],
    };
    const { adapter } = harness(() => [done]);
    await adapter.receiveActivity(message({ text: 'x' }));
    const titles = cardOf(adapter.activeQueue[0]).body.flatMap((e) => (e.type === 'ActionSet' ? e.actions.map((a) => a.title) : []));
    expect(titles).toEqual(['Start over']);
  });

  it('sends a private notice in a shared conversation as a new message addressed by name, leaving the card alone', async () => {
    const notice: Reply = { kind: 'notice', summary: 'Only Ana can answer this one.', blocks: [{ text: 'Only Ana can answer this one.' }], visibility: 'private' };
    const { adapter } = harness(() => [notice]);
    await adapter.receiveActivity(
      message({ from: { id: '29:bob', name: 'Bob', aadObjectId: 'aad-bob' }, conversation: channelThread as Activity['conversation'], value: { vmk: { type: 'start' } }, replyToId: 'card-9' }),
    );
    expect(adapter.updates).toEqual([]);
    const card = cardOf(adapter.activeQueue[0]);
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: 'Bob: Only Ana can answer this one.' });
  });

  it('treats a private reply in personal chat like any other (it may replace the card)', async () => {
    const { adapter } = harness(() => [{ ...answer, visibility: 'private', replaceOriginal: true }]);
    await adapter.receiveActivity(message({ value: { vmk: { type: 'start' } }, replyToId: 'card-3' }));
    expect(adapter.updates.map((u) => u.id)).toEqual(['card-3']);
  });

  it('answers an apology, not a crash, when the core throws', async () => {
    const bot = new VmkTeamsBot({ engine: { handle: () => Promise.reject(new Error('boom')) }, logger: silentLogger });
    const adapter = new TestAdapter((ctx) => bot.run(ctx));
    await adapter.receiveActivity(message({ text: 'hi' }));
    expect(JSON.stringify(cardOf(adapter.activeQueue[0]))).toContain('Something went wrong');
    expect(JSON.stringify(adapter.activeQueue[0])).not.toContain('boom');
  });

  describe('welcome', () => {
    const added = (conversation: object, members: { id: string; name?: string }[]): Partial<Activity> => ({
      type: 'conversationUpdate',
      channelId: 'msteams',
      from: ANA,
      recipient: BOT,
      conversation: conversation as Activity['conversation'],
      membersAdded: members.map((m) => ({ name: '', ...m })),
    });

    it('welcomes when the bot itself is added to a personal chat', async () => {
      const { adapter, seen } = harness(() => []);
      await adapter.receiveActivity(added({ id: 'a:w1', conversationType: 'personal' }, [BOT]));
      const text = JSON.stringify(cardOf(adapter.activeQueue[0]));
      expect(text).toContain('Start a recommendation');
      expect(text).toContain('Just type here');
      expect(seen).toEqual([]);
    });

    it('explains @-mentions when added to a team', async () => {
      const { adapter } = harness(() => []);
      await adapter.receiveActivity(added({ id: '19:team-general@thread.tacv2', conversationType: 'channel' }, [{ id: '29:someone' }, BOT]));
      expect(JSON.stringify(cardOf(adapter.activeQueue[0]))).toContain('@mention me');
    });

    it('welcomes on installationUpdate "add" once, even with a conversationUpdate too, and not on "add-upgrade"', async () => {
      const { adapter } = harness(() => []);
      const conversation = { id: 'a:w2', conversationType: 'personal' } as Activity['conversation'];
      await adapter.receiveActivity({ type: 'installationUpdate', action: 'add', channelId: 'msteams', from: ANA, recipient: BOT, conversation });
      await adapter.receiveActivity(added(conversation, [BOT]));
      await adapter.receiveActivity({ type: 'installationUpdate', action: 'add-upgrade', channelId: 'msteams', from: ANA, recipient: BOT, conversation: { ...conversation, id: 'a:w3' } });
      expect(adapter.activeQueue).toHaveLength(1);
    });

    it('does not welcome when other people join', async () => {
      const { adapter } = harness(() => []);
      await adapter.receiveActivity(added({ id: '19:g@thread.v2', conversationType: 'groupChat' }, [{ id: '29:new' }]));
      expect(adapter.activeQueue).toEqual([]);
    });
  });
});
