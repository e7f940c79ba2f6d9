/**
 * Issue 12's browser must-show, with the official `@openfeature/web-sdk` and
 * `@openfeature/ofrep-web-provider` in real Chromium against the whole local stack (controller,
 * workers, one evaluator, real Redis): a page served from its own origin (a tiny node:http server
 * on 127.0.0.1; the page script bundled with esbuild at test time, no network) evaluates with a
 * client key. First bulk load shows the value; a change made in the admin API reaches the page
 * over the advertised event stream (the provider's default change detection, with its stream
 * token) and the value on it changes; the refetch the stream's first event asks for, with nothing
 * changed, is a 304; a page on another origin (a second server, another port) is refused by CORS.
 * (Every published version changes the bulk ETag, as the answers' metadata names the snapshot
 * version, so a 304 needs the same version: a poll or that first event.)
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../testing/chromium.ts';
import { AdminClient } from '../../../scripts/stack/admin-client.ts';
import { REPO_ROOT, startLocalStack, type LocalStack } from '../../../scripts/stack/local-stack.ts';

/** The page's script: the official web SDK and OFREP provider, writing what it sees into the page. */
const PAGE_SCRIPT = `
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
const { baseUrl, key } = window.OFREP_TEST;
const value = document.getElementById('value');
const status = document.getElementById('status');
const client = OpenFeature.getClient();
const show = () => { value.textContent = String(client.getBooleanValue('banner', false)); };
client.addHandler(ProviderEvents.Ready, () => { status.textContent = 'ready'; show(); });
client.addHandler(ProviderEvents.ConfigurationChanged, show);
client.addHandler(ProviderEvents.Error, (e) => { status.textContent = 'error: ' + (e && e.message); });
OpenFeature.setContext({ targetingKey: 'user-1' })
  .then(() =>
    OpenFeature.setProviderAndWait(
      new OFREPWebProvider({ baseUrl, headers: [['Authorization', 'Bearer ' + key]], cacheMode: 'disabled' }),
    ),
  )
  .catch((e) => { status.textContent = 'error: ' + e; });
`;

/** Serves one HTML page (with the bundle inline) on a free port of 127.0.0.1; its URL is its origin. */
async function servePage(
  script: string,
  config: { baseUrl: string; key: string },
): Promise<{ url: string; server: Server }> {
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>OFREP page</title></head><body>' +
    '<p>banner: <output id="value">unset</output></p><p id="status">starting</p>' +
    `<script>window.OFREP_TEST = ${JSON.stringify(config)};</script>` +
    `<script type="module">${script.replace(/<\/script/gi, '<\\/script')}</script></body></html>`;
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('browser clients over OFREP with the official web SDK', () => {
  let stack: LocalStack;
  let admin: AdminClient;
  let browser: Browser;
  let dir: string;
  const servers: Server[] = [];
  let script: string;
  let clientKey: string;
  let evaluatorUrl: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'browser-clients-'));
    const adminToken = `fsk_test_${randomBytes(16).toString('hex')}`;
    [stack, browser] = await Promise.all([
      startLocalStack({
        controllerPort: 0,
        evaluatorPorts: [0],
        keyPrefix: `test:${randomBytes(6).toString('hex')}:`,
        dataDir: dir,
        adminToken,
        privateRedisFallback: false,
        supervisor: { echo: false },
      }),
      launchChromium(),
    ]);
    admin = new AdminClient(stack.apiUrl, adminToken);
    evaluatorUrl = stack.evaluatorUrls[0]!;
    const bundle = await build({
      stdin: { contents: PAGE_SCRIPT, resolveDir: REPO_ROOT, loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    script = bundle.outputFiles[0]!.text;
    await admin.setUpBooleanFlag('web', 'prod', 'banner');
    clientKey = (
      await admin.ok<{ token: string }>('POST', '/api-keys', {
        name: 'web page',
        owner: 'browser test',
        role: 'client',
        environments: ['web.prod'],
      })
    ).token;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) s.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Sets the environment's allowed origins through the admin API. */
  async function allowOrigins(origins: string[]): Promise<void> {
    const env = await admin.ok<{ version: number }>('GET', '/projects/web/environments/prod');
    await admin.ok('PUT', '/projects/web/environments/prod', { version: env.version, allowedOrigins: origins });
  }

  /** Waits until the evaluator serves the environment's allowed origins (the change was published). */
  async function servedOrigins(origin: string, allowed: boolean): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await fetch(`${evaluatorUrl}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json', origin },
        body: '{"context":{"targetingKey":"probe"}}',
      });
      if ((r.headers.get('access-control-allow-origin') === origin) === allowed) return;
      if (Date.now() > deadline)
        throw new Error(`the evaluator does not serve ${origin} as allowed=${allowed} (${r.status})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Opens the page; records the bulk evaluations' statuses and the requests that failed (CORS, network). */
  async function openPage(url: string): Promise<{ page: Page; bulkStatuses: number[]; failed: string[] }> {
    const page = await browser.newPage();
    const bulkStatuses: number[] = [];
    const failed: string[] = [];
    const isBulk = (u: string) => u.startsWith(`${evaluatorUrl}/ofrep/v1/evaluate/flags`);
    page.on('response', (r) => {
      if (isBulk(r.url()) && r.request().method() === 'POST') bulkStatuses.push(r.status());
    });
    page.on('requestfailed', (r) => {
      if (isBulk(r.url())) failed.push(`${r.method()} ${r.failure()?.errorText ?? ''}`);
    });
    await page.goto(url);
    return { page, bulkStatuses, failed };
  }

  it('loads the value, revalidates with a 304, follows a change made in the admin API', async () => {
    const allowed = await servePage(script, { baseUrl: evaluatorUrl, key: clientKey });
    servers.push(allowed.server);
    await allowOrigins([allowed.url]);
    await servedOrigins(allowed.url, true);

    const { page, bulkStatuses } = await openPage(allowed.url);
    await page.waitForFunction(`document.getElementById('status').textContent === 'ready'`, null, {
      timeout: 20_000,
    });
    expect(await page.textContent('#value')).toBe('true');
    expect(bulkStatuses[0]).toBe(200);

    // The stream's first event names the snapshot the page already has: the provider refetches
    // with If-None-Match and the evaluator answers 304; the value stays.
    const deadline = Date.now() + 20_000;
    while (!bulkStatuses.includes(304) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(bulkStatuses.slice(0, 2)).toEqual([200, 304]);
    expect(await page.textContent('#value')).toBe('true');

    // A change in the admin API: the flag's default is now off. The provider hears it on the
    // advertised event stream (opened with its token, no key header) and refetches.
    const current = await admin.ok<{ version: number }>('GET', '/projects/web/environments/prod/flags/banner');
    await admin.putConfig('web', 'prod', 'banner', current.version, { enabled: true, defaultRule: { variant: 'off' } });
    await page.waitForFunction(`document.getElementById('value').textContent === 'false'`, null, {
      timeout: 20_000,
    });
    expect(bulkStatuses.filter((s) => s === 200).length).toBe(2);

    expect(await page.textContent('#value')).toBe('false');
    await page.close();
  }, 120_000);

  it('fails on a page from an origin the environment does not allow', async () => {
    const other = await servePage(script, { baseUrl: evaluatorUrl, key: clientKey });
    servers.push(other.server);
    const { page, bulkStatuses, failed } = await openPage(other.url);
    await page.waitForFunction(`document.getElementById('status').textContent.startsWith('error')`, null, {
      timeout: 20_000,
    });
    // The browser refused the request (CORS: the preflight was answered 403): the provider saw a
    // network failure, never an answer, and the page shows no value from the evaluator.
    expect(await page.textContent('#status')).toMatch(/fetch/i);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.join()).toContain('ERR_FAILED');
    expect(bulkStatuses).toEqual([]);
    expect(await page.textContent('#value')).toBe('unset');
    await page.close();
  }, 60_000);
});
