import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROUTE } from '../../shared/config/routes.js';
import { launchChromium } from '../support/browser.js';
import { type ConsoleProcess, startConsoleProcess } from './console-process.js';
import {
  CATERING_PAYLOAD,
  emulatorView,
  ROOT,
  type RunnerProcess,
  scenarioEnv,
  showRunnerOutput,
  startRunnerProcess,
  waitFor,
} from './runner-process.js';

/**
 * The operator console in a real browser (Debian's Chromium, headless, through playwright-core)
 * against `npm start`: the operator sees the route, finds a message by id with its attempts,
 * redrives a dead letter after a confirmation and sees it delivered, pauses and resumes the route;
 * a forged request (no token, another site, another host name) is refused. The same run takes the
 * screenshots of docs/console.md: into docs/console with UPDATE_SCREENSHOTS=1, otherwise into a
 * temporary directory removed afterwards, so a test run leaves the checkout as it found it.
 */

/** Where the screenshots go: docs/console.md's own only when asked for. */
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const SCREENSHOTS = UPDATE_SCREENSHOTS
  ? join(ROOT, 'docs', 'console')
  : mkdtempSync(join(tmpdir(), 'gd-console-shots-'));
/** A host name the browser resolves to 127.0.0.1, as an attacker's DNS would (DNS rebinding). */
const REBOUND_HOST = 'rebound.test';

describe('operator console (gd console) in a browser', () => {
  const failed = { value: false };
  let runner: RunnerProcess;
  let consoleProcess: ConsoleProcess;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let env: Record<string, string>;
  let view: Awaited<ReturnType<typeof emulatorView>>;
  /** Every body the console sent the browser. */
  const received: string[] = [];
  /** Values the console has and must never send: its AWS credentials and the API key. */
  const secrets = {
    accessKeyId: `AKIACONSOLE${randomUUID().slice(0, 8).toUpperCase()}`,
    secretAccessKey: `console-secret-${randomUUID()}`,
    apiKey: `console-api-key-${randomUUID()}`,
  };
  const deliveredId = `console-ok-${randomUUID().slice(0, 8)}`;
  // Markup in an id: the console must show it as text.
  const deadId = `console-<b>dead</b>-${randomUUID().slice(0, 8)}`;

  const backend = (failWith: number | null) =>
    fetch(`http://127.0.0.1:${env.DEMO_BACKEND_PORT}/control`, {
      method: 'POST',
      body: JSON.stringify({ failWith }),
    });
  const shoot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  const routeRow = () => page.locator('tr.route[data-route="catering"]');
  /** Goes to a page by the navigation bar, as an operator would. */
  const navigate = (name: string) =>
    page.getByRole('navigation').getByRole('link', { name, exact: true }).click();

  beforeAll(async () => {
    // Prepare: npm start with the API key on; one message delivered, one dead-lettered.
    env = await scenarioEnv({ LOCAL_API_KEY: secrets.apiKey });
    runner = await startRunnerProcess(env);
    view = await emulatorView(env.LOCAL_PREFIX ?? '');
    const headers = (key: string) => ({ 'x-api-key': secrets.apiKey, 'Idempotency-Key': key });
    expect((await runner.post(CATERING_PAYLOAD, headers(deliveredId))).status).toBe(202);
    const state = async (id: string) => {
      const response = await fetch(`${runner.apiUrl}${DEFAULT_ROUTE.path}/${encodeURIComponent(id)}`, {
        headers: { 'x-api-key': secrets.apiKey },
      });
      return ((await response.json()) as { state?: string }).state;
    };
    expect(
      await waitFor(
        () => state(deliveredId),
        (now) => now === 'delivered',
        30_000,
      ),
    ).toBe('delivered');
    await backend(503);
    expect((await runner.post(CATERING_PAYLOAD, headers(deadId))).status).toBe(202);
    expect(
      await waitFor(
        () => view.count(view.dlqUrl),
        (count) => count === 1,
        30_000,
      ),
    ).toBe(1);
    await backend(null);

    // The console with credentials of its own (an emulator takes any), and the browser.
    consoleProcess = await startConsoleProcess({
      ...env,
      AWS_ACCESS_KEY_ID: secrets.accessKeyId,
      AWS_SECRET_ACCESS_KEY: secrets.secretAccessKey,
    });
    browser = await launchChromium({ extraArgs: [`--host-resolver-rules=MAP ${REBOUND_HOST} 127.0.0.1`] });
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    browser.context.on('response', async (response) => {
      if (!response.url().startsWith(new URL(consoleProcess.url).origin)) return;
      received.push(await response.text().catch(() => ''));
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    const code = consoleProcess ? await consoleProcess.stop() : 0;
    view?.close();
    if (runner) {
      showRunnerOutput(runner, failed.value);
      if (failed.value) console.log(`--- console output ---\n${consoleProcess?.output()}`);
      await runner.stop();
    }
    if (!UPDATE_SCREENSHOTS) rmSync(SCREENSHOTS, { recursive: true, force: true });
    expect(code).toBe(0);
  }, 60_000);

  const step = (name: string, body: () => Promise<void>, timeoutMs = 60_000) =>
    it(
      name,
      async () => {
        try {
          await body();
        } catch (error) {
          failed.value = true;
          throw error;
        }
      },
      timeoutMs,
    );

  step('shows the route with its counts, refreshed without a reload', async () => {
    // Act
    await page.goto(consoleProcess.url);
    const readAt = await page.locator('#routes-live caption time').getAttribute('datetime');

    // Assess
    await expect.poll(() => routeRow().locator('td').first().textContent()).toBe('running');
    expect(await routeRow().locator('td').nth(4).textContent()).toBe('1'); // DLQ
    expect(await routeRow().locator('td').nth(7).textContent()).toBe('1'); // delivered in the hour
    expect(await routeRow().locator('td').nth(8).textContent()).toBe('1'); // failed in the hour
    await expect
      .poll(() => page.locator('#routes-live caption time').getAttribute('datetime'), { timeout: 15_000 })
      .not.toBe(readAt);
    await shoot('routes');
  });

  step('finds a message by id with its attempts, showing message values as text', async () => {
    // Act
    await navigate('Message');
    await page.getByLabel('Message id').fill(deliveredId);
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.locator('section.record').waitFor();
    const delivered = await page.locator('section.record').textContent();
    await page.getByLabel('Message id').fill(deadId);
    await page.getByRole('button', { name: 'Look up' }).click();

    // Assess
    expect(delivered).toContain('attempt 1: answered 200');
    expect(delivered).toMatch(/delivered/);
    const record = page.locator('section.record');
    await expect.poll(() => record.locator('.state').textContent()).toBe('dead-lettered');
    const text = (await record.textContent()) ?? '';
    expect(text.match(/attempt \d: answered 503/g)).toHaveLength(3);
    expect(text).toContain('dead-lettered: gave up after 3 attempts');
    expect(text).toContain(deadId);
    expect(await record.locator('b').count()).toBe(0);
    await shoot('message');
  });

  step('redrives a dead letter after a confirmation that says how many, and it is delivered', async () => {
    // Act
    await navigate('Dead letters');
    await page.getByLabel('Last status').fill('5xx');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('checkbox', { name: `pick ${deadId}` }).check();
    await shoot('dead-letters');
    await page.getByRole('button', { name: 'Redrive selected…' }).click();
    const confirmation = await page.locator('main').textContent();
    await shoot('redrive-confirm');
    await page.getByRole('button', { name: 'Redrive 1 dead letter(s)' }).click();
    await expect
      .poll(() => page.locator('.job-state strong').textContent(), { timeout: 20_000 })
      .toBe('done');
    await shoot('redrive-done');

    // Assess
    expect(confirmation).toContain('Redrive the 1 selected dead letter(s) back to their delivery queue?');
    expect(await page.locator('.job-lines').textContent()).toContain(
      'catering: moved 1 dead letter(s) back to the delivery queue',
    );
    await page.getByRole('link', { name: 'The message' }).click();
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.locator('section.record .state').textContent();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe('delivered');
    expect(await page.locator('section.record').textContent()).toContain('redriven from the DLQ');
  });

  step('pauses and resumes the route after a confirmation', async () => {
    // Act: pause
    await navigate('Actions');
    await page.getByRole('link', { name: 'Pause…' }).click();
    const pauseQuestion = await page.locator('.confirm').textContent();
    await page.getByRole('button', { name: 'Pause catering' }).click();
    await expect.poll(() => page.locator('.job-state strong').textContent()).toBe('done');
    const paused = await page.locator('.job-lines').textContent();
    await navigate('Actions');
    await shoot('actions');

    // Act: resume
    await page.getByRole('link', { name: 'Resume…' }).click();
    await page.getByRole('button', { name: 'Resume catering' }).click();
    await expect.poll(() => page.locator('.job-state strong').textContent()).toBe('done');
    const resumed = await page.locator('.job-lines').textContent();

    // Assess
    expect(pauseQuestion).toContain('Pause deliveries of route catering?');
    expect(paused).toContain('catering: deliveries paused (queue-tag)');
    expect(resumed).toContain('catering: deliveries resumed (queue-tag)');
    await navigate('Routes');
    await expect.poll(() => routeRow().locator('td').first().textContent()).toBe('running');
  });

  step('refuses a forged request: no token, another site, another host name', async () => {
    // Prepare: a page of another site that posts "pause" to the console, token and all.
    const { origin } = new URL(consoleProcess.url);
    const attacker: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<form method="post" action="${consoleProcess.url}actions">
<input name="action" value="pause"><input name="route" value="catering"></form>
<script>document.forms[0].submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;

    try {
      // Act
      const withoutToken = await page.goto(`${origin}/`);
      const wrongToken = await page.goto(`${origin}/${'A'.repeat(43)}/routes`);
      const rebound = await page.goto(consoleProcess.url.replace('127.0.0.1', REBOUND_HOST));
      await page.goto(attackerUrl);
      await page.waitForURL(`${consoleProcess.url}actions`);
      const forged = await page.locator('body').textContent();

      // Assess
      expect([withoutToken?.status(), wrongToken?.status(), rebound?.status()]).toEqual([403, 403, 403]);
      expect(forged?.trim()).toBe('Forbidden');
      await page.goto(consoleProcess.url);
      await expect.poll(() => routeRow().locator('td').first().textContent()).toBe('running');
      expect(consoleProcess.output()).toContain('refused a POST request: foreign Origin');
    } finally {
      // The browser keeps its connection open; close it, or close() waits for it.
      attacker.closeAllConnections();
      await new Promise((resolve) => attacker.close(resolve));
    }
  });

  step('sent no credential and no API key to the browser', async () => {
    // Assess
    const everything = received.join('\n');
    expect(received.length).toBeGreaterThan(10);
    for (const secret of Object.values(secrets)) expect(everything).not.toContain(secret);
  });
});
