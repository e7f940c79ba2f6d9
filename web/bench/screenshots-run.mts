/**
 * `npx tsx web/bench/screenshots.ts`: the screenshots of docs/console.md. Starts the real stack,
 * seeds the "shop" project (web/bench/seed.mts: dev and an approval-required prod, flags with
 * rules, splits and segments, some history, a pending change request), signs in as an admin in
 * Chromium and saves a 1280x800 PNG of each main page into docs/images/console/<page>.png.
 * A page that does not exist in this build (404) is skipped with a message. ONLY=a,b limits the run.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium, signIn } from '../test-support/browser.ts';
import { startConsoleStack } from '../test-support/console-stack.ts';
import { seedShop } from './seed.mts';

const OUT = fileURLToPath(new URL('../../docs/images/console/', import.meta.url));
const MAX_BYTES = 250 * 1024;
const ONLY = process.env.ONLY ? new Set(process.env.ONLY.split(',')) : undefined;
const say = (m: string) => console.log(`screenshots: ${m}`);

interface Shot {
  name: string;
  path: string;
  /** Brings the page into the state the screenshot shows (after the load). */
  prepare?: (page: Page) => Promise<void>;
}

/** Fills "Context (JSON)" with a pro user from Germany; shows the top of the editor or the panel. */
function fillContext(show: 'top' | 'panel') {
  return async (p: Page) => {
    const ta = p.getByLabel('Context (JSON)').first();
    if ((await ta.count()) === 0) return;
    await ta.fill(JSON.stringify({ targetingKey: 'rita', plan: 'pro', country: 'DE' }, null, 2));
    await p.locator('[data-eval-ms]').first().waitFor({ timeout: 5_000 });
    if (show === 'top') await p.evaluate('window.scrollTo(0, 0)');
    else await p.getByRole('heading', { name: 'Try a context' }).scrollIntoViewIfNeeded();
    await p.waitForTimeout(200);
  };
}

mkdirSync(OUT, { recursive: true });
const s = await startConsoleStack();
const browser = await launchChromium();
const saved: string[] = [];
const skipped: string[] = [];
try {
  const { pendingChangeRequestId } = await seedShop(s.admin, (k) => s.mintKey(k));
  const token = await s.mintKey({ name: 'laptop', owner: 'alice@example.com', role: 'admin' });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  await signIn(page, s.consoleUrl, token);
  const env = (e: string) => `/projects/shop/environments/${e}`;
  const shots: Shot[] = [
    { name: 'projects', path: '/projects' },
    { name: 'flags', path: '/projects/shop/flags?env=dev' },
    { name: 'targeting', path: `${env('dev')}/flags/checkout-v2`, prepare: fillContext('top') },
    { name: 'try-context', path: `${env('dev')}/flags/checkout-v2`, prepare: fillContext('panel') },
    { name: 'segments', path: `${env('dev')}/segments` },
    { name: 'segment', path: `${env('dev')}/segments/beta-testers` },
    { name: 'change-requests', path: `${env('prod')}/change-requests` },
    ...(pendingChangeRequestId === undefined
      ? []
      : [{ name: 'change-request', path: `${env('prod')}/change-requests/${pendingChangeRequestId}` }]),
    { name: 'audit', path: '/audit?project=shop' },
    { name: 'api-keys', path: '/api-keys' },
    {
      name: 'flags-as-code',
      path: `${env('dev')}/flags-as-code`,
      prepare: async (p) => {
        // A dry run of the current export with one flag changed: the page shows what would change.
        const r = await fetch(`${s.stack.apiUrl}/projects/shop/environments/dev/export?format=yaml`, {
          headers: { authorization: `Bearer ${s.adminToken}` },
        });
        const yaml = (await r.text()).replace('Order value (EUR) from which shipping is free', 'Free shipping from');
        const doc = p.getByLabel('Document (YAML or JSON)');
        if ((await doc.count()) === 0) return;
        await doc.fill(yaml);
        await p.getByRole('button', { name: 'Dry run' }).click();
        const result = p.getByRole('heading', { name: /Dry run: what applying would change/ });
        await result.waitFor({ timeout: 10_000 });
        await p.evaluate(`(() => {
          document.activeElement?.blur?.();
          const h = [...document.querySelectorAll('h3')].find((e) => e.textContent.startsWith('Dry run'));
          h?.scrollIntoView({ block: 'start' });
          window.scrollBy(0, -16);
        })()`);
        await p.waitForTimeout(200);
      },
    },
  ];
  for (const shot of shots) {
    if (ONLY && !ONLY.has(shot.name)) continue;
    let response = await page.goto(`${s.consoleUrl}${shot.path}`, { waitUntil: 'networkidle' });
    if (response && response.status() >= 500) {
      say(`${shot.name}: ${shot.path} answered ${response.status()}; once more`);
      response = await page.goto(`${s.consoleUrl}${shot.path}`, { waitUntil: 'networkidle' });
    }
    if (!response || response.status() === 404) {
      say(`${shot.name}: ${shot.path} does not exist in this build (404), skipped`);
      skipped.push(shot.name);
      continue;
    }
    if (response.status() !== 200) {
      say(`${shot.name}: ${shot.path} answered ${response.status()}, skipped`);
      skipped.push(shot.name);
      continue;
    }
    await shot.prepare?.(page);
    await page.mouse.move(0, 0);
    const file = join(OUT, `${shot.name}.png`);
    await page.screenshot({ path: file, type: 'png', scale: 'css', animations: 'disabled' });
    const bytes = statSync(file).size;
    say(`${shot.name}: ${file} (${Math.round(bytes / 1024)} KB)${bytes > MAX_BYTES ? ' - OVER 250 KB' : ''}`);
    saved.push(shot.name);
  }
  await ctx.close();
} finally {
  await browser.close();
  await s.stop();
}
say(
  `saved ${saved.length} (${saved.join(', ') || 'none'}); skipped ${skipped.length} (${skipped.join(', ') || 'none'})`,
);
