/**
 * `npx tsx web/bench/rollout-screenshots.ts`: the screenshots of docs/console.md's rollout and
 * impact pages, with real data. Starts web/test-support/rollout-stack.ts (a private Prometheus
 * scraping demo services under load and the evaluator), ramps a healthy and a failing flag with
 * the one-minute policy until the failing one is reverted, then saves 1280x900 PNGs of the
 * reverted rollout's page, the rollback review and the failing flag's impact page into
 * docs/images/console/.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, signIn } from '../test-support/browser.ts';
import { startRolloutStack } from '../test-support/rollout-stack.ts';

const OUT = fileURLToPath(new URL('../../docs/images/console/', import.meta.url));
const say = (m: string) => console.log(`rollout-screenshots: ${m}`);

const s = await startRolloutStack([
  { key: 'new-checkout', errorRates: { on: 0.002, off: 0.002 } },
  { key: 'new-search', errorRates: { on: 0.25, off: 0.002 } },
]);
const browser = await launchChromium();
try {
  await s.admin.ok('POST', '/projects/demo/metrics', {
    key: 'error-ratio',
    name: 'Error ratio',
    kind: 'ratio',
    better: 'lower',
    numerator:
      'sum(increase(app_request_errors_total{flag="{{flag}}",variant="{{variant}}",environment="{{environment}}"}[{{window}}]))',
    denominator:
      'sum(increase(app_requests_total{flag="{{flag}}",variant="{{variant}}",environment="{{environment}}"}[{{window}}]))',
  });
  const ids: Record<string, number> = {};
  for (const flag of ['new-checkout', 'new-search'])
    ids[flag] = (
      await s.admin.ok<{ id: number }>('POST', `/projects/demo/environments/prod/flags/${flag}/rollouts`, {
        policy: 'quick',
        treatment: 'on',
        control: 'off',
        reason: 'screenshots',
      })
    ).id;
  const deadline = Date.now() + 4 * 60_000;
  for (;;) {
    const statuses = await Promise.all(
      Object.values(ids).map(async (id) => (await s.admin.ok<{ status: string }>('GET', `/rollouts/${id}`)).status),
    );
    if (statuses.every((x) => x === 'completed' || x === 'rolled-back')) break;
    if (Date.now() > deadline) throw new Error(`rollouts still ${statuses.join(', ')} after 4 minutes`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
  // A little more traffic after the revert, so the impact charts show it.
  await new Promise((r) => setTimeout(r, 20_000));
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(page, s.consoleUrl, await s.mintKey({ name: 'laptop', owner: 'sre@example.com', role: 'editor' }));
  const shots = [
    { name: 'rollout-reverted', path: `/rollouts/${ids['new-search']}` },
    { name: 'rollback-review', path: '/rollouts/review' },
    { name: 'impact', path: '/projects/demo/environments/prod/flags/new-search/impact?range=15m' },
  ];
  for (const shot of shots) {
    await page.goto(`${s.consoleUrl}${shot.path}`, { waitUntil: 'networkidle' });
    await page.waitForTimeout(500);
    const file = join(OUT, `${shot.name}.png`);
    await page.screenshot({ path: file, type: 'png', scale: 'css', animations: 'disabled' });
    say(`${shot.name}: ${file} (${Math.round(statSync(file).size / 1024)} KB)`);
  }
} finally {
  await browser.close();
  await s.stop();
}
