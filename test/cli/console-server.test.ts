import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConsoleServer, startConsoleServer } from '../../cli/console/console-server.js';
import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { createCliFixture } from './cli-fixture.js';

/** An answer of the console, as a browser (or an attacker) would get it. */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * `gd console`'s server over real HTTP on 127.0.0.1, on a local stack on the emulator, without a
 * browser: what it refuses (token, Host, Origin), the headers it sends, message values shown as
 * text, and actions that act through gd's own functions. The browser's view is the scenario test's.
 */
describe('gd console server', () => {
  let fixture: Awaited<ReturnType<typeof createCliFixture>>;
  let server: ConsoleServer;
  let logged: string[];
  let origin: string;
  let base: string;

  /** A request with full control of Host and Origin (fetch would not let a test set Host). */
  function send(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; form?: Record<string, string> } = {},
  ): Promise<Answer> {
    const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          method,
          path,
          headers: {
            host: `127.0.0.1:${server.port}`,
            ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
            ...options.headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** POSTs a form as the console's own page does, follows the redirect to the job, waits for its end. */
  async function act(path: string, form: Record<string, string>): Promise<string> {
    const posted = await send('POST', `${base}${path}`, { form, headers: { origin } });
    expect(posted.status).toBe(303);
    const job = `${base}${posted.headers.location}`.replace('job?', 'job/live?');
    for (let tries = 0; tries < 100; tries++) {
      const live = await send('GET', job);
      if (live.body.includes('data-final')) return live.body;
      await sleep(100);
    }
    throw new Error(`the job at ${job} did not end`);
  }

  /** The local stack's one route, as gd opened it. */
  function theRoute() {
    const [route] = fixture.stack.routes;
    if (!route) throw new Error('the local stack has no route');
    return route;
  }

  beforeEach(async () => {
    fixture = await createCliFixture();
    logged = [];
    server = await startConsoleServer({
      stack: fixture.stack,
      port: 0,
      refreshSeconds: 3,
      log: (line) => logged.push(line),
    });
    origin = `http://127.0.0.1:${server.port}`;
    base = new URL(server.url).pathname;
  });

  afterEach(async () => {
    await server.close();
  });

  it('serves the routes page on 127.0.0.1 with the token, under a strict content security policy', async () => {
    // Act
    const answer = await send('GET', base);

    // Assess
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]{43}\/$/);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(`data-route="${fixture.route.name}"`);
    expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
    expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(answer.headers['referrer-policy']).toBe('same-origin');
    expect(answer.headers['cache-control']).toBe('no-store');
  });

  it('rejects requests without the token, for another Host, or from another site, and does nothing for them', async () => {
    // Act
    const answers = await Promise.all([
      send('GET', '/'),
      send('GET', '/favicon.ico'),
      send('GET', `/not-the-token/routes`),
      send('GET', base, { headers: { host: `attacker.example:${server.port}` } }),
      send('GET', `${base}routes/live`, { headers: { 'sec-fetch-site': 'cross-site' } }),
      send('POST', `${base}actions`, {
        form: { action: 'pause', route: fixture.route.name },
        headers: { origin: 'http://attacker.example' },
      }),
      send('POST', `${base}actions`, { form: { action: 'pause', route: fixture.route.name } }),
    ]);

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([403, 403, 403, 403, 403, 403, 403]);
    for (const answer of answers) expect(answer.body).toBe('Forbidden\n');
    expect(logged).toHaveLength(7);
    expect((await fixture.stack.deliveryState(theRoute())).paused).toBe(false);
  });

  it('shows message values as text, never as markup', async () => {
    // Prepare
    const id = `<img src=x onerror="alert(1)">'"&`;
    await fixture.deadLetter(id, { reason: '<script>alert(2)</script>', attempts: 3, lastStatus: 503 });

    // Act
    const [list, message] = await Promise.all([
      send('GET', `${base}dead-letters?route=${fixture.route.name}`),
      send('GET', `${base}message?id=${encodeURIComponent(id)}`),
    ]);

    // Assess
    expect(list.status).toBe(200);
    expect(list.body).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&quot;&amp;');
    expect(list.body).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(`${list.body}${message.body}`).not.toMatch(/<img|<script>alert/);
    expect(message.body).toContain('no message &lt;img src=x');
  });

  it('redrives picked dead letters after the confirmation says how many', async () => {
    // Prepare
    await fixture.deadLetter('pick-me', { reason: 'backend answered 503', attempts: 3, lastStatus: 503 });
    await fixture.deadLetter('leave-me', { reason: 'backend answered 400', attempts: 1, lastStatus: 400 });
    const pick = `${fixture.route.name} pick-me`;

    // Act
    const confirmation = await send(
      'GET',
      `${base}redrive/confirm?scope=picked&pick=${encodeURIComponent(pick)}&route=${fixture.route.name}`,
    );
    const done = await act('redrive', { scope: 'picked', pick, route: fixture.route.name });

    // Assess
    expect(confirmation.body).toContain('Redrive 1 dead letter(s)');
    expect(done).toContain(`${fixture.route.name}: moved 1 dead letter(s) back to the delivery queue`);
    expect(await fixture.queuedIds()).toEqual(['pick-me']);
    expect((await queueCounts(fixture.sqs, fixture.queues.dlqUrl)).visible).toBe(1);
  });

  it("drains the failover table with the drainer's own logic and shows its report", async () => {
    // Prepare
    await fixture.failover('parked');

    // Act
    const done = await act('actions', { action: 'drain' });

    // Assess
    expect(done).toContain('drained: 1 moved from the failover table to their queues');
    expect(await fixture.queuedIds()).toEqual(['parked']);
  });

  it('pauses and resumes a route through gd pause and gd resume', async () => {
    // Prepare
    const route = theRoute();

    // Act
    const paused = await act('actions', { action: 'pause', route: route.name });
    const stateWhilePaused = await fixture.stack.deliveryState(route);
    const resumed = await act('actions', { action: 'resume', route: route.name });

    // Assess
    expect(paused).toContain(`${route.name}: deliveries paused (queue-tag)`);
    expect(stateWhilePaused.paused).toBe(true);
    expect(resumed).toContain(`${route.name}: deliveries resumed (queue-tag)`);
    expect((await fixture.stack.deliveryState(route)).paused).toBe(false);
  });
});
