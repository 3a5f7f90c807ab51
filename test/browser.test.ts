/**
 * The playground in a real browser: Debian's chromium, headless, driven by
 * playwright-core against a real vmk server. Saves screenshots under
 * test-results/ (gitignored): the recommendation, the page after a reload
 * mid-dialog, a failed send with its Retry button, and the 375 px phone layout.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/paths.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const RESULTS = join(PROJECT_ROOT, 'test-results');
const TURN = '/api/playground/turn';

describe('web playground in chromium', () => {
  let srv: TestServer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];
  /** Set while a test makes a turn fail on purpose: the browser logs the failed request as an error. */
  let failingOnPurpose = false;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing. Install it with: apt-get install chromium (.ci/run does this in CI).`);
    }
    // Many turns in a minute from one address: lift the playground's rate limit (test/playground-security.test.ts covers it).
    srv = await startTestServer({ env: { VMK_PLAYGROUND_RATE_LIMIT: '0' } });
    profile = mkdtempSync(join(tmpdir(), 'vmk-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 900, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !(failingOnPurpose && /Failed to load resource/.test(m.text()))) pageErrors.push(`console: ${m.text()}`);
    });
    await page.goto(`${srv.url}/`);
  });

  afterAll(async () => {
    await context?.close();
    await srv?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** Runs `act` and waits for the turn it triggers to be answered and rendered. */
  async function afterTurn(act: () => Promise<void>): Promise<void> {
    const response = page.waitForResponse((r) => r.url().endsWith(TURN) && r.request().method() === 'POST');
    await act();
    expect((await response).status()).toBe(200);
    await page.locator('#typing').waitFor({ state: 'detached' });
  }

  async function say(text: string): Promise<void> {
    await afterTurn(async () => {
      await page.getByLabel('Message vmk').fill(text);
      await page.getByLabel('Message vmk').press('Enter');
    });
  }

  function lastCard(kind?: string): Locator {
    return page.locator(kind ? `.card[data-kind="${kind}"]` : '.card').last();
  }

  async function newConversation(): Promise<void> {
    await page.getByRole('button', { name: 'New conversation' }).click();
    expect(await page.locator('.card').count()).toBe(0);
  }

  it('answers a typed topic question as a card', async () => {
    await say('how do VMs and Kubernetes compare on isolation?');
    const card = lastCard();
    expect(await card.getAttribute('data-kind')).toBe('topic');
    expect((await card.locator('.card-title').textContent()) ?? '').toMatch(/isolation/i);
    expect((await card.textContent()) ?? '').toMatch(/isolat/i);
    expect(await card.locator('.source').textContent()).toMatch(/^Source: "Kubernetes vs\. Virtual Machines/);
    expect(((await card.textContent()) ?? '').split('Source:')).toHaveLength(2);
    // The question shows as the user's bubble.
    expect(await page.locator('.row.user .bubble').last().textContent()).toBe('how do VMs and Kubernetes compare on isolation?');
  });

  it('keeps user text as text: markup typed by a user is shown, never run', async () => {
    const evil = '<img src=x onerror="document.body.dataset.pwned=1"> hello';
    await say(evil);
    expect(await page.locator('.row.user .bubble').last().textContent()).toBe(evil);
    expect(await page.locator('.row.user img').count()).toBe(0);
    expect(await page.evaluate(() => document.body.dataset.pwned ?? null)).toBeNull();
  });

  it('runs the guided dialog to a recommendation by clicking buttons', async () => {
    await newConversation();
    await afterTurn(() => page.getByRole('button', { name: 'Help me choose' }).click());
    let steps = 0;
    while ((await page.locator('.card[data-kind="recommendation"]').count()) === 0) {
      expect(steps++, 'the dialog should reach a recommendation within 15 answers').toBeLessThan(15);
      const question = lastCard('question');
      await question.waitFor({ state: 'visible' });
      // Answers replace the question card in place, as on Slack and Teams.
      expect(await page.locator('.card[data-kind="question"]').count()).toBe(1);
      await afterTurn(() => question.locator('.choices button').first().click());
    }
    const rec = lastCard('recommendation');
    // Make the window tall enough that the whole card is on screen for the screenshot.
    const box = await rec.boundingBox();
    await page.setViewportSize({ width: 900, height: Math.min(4000, Math.ceil((box?.height ?? 800) + 320)) });
    await rec.scrollIntoViewIfNeeded();
    const text = (await rec.textContent()) ?? '';
    expect(text).toMatch(/virtual machines|VMs|Kubernetes|hybrid|both/i);
    expect(await rec.locator('.facts tr').count()).toBeGreaterThan(0);
    mkdirSync(RESULTS, { recursive: true });
    const file = join(RESULTS, 'recommendation.png');
    await rec.screenshot({ path: file });
    expect(statSync(file).size).toBeGreaterThan(5_000);
    await page.setViewportSize({ width: 900, height: 1000 });
  });

  it('reviews a pasted workload description: the traits it read, then the verdict', async () => {
    await newConversation();
    await say(
      'We run a 15 year old Java monolith on Windows Server that needs a custom kernel module and is only certified on VMware. ' +
        'Traffic is steady and we release quarterly. Should we move it to Kubernetes?',
    );
    // The first card lists the traits read from the description.
    const first = lastCard();
    expect(['question', 'review', 'recommendation']).toContain(await first.getAttribute('data-kind'));
    const traits = ((await first.locator('.bullets li').allTextContents()) ?? []).join('\n');
    expect(traits).toMatch(/Windows/);
    expect(traits).toMatch(/kernel/i);
    expect(traits).toMatch(/VMware|only on VMs/i);
    // A review asks only the questions that could still change the verdict; answer them by clicking.
    const verdictCards = page.locator('.card[data-kind="review"], .card[data-kind="recommendation"]');
    let steps = 0;
    while ((await verdictCards.count()) === 0) {
      expect(steps++, 'the review should reach a verdict within 10 answers').toBeLessThan(10);
      await afterTurn(() => lastCard('question').locator('.choices button').first().click());
    }
    const verdict = verdictCards.last();
    const text = (await verdict.textContent()) ?? '';
    expect(text).toMatch(/virtual machines|VMs/i);
    expect(await verdict.locator('.facts tr, .bullets li').count()).toBeGreaterThan(0);
  });

  /** How many turn requests the page sends while `act` runs. */
  async function turnsDuring(act: () => Promise<void>): Promise<number> {
    let n = 0;
    const count = (r: { url(): string; method(): string }) => {
      if (r.url().endsWith(TURN) && r.method() === 'POST') n++;
    };
    page.on('request', count);
    try {
      await act();
      await page.waitForTimeout(150);
    } finally {
      page.off('request', count);
    }
    return n;
  }

  /** Waits until the conversation has scrolled to its end and the entrance animations are over (for screenshots). */
  async function settled(): Promise<void> {
    await expect
      .poll(() => page.evaluate(() => {
        const log = document.getElementById('log')!;
        return log.scrollHeight - log.scrollTop - log.clientHeight;
      }))
      .toBeLessThan(2);
    await page.waitForTimeout(250);
  }

  const activeElement = () =>
    page.evaluate(() => {
      const a = document.activeElement;
      return {
        tag: a?.tagName ?? '',
        text: a?.textContent ?? '',
        inLog: Boolean(a?.closest('#log')),
        inQuestion: Boolean(a?.closest('.card[data-kind="question"]')),
        choice: Boolean(a?.closest('.choices')),
        title: a?.closest('.card')?.querySelector('.card-title')?.textContent ?? '',
      };
    });

  it('the fallback card offers its example questions once, as buttons', async () => {
    await newConversation();
    await say('what is the weather in Paris tomorrow?');
    const card = lastCard('fallback');
    expect(await card.locator('.bullets').count()).toBe(0);
    const text = (await card.textContent()) ?? '';
    for (const q of ['How do VMs and Kubernetes compare on isolation?', 'When should I pick VMs over Kubernetes?']) {
      expect(text.split(q), q).toHaveLength(2);
      expect(await card.getByRole('button', { name: q }).count()).toBe(1);
    }
  });

  it('an empty message is not sent and gets a hint', async () => {
    const box = page.getByLabel('Message vmk');
    await box.fill('   ');
    const sent = await turnsDuring(() => box.press('Enter'));
    expect(sent).toBe(0);
    await expect.poll(() => page.locator('#composer-status').textContent()).toMatch(/Type a question or describe your workload first/);
    expect(await page.locator('#composer-status').isVisible()).toBe(true);
    await box.fill('');
  });

  it('text over the limit is kept whole and the page says by how much it is over; it is not sent', async () => {
    const box = page.getByLabel('Message vmk');
    const long = `${'word '.repeat(2_410)}`.slice(0, 12_050);
    await box.fill(long);
    // Nothing is cut: the box holds every character.
    expect((await box.inputValue()).length).toBe(12_050);
    const status = page.locator('#composer-status');
    expect(await status.textContent()).toMatch(/12,050 characters; vmk takes up to 12,000\. Shorten it by 50 to send it\./);
    expect(await box.getAttribute('aria-invalid')).toBe('true');
    expect(await turnsDuring(() => box.press('Enter'))).toBe(0);
    expect((await box.inputValue()).length).toBe(12_050);
    // At the limit it may be sent; the count stays as information.
    await box.fill(long.slice(0, 12_000));
    expect(await status.textContent()).toMatch(/^12,000 of 12,000 characters$/);
    expect(await box.getAttribute('aria-invalid')).toBeNull();
    await box.fill('');
    expect(await status.isVisible()).toBe(false);
  });

  it('keyboard focus stays on the conversation after a button: on the next question, then on the one after it', async () => {
    await newConversation();
    await page.getByRole('button', { name: 'Help me choose' }).focus();
    await afterTurn(() => page.keyboard.press('Enter'));
    let focus = await activeElement();
    expect(focus).toMatchObject({ tag: 'BUTTON', inLog: true, inQuestion: true, choice: true, title: 'Question 1' });
    // Enter on the focused answer: the next question replaces this one, and focus moves to its first answer.
    await afterTurn(() => page.keyboard.press('Enter'));
    focus = await activeElement();
    expect(focus).toMatchObject({ tag: 'BUTTON', inLog: true, inQuestion: true, choice: true, title: 'Question 2' });
  });

  it('reloading mid-dialog shows the conversation and the waiting question, and its buttons still answer it', async () => {
    const waiting = lastCard('question');
    const title = await waiting.locator('.card-title').textContent();
    expect(title).toBe('Question 2');
    await page.reload();
    const restored = lastCard('question');
    await restored.waitFor({ state: 'visible' });
    expect(await restored.locator('.card-title').textContent()).toBe('Question 2');
    expect(await page.locator('#intro').isVisible()).toBe(false);
    expect(await page.locator('.row.user .bubble').first().textContent()).toBe('Help me choose');
    expect(await restored.locator('.choices button').first().isEnabled()).toBe(true);
    mkdirSync(RESULTS, { recursive: true });
    await settled();
    await page.screenshot({ path: join(RESULTS, 'reload-mid-dialog.png') });
    // Typing "2" answers the question the person can see.
    await say('2');
    expect(await lastCard('question').locator('.card-title').textContent()).toBe('Question 3');
    // The button answers too, in place.
    await afterTurn(() => lastCard('question').locator('.choices button').first().click());
    expect(await lastCard('question').locator('.card-title').textContent()).toBe('Question 4');
  });

  it('a failed send keeps the typed text and offers Retry; Retry sends it once', async () => {
    const text = 'how do VMs and Kubernetes compare on scaling?';
    let refused = 0;
    failingOnPurpose = true;
    await page.route(`**${TURN}`, async (route) => {
      refused++;
      await route.abort('connectionrefused');
    });
    try {
      const box = page.getByLabel('Message vmk');
      await box.fill(text);
      await box.press('Enter');
      const retry = page.getByRole('button', { name: 'Retry' });
      await retry.waitFor({ state: 'visible' });
      expect(refused).toBe(1);
      expect(await page.locator('.row.error .notice-text').last().textContent()).toMatch(/Could not reach vmk.*retry/i);
      // The text is back in the box, and its bubble says it was not sent.
      expect(await box.inputValue()).toBe(text);
      expect(await page.locator('.row.user.unsent .bubble').textContent()).toBe(text);
      expect(await page.locator('.row.user.unsent .unsent-note').textContent()).toBe('Not sent');
      await settled();
      await page.screenshot({ path: join(RESULTS, 'failed-send.png') });
      await page.unroute(`**${TURN}`);
      await afterTurn(() => retry.click());
    } finally {
      await page.unrouteAll();
      failingOnPurpose = false;
    }
    const answer = lastCard();
    expect(await answer.getAttribute('data-kind')).toBe('topic');
    expect(await answer.locator('.card-title').textContent()).toMatch(/scal/i);
    expect(await page.locator('.row.user.unsent').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    expect(await page.getByLabel('Message vmk').inputValue()).toBe('');
    expect(await page.locator('.row.user .bubble', { hasText: text }).count()).toBe(1);
  });

  it('on a 375 px phone the header and hint take little room and nothing scrolls sideways', async () => {
    await page.setViewportSize({ width: 375, height: 667 });
    await page.reload();
    await lastCard().waitFor({ state: 'visible' });
    const m = await page.evaluate(() => {
      const h = (sel: string) => document.querySelector(sel)?.getBoundingClientRect().height ?? -1;
      const hint = document.getElementById('composer-hint');
      return {
        header: h('.topbar'),
        composer: h('.composer'),
        log: h('#log'),
        hintShown: hint ? getComputedStyle(hint).display !== 'none' : false,
        scrollWidth: document.documentElement.scrollWidth,
        newLabel: document.getElementById('new-conversation')?.innerText ?? '',
      };
    });
    expect(m.header).toBeLessThanOrEqual(52);
    expect(m.hintShown).toBe(false);
    expect(m.composer).toBeLessThanOrEqual(72);
    // The conversation gets at least three quarters of the screen.
    expect(m.log).toBeGreaterThanOrEqual(667 * 0.75);
    expect(m.scrollWidth).toBeLessThanOrEqual(375);
    expect(m.newLabel.trim()).toBe('New');
    // The button keeps its full name for screen readers.
    expect(await page.getByRole('button', { name: 'New conversation' }).count()).toBe(1);
    const file = join(RESULTS, 'phone-375.png');
    await settled();
    await page.screenshot({ path: file });
    expect(statSync(file).size).toBeGreaterThan(5_000);
    // The empty-message hint still shows on a phone.
    await page.getByLabel('Message vmk').press('Enter');
    expect(await page.locator('#composer-status').isVisible()).toBe(true);
    await settled();
    await page.screenshot({ path: join(RESULTS, 'phone-375-hint.png') });
    await page.setViewportSize({ width: 900, height: 1000 });
  });

  it('keeps the conversation id across reloads and raised no page errors', async () => {
    const before = await page.evaluate(() => localStorage.getItem('vmk.playground.conversation'));
    expect(before).toMatch(/^web-[0-9a-f]{24}$/);
    await page.reload();
    expect(await page.evaluate(() => localStorage.getItem('vmk.playground.conversation'))).toBe(before);
    expect(pageErrors).toEqual([]);
  });
});
