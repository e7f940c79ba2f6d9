import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../../../../../../scripts/stack/admin-client.ts';
import { isoToLocalInput } from '../../../../../../lib/schedule-time.ts';
import {
  accessibilityViolations,
  collectPageErrors,
  launchChromium,
  signIn,
} from '../../../../../../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../../../../../../test-support/console-stack.ts';

const pace = () => new Promise((r) => setTimeout(r, 150));
/** The browser's zone in this test: not the machine's (UTC), so the offset the console sends is checked. */
const ZONE = 'America/New_York';

interface Schedule {
  id: number;
  at: string;
  status: string;
  kind: string;
  appliedVersion: number | null;
  changeRequestId: string | null;
  outcome: string | null;
}

describe('schedules in the console (Chromium, real stack)', () => {
  let s: ConsoleStack;
  let browser: Browser;
  let editor: BrowserContext;
  let page: Page;
  let sdkKey: string;
  let viewerToken: string;
  let approverToken: string;
  const flagUrl = (env: string) => `${s.consoleUrl}/projects/shop/environments/${env}/flags/banner`;

  async function ofrep(): Promise<unknown> {
    const r = await fetch(`${s.stack.evaluatorUrls[0]}/ofrep/v1/evaluate/flags/banner`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
    });
    return ((await r.json().catch(() => ({}))) as { value?: unknown }).value;
  }
  const schedule = (id: number) => s.admin.ok<Schedule>('GET', `/schedules/${id}`);
  const row = (p: Page, id: number) => p.locator(`tr[data-schedule="${id}"]`);
  const scheduledId = async (p: Page): Promise<number> => {
    const status = p.getByTestId('schedule-at-status');
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toMatch(/Schedule #\d+ is/);
    return Number(/#(\d+)/.exec((await status.textContent()) ?? '')![1]);
  };

  beforeAll(async () => {
    s = await startConsoleStack();
    browser = await launchChromium();
    await s.admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
    await pace();
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'dev', name: 'Development' });
    await pace();
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'prod', name: 'Production', requireApproval: true });
    await pace();
    await s.admin.ok('POST', '/projects/shop/flags', {
      key: 'banner',
      type: 'string',
      variants: { off: 'none', a: 'A', b: 'B' },
    });
    sdkKey = await s.mintKey({ name: 'dev sdk', owner: 'web team', role: 'sdk', environments: ['shop.dev'] });
    viewerToken = await s.mintKey({ name: 'viewer', owner: 'vic@example.com', role: 'viewer' });
    approverToken = await s.mintKey({ name: 'approver', owner: 'ann@example.com', role: 'approver' });
    const token = await s.mintKey({ name: 'laptop', owner: 'eddie@example.com', role: 'editor' });
    editor = await browser.newContext({ timezoneId: ZONE });
    page = await editor.newPage();
    await signIn(page, s.consoleUrl, token);
  }, 240_000);
  afterAll(async () => {
    await editor?.close();
    await browser?.close();
    await s?.stop();
  });

  it('schedules the draft from the editor a few seconds ahead; the page shows it scheduled, then applied, and OFREP serves it', async () => {
    const errors = collectPageErrors(page);
    await page.goto(flagUrl('dev'));
    const at = page.getByTestId('schedule-at');
    await expect
      .poll(() => at.getByTestId('schedule-zone').textContent())
      .toMatch(/^in America\/New_York \(UTC-0[45]:00/);
    const applyDraft = at.getByRole('button', { name: 'Apply the draft at this time' });
    expect(await applyDraft.isDisabled()).toBe(true); // nothing to schedule yet
    expect(await ofrep()).toBe('none'); // created off

    await page.getByLabel('Enabled in Development').check();
    await page
      .getByRole('group', { name: 'Default rule serves' })
      .getByLabel('Default rule serves: variant')
      .selectOption('b');
    // Eight seconds ahead, typed as the wall clock in New York (what a person there sees).
    const due = Math.ceil((Date.now() + 8_000) / 1000) * 1000;
    const local = `${isoToLocalInput(due, ZONE)}:${String(new Date(due).getUTCSeconds()).padStart(2, '0')}`;
    await at.getByLabel('Apply at').fill(local);
    await at.getByLabel('Schedule comment').fill('banner b at launch');
    expect(await accessibilityViolations(page)).toEqual([]);
    await applyDraft.click();
    const id = await scheduledId(page);
    const stored = await schedule(id);
    // Sent with New York's offset: stored as the same instant in UTC.
    expect(stored).toMatchObject({ at: new Date(due).toISOString(), kind: 'config', status: 'scheduled' });
    expect(await ofrep()).toBe('none'); // not before its time

    // The flag's Schedules tab lists it as scheduled, in New York time and UTC, with its diff.
    await page.getByRole('navigation', { name: 'Flag views' }).getByRole('link', { name: 'Schedules' }).click();
    await page.waitForURL(/\/schedules\?flag=banner$/);
    const r = row(page, id);
    expect(await r.getByTestId('schedule-status').textContent()).toBe('scheduled');
    await expect
      .poll(() => r.getByTestId('schedule-time').textContent())
      .toContain(`${new Date(due).toISOString().slice(0, 19).replace('T', ' ')} UTC`);
    expect(await r.getByTestId('schedule-time').textContent()).toMatch(/ (EST|EDT|GMT-[45]) /);
    expect(await r.textContent()).toContain('eddie@example.com');
    expect(await r.textContent()).toContain('banner b at launch');
    await r.getByText(/What it changes/).click();
    const diff = r.getByRole('table', { name: new RegExp(`Schedule #${id}`) });
    expect(await diff.textContent()).toContain('/defaultRule/variant');
    expect(await accessibilityViolations(page)).toEqual([]);

    // Without a reload, the page turns to applied once the workers apply it; then OFREP serves b.
    await expect
      .poll(() => row(page, id).getByTestId('schedule-status').textContent(), { timeout: 30_000, interval: 250 })
      .toBe('applied');
    expect(await row(page, id).getByTestId('schedule-outcome').textContent()).toContain('wrote version 2');
    expect(await page.getByRole('table', { name: /Past schedules of banner/ }).count()).toBe(1);
    await expect.poll(ofrep, { timeout: 10_000, interval: 200 }).toBe('B');
    expect(Date.now()).toBeGreaterThanOrEqual(due);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('cancels another one from the environment page; a viewer finds Cancel disabled', async () => {
    const errors = collectPageErrors(page);
    await page.goto(flagUrl('dev'));
    const at = page.getByTestId('schedule-at');
    await at.getByLabel('Apply at').fill(isoToLocalInput(Date.now() + 3_600_000, ZONE));
    await at.getByRole('button', { name: 'Turn off at this time' }).click();
    const id = await scheduledId(page);
    expect(await schedule(id)).toMatchObject({ kind: 'action', status: 'scheduled' });

    // The environment's page, reached from the projects page.
    await page.goto(`${s.consoleUrl}/projects`);
    await page.locator('a[href="/projects/shop/environments/dev/schedules"]').click();
    await page.waitForURL(/\/environments\/dev\/schedules$/);
    const r = row(page, id);
    expect(await r.textContent()).toContain('turn the flag off');
    expect(await accessibilityViolations(page)).toEqual([]);

    const viewer = await browser.newPage();
    await signIn(viewer, s.consoleUrl, viewerToken);
    await viewer.goto(`${s.consoleUrl}/projects/shop/environments/dev/schedules`);
    expect(
      await row(viewer, id)
        .getByRole('button', { name: `Cancel schedule #${id}` })
        .isDisabled(),
    ).toBe(true);
    await viewer.close();

    await r.getByRole('button', { name: `Cancel schedule #${id}` }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByLabel('Reason').fill('launch moved');
    expect(await accessibilityViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel schedule' }).click();
    await expect
      .poll(() => row(page, id).getByTestId('schedule-status').textContent(), { timeout: 10_000 })
      .toBe('cancelled');
    expect(await row(page, id).getByTestId('schedule-outcome').textContent()).toContain(
      'cancelled by eddie@example.com: launch moved',
    );
    expect(
      await row(page, id)
        .getByRole('button', { name: /Cancel schedule/ })
        .count(),
    ).toBe(0);
    expect(await schedule(id)).toMatchObject({ status: 'cancelled' });
    expect(await ofrep()).toBe('B'); // still on
    expect(errors).toEqual([]);
  });

  it('in an approval environment it awaits approval; its change request reads "approved, applies at …" once approved', async () => {
    await page.goto(flagUrl('prod'));
    const at = page.getByTestId('schedule-at');
    expect(await at.textContent()).toContain('Production needs approval: the schedule goes through a change request');
    const due = Date.now() + 3_600_000;
    await at.getByLabel('Apply at').fill(isoToLocalInput(due, ZONE));
    await at.getByRole('button', { name: 'Turn on at this time' }).click();
    const id = await scheduledId(page);
    expect(await page.getByTestId('schedule-at-status').textContent()).toContain('awaiting approval');
    const stored = await schedule(id);
    expect(stored.status).toBe('awaiting-approval');
    const cr = stored.changeRequestId!;

    await page.goto(`${s.consoleUrl}/projects/shop/environments/prod/schedules?flag=banner`);
    expect(await row(page, id).getByTestId('schedule-status').textContent()).toBe('awaiting approval');
    await row(page, id)
      .getByRole('link', { name: `request #${cr}` })
      .click();
    await page.waitForURL(new RegExp(`/change-requests/${cr}$`));
    const when = `${stored.at.slice(0, 19).replace('T', ' ')} UTC`;
    expect(await page.getByText(`schedule: turn on at ${when}`).count()).toBe(1);
    expect(await page.getByTestId('cr-schedule').textContent()).toContain(when);
    expect(await page.getByRole('table', { name: /the config of flag banner/ }).textContent()).toContain('/enabled');
    expect(await accessibilityViolations(page)).toEqual([]);

    await new AdminClient(s.stack.apiUrl, approverToken).ok(
      'POST',
      `/projects/shop/environments/prod/change-requests/${cr}/approve`,
      {
        comment: 'ok',
      },
    );
    await page.reload();
    expect(await page.getByTestId('cr-status').textContent()).toBe(`approved, applies at ${when}`);
    await page.goto(`${s.consoleUrl}/projects/shop/environments/prod/change-requests?status=applied`);
    expect(await page.locator(`tr[data-request="${cr}"]`).textContent()).toContain(`approved, applies at ${when}`);
    expect(await schedule(id)).toMatchObject({ status: 'scheduled' });
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('schedules a rollout start from the Rollouts tab', async () => {
    const errors = collectPageErrors(page);
    await page.goto(`${flagUrl('dev')}/rollouts`);
    const start = page.getByRole('group', { name: 'Start at …' });
    const button = start.getByRole('button', { name: 'Schedule this start' });
    expect(await button.isDisabled()).toBe(true); // no time yet
    await start.getByLabel('Start at').fill(isoToLocalInput(Date.now() + 7_200_000, ZONE));
    await expect.poll(() => button.isEnabled()).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    await button.click();
    await expect
      .poll(() => start.getByRole('status').textContent(), { timeout: 10_000 })
      .toMatch(/Schedule #\d+ is scheduled/);
    const id = Number(/#(\d+)/.exec((await start.getByRole('status').textContent()) ?? '')![1]);
    const stored = await s.admin.ok<Schedule & { rollout: { treatment: string; control: string } }>(
      'GET',
      `/schedules/${id}`,
    );
    expect(stored).toMatchObject({ kind: 'rollout', status: 'scheduled', rollout: { treatment: 'a', control: 'off' } });
    await page.goto(`${s.consoleUrl}/projects/shop/environments/dev/schedules?flag=banner`);
    expect(await row(page, id).textContent()).toContain('start a rollout of a against off');
    expect(errors).toEqual([]);
  });
});
