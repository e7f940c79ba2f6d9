import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityViolations, collectPageErrors, launchChromium, signIn } from '../../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../../test-support/console-stack.ts';

interface Preview {
  explanation: { result: { value: unknown; variant?: string; reason: string }; decidedBy: string };
}

/** What the try-a-context panel shows now. */
async function shown(page: Page) {
  const out = page.getByTestId('try-context-output');
  return {
    value: await out.getByTestId('try-value').textContent(),
    variant: await out.getByTestId('try-variant').textContent(),
    reason: (await out.getByTestId('try-reason').textContent())?.split(' ')[0],
  };
}

describe('targeting editor and try a context (Chromium, real stack)', () => {
  let s: ConsoleStack;
  let browser: Browser;
  beforeAll(async () => {
    s = await startConsoleStack();
    browser = await launchChromium();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('builds a segment rule and a 30/70 split, answers contexts as the server preview does after saving', async () => {
    await s.admin.setUpBooleanFlag('shop', 'dev', 'checkout');
    const E = '/projects/shop/environments/dev';
    await s.admin.ok('POST', `${E}/segments`, { key: 'beta', included: ['u-beta'] });
    const token = await s.mintKey({ name: 'laptop', owner: 'ed@example.com', role: 'editor' });
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await signIn(page, s.consoleUrl, token);
    await page.goto(`${s.consoleUrl}${E}/flags/checkout`);
    await page.getByRole('button', { name: 'Add a rule' }).click();

    const rule = page.getByRole('group', { name: 'Rule 1', exact: true });
    const condition = rule.getByRole('group', { name: 'Rule 1 condition 1' });
    await condition.getByLabel('Operator').selectOption('inSegment');
    // A segment operator has no attribute; it offers the environment's segments.
    expect(await condition.getByLabel('Attribute').count()).toBe(0);
    await condition.getByRole('checkbox', { name: 'beta' }).check();
    await rule.getByLabel('Rule 1 serves: variant').selectOption('on');
    await rule.getByLabel('Rule 1 description').fill('beta testers');

    const def = page.getByRole('group', { name: 'Default rule serves' });
    await def.getByLabel('A percentage split').check();
    await def.getByLabel('Slice 1 variant').selectOption('on');
    await def.getByLabel('Slice 2 variant').selectOption('off');
    await def.getByLabel('Slice 1 percent').fill('30');
    // 30 + 50 (the even split it started from): the sum is shown as wrong.
    await expect.poll(() => def.getByTestId('split-total').textContent()).toContain('80%');
    expect(await def.getByTestId('split-total').textContent()).toContain('must add up to exactly 100%');
    await def.getByLabel('Slice 2 percent').fill('70');
    await expect.poll(() => def.getByTestId('split-total').textContent()).toBe('Total: 100%');

    // Keyboard: the move buttons are reachable and named.
    await page.getByRole('button', { name: 'Add a rule' }).click();
    const second = page.getByRole('group', { name: 'Rule 2', exact: true });
    await second.getByRole('group', { name: 'Rule 2 condition 1' }).getByLabel('Attribute').fill('plan');
    await second.getByRole('group', { name: 'Rule 2 condition 1' }).getByLabel('Values').fill('pro');
    await second.getByRole('button', { name: 'Move rule 2 up' }).focus();
    await page.keyboard.press('Enter');
    expect(await page.getByRole('group', { name: 'Rule 2: beta testers' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Move rule 2 up' }).click();
    await page.getByRole('button', { name: 'Remove rule 2', exact: true }).click();
    expect(await page.getByRole('group', { name: /^Rule 2/ }).count()).toBe(0);

    // Try a context, on the unsaved draft.
    const context = page.getByLabel('Context (JSON)');
    await context.fill('{"targetingKey": "u-beta"}');
    await expect.poll(() => shown(page)).toEqual({ value: 'true', variant: 'on', reason: 'TARGETING_MATCH' });
    await context.fill('{"targetingKey": ');
    await expect.poll(() => page.getByTestId('try-error').textContent()).toContain('not JSON');
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('save-status').textContent(), { timeout: 15_000 }).toMatch(/Saved/);
    const saved = await s.admin.ok<Record<string, unknown>>('GET', `${E}/flags/checkout`);
    expect(saved.rules).toEqual([
      expect.objectContaining({
        description: 'beta testers',
        conditions: [{ attribute: '', op: 'inSegment', values: ['beta'] }],
        serve: { variant: 'on' },
      }),
    ]);
    expect(saved.defaultRule).toEqual({
      split: [
        { variant: 'on', weight: 30_000 },
        { variant: 'off', weight: 70_000 },
      ],
    });

    // The browser's answers equal the server's preview of the saved config.
    const reasons = new Set<string>();
    const variants = new Set<string>();
    for (const ctx of [
      { targetingKey: 'u-beta' },
      ...Array.from({ length: 8 }, (_, i) => ({ targetingKey: `user-${i}` })),
      { plan: 'pro' },
    ]) {
      await context.fill(JSON.stringify(ctx));
      const server = await s.admin.ok<Preview>('POST', `${E}/flags/checkout/preview`, { context: ctx });
      const r = server.explanation.result;
      await expect
        .poll(() => shown(page))
        .toEqual({
          value: r.value === undefined ? '(none)' : JSON.stringify(r.value),
          variant: r.variant ?? '(none)',
          reason: r.reason,
        });
      reasons.add(r.reason);
      if (r.variant) variants.add(r.variant);
    }
    // The contexts reached the rule, both slices of the split and the missing-key error.
    expect([...reasons].sort()).toEqual(['ERROR', 'SPLIT', 'TARGETING_MATCH']);
    expect([...variants].sort()).toEqual(['off', 'on']);
    const ms = Number(await page.getByTestId('try-context-output').getAttribute('data-eval-ms'));
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(16);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the API’s problems at the fields their paths name', async () => {
    await s.admin.setUpBooleanFlag('web', 'dev', 'banner');
    const E = '/projects/web/environments/dev';
    const current = await s.admin.ok<{ version: number }>('GET', `${E}/flags/banner`);
    await s.admin.ok('PUT', `${E}/flags/banner`, {
      enabled: true,
      offVariant: 'off',
      prerequisites: [],
      targets: [],
      rules: [],
      defaultRule: {
        split: [
          { variant: 'on', weight: 30_000 },
          { variant: 'off', weight: 70_000 },
        ],
      },
      version: current.version,
    });
    const token = await s.mintKey({ name: 'laptop2', owner: 'ed2@example.com', role: 'editor' });
    const page = await browser.newPage();
    await signIn(page, s.consoleUrl, token);
    await page.goto(`${s.consoleUrl}${E}/flags/banner`);
    const def = page.getByRole('group', { name: 'Default rule serves' });
    await def.getByLabel('Slice 2 percent').fill('60');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('invalid-summary').count(), { timeout: 15_000 }).toBe(1);
    const problem = page.locator('[id="field-defaultRule.split-problem"]');
    expect(await problem.textContent()).toContain('weights sum to 90000, expected 100000');
    const group = page.locator('[id="field-defaultRule.split"]');
    expect(await group.getAttribute('aria-describedby')).toContain('field-defaultRule.split-problem');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.close();
  });
});
