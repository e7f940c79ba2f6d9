import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityViolations, launchChromium, signIn } from '../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../test-support/console-stack.ts';

/** Buttons that change nothing: navigation, signing out, a dry run, a download. */
const HARMLESS = /^(Sign out|Dry run|Download\b|Skip to content)/;

/** The visible controls of the page a person could use (enabled buttons, inputs, selects, textareas). */
async function enabledControls(page: Page): Promise<{ buttons: string[]; fields: string[] }> {
  const found = await page.evaluate(`(() => {
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) && !el.closest('dialog:not([open])');
    const name = (el) => (el.getAttribute('aria-label') || el.textContent || el.value || el.id || el.name || el.tagName).trim();
    const buttons = [...document.querySelectorAll('button:not([disabled]), input[type=submit]:not([disabled]), input[type=button]:not([disabled])')]
      .filter(visible).map(name);
    const fields = [...document.querySelectorAll('main input:not([disabled]):not([type=hidden]):not([type=submit]):not([type=button]), main textarea:not([disabled]), main select:not([disabled])')]
      .filter(visible).map((el) => el.id || el.name || el.tagName);
    return { buttons, fields };
  })()`);
  return found as { buttons: string[]; fields: string[] };
}

describe('a viewer key sees no enabled edit controls (Chromium, real stack)', () => {
  let s: ConsoleStack;
  let browser: Browser;
  beforeAll(async () => {
    s = await startConsoleStack();
    browser = await launchChromium();
    await s.admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'dev', name: 'Development' });
    await new Promise((r) => setTimeout(r, 150));
    await s.admin.ok('POST', '/projects/shop/flags', {
      key: 'checkout',
      type: 'boolean',
      variants: { on: true, off: false },
    });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  const pages = ['/projects', '/projects/shop/environments/dev/flags-as-code', '/api-keys'];

  it('on the projects, flags-as-code and API keys pages', async () => {
    const token = await s.mintKey({ name: 'reader', owner: 'vic@example.com', role: 'viewer' });
    const page = await browser.newPage();
    await signIn(page, s.consoleUrl, token);
    for (const path of pages) {
      await page.goto(`${s.consoleUrl}${path}`);
      expect(await page.getByRole('heading', { level: 1 }).count(), path).toBe(1);
      const { buttons, fields } = await enabledControls(page);
      expect(
        buttons.filter((b) => !HARMLESS.test(b)),
        `enabled buttons on ${path}`,
      ).toEqual([]);
      if (path.includes('flags-as-code')) expect(fields, `enabled fields on ${path}`).toEqual([]);
      expect(await accessibilityViolations(page), path).toEqual([]);
    }
    // The pages did render for the viewer: the export is there, the key page says why it is empty.
    await page.goto(`${s.consoleUrl}/projects/shop/environments/dev/flags-as-code`);
    expect(await page.getByRole('link', { name: 'Download YAML' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Apply import' }).isDisabled()).toBe(true);
    await page.goto(`${s.consoleUrl}/api-keys`);
    expect(await page.getByText('needs an admin key').count()).toBe(1);
    await page.close();
  });

  it('while an admin key on the same pages does get enabled controls (the check can see them)', async () => {
    const token = await s.mintKey({ name: 'boss', owner: 'ada@example.com', role: 'admin' });
    const page = await browser.newPage();
    await signIn(page, s.consoleUrl, token);
    await page.goto(`${s.consoleUrl}/projects/shop/environments/dev/flags-as-code`);
    expect((await enabledControls(page)).fields).toContain('import-document');
    await page.goto(`${s.consoleUrl}/api-keys`);
    const { buttons } = await enabledControls(page);
    expect(buttons.filter((b) => !HARMLESS.test(b))).toEqual(expect.arrayContaining(['Create key', 'Revoke boss']));
    await page.close();
  });
});
