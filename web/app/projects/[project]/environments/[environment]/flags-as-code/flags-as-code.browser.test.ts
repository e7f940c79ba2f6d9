import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityViolations,
  collectPageErrors,
  launchChromium,
  signIn,
} from '../../../../../../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../../../../../../test-support/console-stack.ts';

interface ExportDoc {
  format: string;
  environment: string;
  flags: Record<string, { config: { enabled: boolean } & Record<string, unknown> } & Record<string, unknown>>;
  segments: Record<string, unknown>;
}

describe('flags-as-code page (Chromium, real stack)', () => {
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

  const pace = () => new Promise((r) => setTimeout(r, 150));
  const exportJson = () => s.admin.ok<ExportDoc>('GET', '/projects/shop/environments/dev/export?format=json');

  it('exports YAML, dry-runs an edited document (nothing written), then applies it', async () => {
    await s.admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'dev', name: 'Development' });
    await pace();
    for (const key of ['checkout', 'old-banner']) {
      await s.admin.ok('POST', '/projects/shop/flags', { key, type: 'boolean', variants: { on: true, off: false } });
      await pace();
    }
    await s.admin.ok('POST', '/projects/shop/environments/dev/segments', {
      key: 'beta',
      included: ['u1'],
      excluded: [],
      rules: [],
    });
    await pace();
    const token = await s.mintKey({ name: 'laptop', owner: 'eve@example.com', role: 'editor' });
    const ctx = await browser.newContext({ acceptDownloads: true });
    const page = await ctx.newPage();
    const errors = collectPageErrors(page);
    await signIn(page, s.consoleUrl, token);
    await page.goto(`${s.consoleUrl}/projects/shop/environments/dev/flags-as-code`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Flags as code');
    expect(await accessibilityViolations(page)).toEqual([]);

    // Export: a YAML attachment named after the environment, holding the flags.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download YAML' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('shop.dev.flags.yaml');
    const yaml = readFileSync(await download.path(), 'utf8');
    expect(yaml).toContain('format: flagship/v1');
    expect(yaml).toMatch(/^ {2}checkout:$/m);
    expect(yaml).toMatch(/^ {2}old-banner:$/m);

    // The export as it is dry-runs as YAML with nothing to change.
    await page.getByLabel('Document (YAML or JSON)').fill(yaml);
    await page.getByRole('button', { name: 'Dry run' }).click();
    await expect
      .poll(() => page.getByTestId('dry-run-summary').textContent())
      .toContain('Flags: 0 created, 0 updated, 0 archived, 2 unchanged');
    expect(await page.getByText('Nothing would change').count()).toBe(1);

    // An edited document: checkout enabled, old-banner left out, new-nav added, beta kept.
    const doc = await exportJson();
    doc.flags.checkout!.config.enabled = !doc.flags.checkout!.config.enabled;
    delete doc.flags['old-banner'];
    doc.flags['new-nav'] = {
      type: 'boolean',
      variants: { on: true, off: false },
      config: {
        enabled: true,
        offVariant: 'off',
        prerequisites: [],
        targets: [],
        rules: [],
        defaultRule: { variant: 'on' },
      },
    };
    await page.getByLabel('Document (YAML or JSON)').fill(JSON.stringify(doc, null, 2));
    // The dry run of the previous text no longer counts.
    expect(await page.getByRole('button', { name: 'Apply import' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Dry run' }).click();
    await expect.poll(() => page.locator('tr[data-change]').count()).toBe(3);
    const rowText = async (change: string) => page.locator(`tr[data-change="${change}"]`).textContent();
    expect(await rowText('created')).toContain('new-nav');
    expect(await rowText('updated')).toContain('checkout');
    expect(await rowText('archived')).toContain('old-banner');
    expect(await page.getByTestId('dry-run-summary').textContent()).toContain(
      'Flags: 1 created, 1 updated, 1 archived, 0 unchanged. Segments: 0 created, 0 updated, 0 deleted, 1 unchanged.',
    );
    // The editor's key has no environment list: the project-wide parts are named as warnings.
    expect(await page.getByRole('note', { name: 'What applying needs' }).textContent()).toContain('old-banner');
    expect(await accessibilityViolations(page)).toEqual([]);
    // Nothing was written by the dry run.
    const before = await exportJson();
    expect(Object.keys(before.flags).sort()).toEqual(['checkout', 'old-banner']);

    // Apply, behind the dialog that says flags not listed are archived.
    await page.getByRole('button', { name: 'Apply import' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('archives 1 flag(s)');
    expect(await accessibilityViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Apply import' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Imported into' }).count()).toBe(1);
    expect(await page.getByTestId('applied-summary').textContent()).toContain(
      'Flags: 1 created, 1 updated, 1 archived',
    );
    const after = await exportJson();
    expect(Object.keys(after.flags).sort()).toEqual(['checkout', 'new-nav']);
    expect(after.flags.checkout!.config.enabled).toBe(doc.flags.checkout!.config.enabled);
    expect(after.flags['new-nav']!.config.enabled).toBe(true);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('shows 422 problems with their paths and a YAML error with its line and column', async () => {
    const token = await s.mintKey({ name: 'laptop 2', owner: 'eve@example.com', role: 'editor' });
    const page = await browser.newPage();
    await signIn(page, s.consoleUrl, token);
    await page.goto(`${s.consoleUrl}/projects/shop/environments/dev/flags-as-code`);
    const doc = await exportJson();
    doc.flags.checkout!.config.offVariant = 'nope';
    await page.getByLabel('Document (YAML or JSON)').fill(JSON.stringify(doc));
    await page.getByRole('button', { name: 'Dry run' }).click();
    const panel = page.getByRole('alert').filter({ hasText: 'The dry run found problems' });
    await expect.poll(() => panel.textContent()).toContain('flags.checkout.config.offVariant');
    expect(await panel.textContent()).toContain('VALIDATION_FAILED');
    expect(await page.getByRole('button', { name: 'Apply import' }).isDisabled()).toBe(true);

    await page.getByLabel('Document (YAML or JSON)').fill('format: flagship/v1\nflags:\n  a: [1, 2\n');
    await page.getByRole('button', { name: 'Dry run' }).click();
    await expect.poll(() => panel.textContent()).toMatch(/line \d+, column \d+/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.close();
  });
});
