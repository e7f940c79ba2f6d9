import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../../../../../../scripts/stack/admin-client.ts';
import {
  accessibilityViolations,
  collectPageErrors,
  launchChromium,
  signIn,
} from '../../../../../../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../../../../../../test-support/console-stack.ts';

const PROD = '/projects/shop/environments/prod';
const config = (defaultVariant: string) => ({
  enabled: true,
  offVariant: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  defaultRule: { variant: defaultVariant },
});

describe('change requests (Chromium, real stack)', () => {
  let s: ConsoleStack;
  let browser: Browser;
  let alice: AdminClient;
  let aliceToken: string;
  let bobToken: string;
  let sdkToken: string;
  beforeAll(async () => {
    s = await startConsoleStack();
    browser = await launchChromium();
    await s.admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'prod', name: 'Production', requireApproval: true });
    await s.admin.ok('POST', '/projects/shop/flags', {
      key: 'checkout',
      type: 'boolean',
      variants: { on: true, off: false },
    });
    aliceToken = await s.mintKey({ name: 'alice laptop', owner: 'alice@example.com', role: 'approver' });
    bobToken = await s.mintKey({ name: 'bob laptop', owner: 'bob@example.com', role: 'approver' });
    sdkToken = await s.mintKey({ name: 'web', owner: 'web team', role: 'sdk', environments: ['shop.prod'] });
    alice = new AdminClient(s.stack.apiUrl, aliceToken);
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  const serves = async (): Promise<unknown> => {
    const r = await fetch(`${s.stack.evaluatorUrls[0]}/ofrep/v1/evaluate/flags/checkout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdkToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'u1' } }),
    });
    return ((await r.json()) as { value?: unknown }).value;
  };
  const noViolations = async (page: Page) => expect(await accessibilityViolations(page)).toEqual([]);

  it('one person files, cannot approve it; another approves it in the UI and it is served; a stale base shows', async () => {
    // Alice (an approver herself) files two config change requests on the same base (version 1).
    const first = await alice.ok<{ id: string }>('POST', `${PROD}/change-requests`, {
      flag: 'checkout',
      config: config('off'),
      baseVersion: 1,
      comment: 'checkout off by default',
    });
    const second = await alice.ok<{ id: string }>('POST', `${PROD}/change-requests`, {
      flag: 'checkout',
      config: { ...config('off'), targets: [{ variant: 'on', values: ['u1'] }] },
      baseVersion: 1,
      comment: 'keep u1 out',
    });

    // Alice opens the list and her request: approve and reject are disabled with the reason.
    const a = await browser.newPage();
    const aErrors = collectPageErrors(a);
    await signIn(a, s.consoleUrl, aliceToken);
    await a.goto(`${s.consoleUrl}${PROD}/change-requests`);
    expect(await a.getByRole('link', { name: 'Pending' }).getAttribute('aria-current')).toBe('page');
    const row = a.locator(`tr[data-request="${first.id}"]`);
    expect(await row.textContent()).toContain('checkout off by default');
    expect(await row.textContent()).toContain('alice@example.com');
    expect(await row.textContent()).toContain('flag checkout');
    await noViolations(a);
    await row.getByRole('link').click();
    await a.waitForURL(`${s.consoleUrl}${PROD}/change-requests/${first.id}`);
    const approveA = a.getByRole('button', { name: 'Approve' });
    expect(await approveA.isDisabled()).toBe(true);
    expect(await a.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);
    expect(await a.getByRole('button', { name: 'Cancel request' }).isDisabled()).toBe(false);
    const why = await approveA.getAttribute('aria-describedby');
    expect(await a.locator(`[id="${why}"]`).textContent()).toBe('You asked for this: another person must approve.');
    // Base and proposal: the config goes from disabled (off variant on) to enabled serving off.
    const diff = a.getByRole('table', { name: /the config of flag checkout/ });
    expect(await diff.textContent()).toContain('/enabled');
    expect(await diff.textContent()).toContain('/defaultRule/variant');
    expect(await a.getByTestId('stale-base').count()).toBe(0);
    await noViolations(a);
    // The API refuses her approval anyway (any key of the same owner).
    const self = await alice.request<{ error: { code: string } }>(
      'POST',
      `${PROD}/change-requests/${first.id}/approve`,
      {},
    );
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('SELF_APPROVAL');

    // Bob (approver, another owner) approves in the UI; the change is applied.
    // A new flag is off and serves its first variant (on).
    await expect.poll(serves, { timeout: 10_000, interval: 250 }).toBe(true);
    const b = await browser.newPage();
    const bErrors = collectPageErrors(b);
    await signIn(b, s.consoleUrl, bobToken);
    await b.goto(`${s.consoleUrl}${PROD}/change-requests/${first.id}`);
    await noViolations(b);
    await b.getByLabel('Comment (approve)').fill('lgtm');
    await b.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => b.getByTestId('cr-status').textContent(), { timeout: 10_000 }).toContain('applied');
    expect(await b.getByTestId('cr-status').textContent()).toContain('now version 2');
    expect(await b.getByText('lgtm').count()).toBeGreaterThan(0);
    const applied = await alice.ok<{ status: string; appliedVersion: number }>(
      'GET',
      `${PROD}/change-requests/${first.id}`,
    );
    expect(applied).toMatchObject({ status: 'applied', appliedVersion: 2 });
    // ...and the evaluator serves it.
    await expect.poll(serves, { timeout: 10_000, interval: 250 }).toBe(false);

    // The second request's base moved: shown as stale; approving is refused and shown as the API says.
    await b.goto(`${s.consoleUrl}${PROD}/change-requests/${second.id}`);
    expect(await b.getByTestId('stale-base').textContent()).toBe(
      'Stale base: the config of flag checkout changed since this was filed (version 2, filed against 1); approving will be refused — cancel and file again.',
    );
    await noViolations(b);
    await b.getByRole('button', { name: 'Approve' }).click();
    const refusal = b.locator('.error-panel').filter({ hasText: 'BASE_MOVED' });
    await expect.poll(() => refusal.textContent()).toContain('409 BASE_MOVED');
    expect((await alice.ok<{ status: string }>('GET', `${PROD}/change-requests/${second.id}`)).status).toBe('pending');
    // Bob may not cancel Alice's request; Alice cancels it.
    expect(await b.getByRole('button', { name: 'Cancel request' }).isDisabled()).toBe(true);
    await a.goto(`${s.consoleUrl}${PROD}/change-requests/${second.id}`);
    await a.getByRole('button', { name: 'Cancel request' }).click();
    await expect.poll(() => a.getByTestId('cr-status').textContent()).toContain('cancelled');

    // The tabs: applied has the first, cancelled the second, pending none.
    await a.goto(`${s.consoleUrl}${PROD}/change-requests?status=applied`);
    expect(await a.locator(`tr[data-request="${first.id}"]`).count()).toBe(1);
    await a.getByRole('link', { name: 'Cancelled' }).click();
    await a.waitForURL(/status=cancelled/);
    expect(await a.locator(`tr[data-request="${second.id}"]`).count()).toBe(1);
    await noViolations(a);
    await a.getByRole('link', { name: 'Pending' }).click();
    await a.waitForURL(/status=pending/);
    expect(await a.getByText('No pending change requests.').count()).toBe(1);
    expect(aErrors).toEqual([]);
    expect(bErrors).toEqual([]);
    await a.close();
    await b.close();
  });
});
