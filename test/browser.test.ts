/**
 * The playground in a real browser: Debian's chromium, headless, driven by
 * playwright-core against a real vmk server. Saves a screenshot of the
 * recommendation to test-results/recommendation.png.
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

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing. Install it with: apt-get install chromium (.ci/run does this in CI).`);
    }
    srv = await startTestServer();
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
      if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
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
    expect(await card.locator('.source').textContent()).toMatch(/Source:/);
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

  it('keeps the conversation id across reloads and raised no page errors', async () => {
    const before = await page.evaluate(() => localStorage.getItem('vmk.playground.conversation'));
    expect(before).toMatch(/^web-[0-9a-f]{24}$/);
    await page.reload();
    expect(await page.evaluate(() => localStorage.getItem('vmk.playground.conversation'))).toBe(before);
    expect(pageErrors).toEqual([]);
  });
});
