import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityViolations, collectPageErrors, launchChromium, signIn } from '../../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../../test-support/console-stack.ts';

// The controller on embedded SQLite and on MariaDB: the console is the same client of both.
describe.each(['sqlite', 'mysql'] as const)('sign-in (Chromium, real stack, %s)', (database) => {
  let s: ConsoleStack;
  let browser: Browser;
  beforeAll(async () => {
    s = await startConsoleStack({ database });
    browser = await launchChromium();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('keeps the key server-side, shows who is signed in, and signs out for real', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const errors = collectPageErrors(page);
    await s.admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
    const token = await s.mintKey({ name: 'laptop', owner: 'rita@example.com', role: 'editor' });
    await page.goto(`${s.consoleUrl}/projects`);
    await page.waitForURL(`${s.consoleUrl}/sign-in`);
    expect(await accessibilityViolations(page)).toEqual([]);
    await signIn(page, s.consoleUrl, token);
    await expect.poll(() => page.getByTestId('who-owner').textContent()).toBe('rita@example.com');
    expect(await page.getByTestId('who-role').textContent()).toBe('editor');
    expect(await page.getByRole('heading', { name: /Shop/ }).count()).toBe(1);
    // The cookie is httpOnly and SameSite=Strict and holds a session id, not the key.
    const [cookie] = await ctx.cookies();
    expect(cookie).toMatchObject({ name: 'flagship_session', httpOnly: true, sameSite: 'Strict' });
    expect(cookie!.value).not.toContain(token);
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.content()).not.toContain(token);
    expect(await accessibilityViolations(page)).toEqual([]);
    // Sign-out ends the session on the server: the old cookie no longer works.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${s.consoleUrl}/sign-in`);
    const replay = await fetch(`${s.consoleUrl}/projects`, {
      headers: { cookie: `flagship_session=${cookie!.value}` },
      redirect: 'manual',
    });
    expect(replay.status).toBe(307);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('refuses an unknown key and an SDK key with a message', async () => {
    const page = await browser.newPage();
    await page.goto(`${s.consoleUrl}/sign-in`);
    await page.getByLabel('API key').fill('fsk_not_a_real_key_000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#sign-in-error').textContent()).toContain('does not know this key');
    await page.close();
  });
});
