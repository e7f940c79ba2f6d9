/**
 * The release manager's day in one chained walk through the console, on the controller's two
 * databases: each step starts from what the previous one left, as a person's session does, and
 * checks what the evaluator serves over OFREP, not only what the page says. The page tests next to
 * each page cover their edge cases; this one proves the pages work together.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../scripts/stack/admin-client.ts';
import { accessibilityViolations, collectPageErrors, launchChromium, signIn } from '../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../test-support/console-stack.ts';

// Rows created in the same millisecond would tie in "newest first" lists.
const pace = () => new Promise((r) => setTimeout(r, 150));

const diffRows = (scope: Locator) =>
  scope
    .locator('table.diff tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));

interface Served {
  status: number;
  value?: unknown;
  variant?: string;
  reason?: string;
}

describe.each(['sqlite', 'mysql'] as const)(
  'a release manager walks through the console (Chromium, %s)',
  (database) => {
    let s: ConsoleStack;
    let browser: Browser;
    const sdk: Record<'dev' | 'prod', string> = { dev: '', prod: '' };
    const tokens = { alice: '', bob: '', ada: '', vera: '' };
    const pages: Page[] = [];
    const errors: string[][] = [];

    async function ofrep(env: 'dev' | 'prod', targetingKey: string): Promise<Served> {
      const r = await fetch(`${s.stack.evaluatorUrls[0]}/ofrep/v1/evaluate/flags/checkout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sdk[env]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ context: { targetingKey } }),
      });
      return { status: r.status, ...((await r.json().catch(() => ({}))) as Omit<Served, 'status'>) };
    }
    const served = (env: 'dev' | 'prod', key: string) => async () => {
      const r = await ofrep(env, key);
      return { variant: r.variant, reason: r.reason };
    };
    const eventually = { timeout: 10_000, interval: 200 };

    async function personPage(token: string): Promise<Page> {
      const page = await (await browser.newContext()).newPage();
      errors.push(collectPageErrors(page));
      pages.push(page);
      await signIn(page, s.consoleUrl, token);
      return page;
    }
    const noViolations = async (page: Page) => expect(await accessibilityViolations(page), page.url()).toEqual([]);

    const DEV = '/projects/shop/environments/dev';
    const PROD = '/projects/shop/environments/prod';
    let alice: Page;

    beforeAll(async () => {
      s = await startConsoleStack({ database });
      browser = await launchChromium();
      // What an administrator set up before the release manager's day: a project, two environments
      // (prod needs approval), a segment, the services' SDK keys and the people's keys.
      await s.admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
      await s.admin.ok('POST', '/projects/shop/environments', { key: 'dev', name: 'Development' });
      await pace();
      await s.admin.ok('POST', '/projects/shop/environments', {
        key: 'prod',
        name: 'Production',
        requireApproval: true,
      });
      await s.admin.ok('POST', `${DEV}/segments`, { key: 'beta', included: ['u-beta'], excluded: [], rules: [] });
      sdk.dev = await s.mintKey({ name: 'web dev', owner: 'web team', role: 'sdk', environments: ['shop.dev'] });
      sdk.prod = await s.mintKey({ name: 'web prod', owner: 'web team', role: 'sdk', environments: ['shop.prod'] });
      tokens.alice = await s.mintKey({ name: 'alice laptop', owner: 'alice@example.com', role: 'approver' });
      tokens.bob = await s.mintKey({ name: 'bob laptop', owner: 'bob@example.com', role: 'approver' });
      tokens.ada = await s.mintKey({ name: 'ada laptop', owner: 'ada@example.com', role: 'admin' });
      tokens.vera = await s.mintKey({ name: 'vera laptop', owner: 'vera@example.com', role: 'viewer' });
    }, 240_000);
    afterAll(async () => {
      await browser?.close();
      await s?.stop();
    });

    it('signs in and creates a flag', async () => {
      alice = await personPage(tokens.alice);
      expect(await alice.getByTestId('who-owner').textContent()).toBe('alice@example.com');
      await alice.goto(`${s.consoleUrl}/projects/shop/flags`);
      await alice.getByLabel('Key', { exact: true }).fill('checkout');
      await alice.getByLabel('Description', { exact: true }).fill('The new checkout');
      await alice.getByLabel('Type').selectOption('string');
      await alice.getByLabel('Variant 1 name').fill('off');
      await alice.getByLabel('Variant 1 value').fill('classic');
      await alice.getByLabel('Variant 2 name').fill('on');
      await alice.getByLabel('Variant 2 value').fill('new');
      await noViolations(alice);
      await alice.getByRole('button', { name: 'Create flag' }).click();
      await alice.waitForURL(`${s.consoleUrl}${DEV}/flags/checkout`);
      expect(await s.admin.ok('GET', '/projects/shop/flags/checkout')).toMatchObject({
        key: 'checkout',
        variants: { off: 'classic', on: 'new' },
      });
      // A new flag is off everywhere: it serves its off variant.
      await expect.poll(served('dev', 'anyone'), eventually).toEqual({ variant: 'off', reason: 'DISABLED' });
    });

    it('builds a rule with a segment and a 30/70 split, tries a context, saves, and the evaluator serves it', async () => {
      await alice.goto(`${s.consoleUrl}${DEV}/flags/checkout`);
      await alice.getByLabel('Enabled in Development').check();
      await alice.getByRole('button', { name: 'Add a rule' }).click();
      const rule = alice.getByRole('group', { name: 'Rule 1', exact: true });
      const condition = rule.getByRole('group', { name: 'Rule 1 condition 1' });
      await condition.getByLabel('Operator').selectOption('inSegment');
      await condition.getByRole('checkbox', { name: 'beta' }).check();
      await rule.getByLabel('Rule 1 serves: variant').selectOption('on');
      const def = alice.getByRole('group', { name: 'Default rule serves' });
      await def.getByLabel('A percentage split').check();
      await def.getByLabel('Slice 1 variant').selectOption('on');
      await def.getByLabel('Slice 2 variant').selectOption('off');
      await def.getByLabel('Slice 1 percent').fill('30');
      await def.getByLabel('Slice 2 percent').fill('70');
      await expect.poll(() => def.getByTestId('split-total').textContent()).toBe('Total: 100%');

      // Try a context on the unsaved draft: the segment member matches the rule.
      const out = alice.getByTestId('try-context-output');
      await alice.getByLabel('Context (JSON)').fill('{"targetingKey": "u-beta"}');
      await expect.poll(() => out.getByTestId('try-variant').textContent()).toBe('on');
      expect(await out.getByTestId('try-reason').textContent()).toContain('TARGETING_MATCH');
      await noViolations(alice);

      await alice.getByRole('button', { name: 'Save', exact: true }).click();
      await expect.poll(() => alice.getByTestId('save-status').textContent()).toBe('Saved (version 2).');
      expect(await s.admin.ok('GET', `${DEV}/flags/checkout`)).toMatchObject({
        version: 2,
        enabled: true,
        rules: [{ conditions: [{ op: 'inSegment', values: ['beta'] }], serve: { variant: 'on' } }],
        defaultRule: {
          split: [
            { variant: 'on', weight: 30_000 },
            { variant: 'off', weight: 70_000 },
          ],
        },
      });
      await expect.poll(served('dev', 'u-beta'), eventually).toEqual({ variant: 'on', reason: 'TARGETING_MATCH' });
      // Everyone else is split: out of 200 keys, about 30% get "on".
      const on = (await Promise.all(Array.from({ length: 200 }, (_, i) => ofrep('dev', `user-${i}`)))).filter(
        (r) => r.reason === 'SPLIT' && r.variant === 'on',
      ).length;
      expect(on).toBeGreaterThan(30);
      expect(on).toBeLessThan(90);
    });

    it('a stale save shows the conflict, and the edit is reapplied on top', async () => {
      await alice.goto(`${s.consoleUrl}${DEV}/flags/checkout`);
      await alice.getByRole('group', { name: 'Default rule serves' }).getByLabel('Slice 1 percent').fill('40');
      await alice.getByRole('group', { name: 'Default rule serves' }).getByLabel('Slice 2 percent').fill('60');
      // Meanwhile someone else saves version 3: the QA account always gets "on".
      const current = await s.admin.ok<Record<string, unknown>>('GET', `${DEV}/flags/checkout`);
      await s.admin.ok('PUT', `${DEV}/flags/checkout`, { ...current, targets: [{ variant: 'on', values: ['qa'] }] });
      await alice.getByRole('button', { name: 'Save', exact: true }).click();
      await alice.getByTestId('conflict').waitFor();
      const meanwhile = alice.getByRole('table', { name: /Changed meanwhile/ });
      expect(await meanwhile.getByRole('cell', { name: '/targets/0' }).count()).toBe(1);
      await noViolations(alice);
      expect((await s.admin.ok<{ version: number }>('GET', `${DEV}/flags/checkout`)).version).toBe(3);
      await alice.getByRole('button', { name: 'Reapply my edit on top' }).click();
      await expect.poll(() => alice.getByTestId('save-status').textContent()).toContain('reapplied on version 3');
      await alice.getByRole('button', { name: 'Save', exact: true }).click();
      await expect.poll(() => alice.getByTestId('save-status').textContent()).toBe('Saved (version 4).');
      expect(await s.admin.ok('GET', `${DEV}/flags/checkout`)).toMatchObject({
        version: 4,
        targets: [{ variant: 'on', values: ['qa'] }],
        defaultRule: {
          split: [
            { variant: 'on', weight: 40_000 },
            { variant: 'off', weight: 60_000 },
          ],
        },
      });
      await expect.poll(served('dev', 'qa'), eventually).toEqual({ variant: 'on', reason: 'TARGETING_MATCH' });
    });

    it('in the approval environment: one key files, cannot approve; another approves, and it is served', async () => {
      await alice.goto(`${s.consoleUrl}${PROD}/flags/checkout`);
      expect(await alice.getByTestId('approval-badge').textContent()).toBe('changes need approval');
      await alice.getByLabel('Enabled in Production').check();
      await alice
        .getByRole('group', { name: 'Default rule serves' })
        .getByLabel('Default rule serves: variant')
        .selectOption('on');
      await alice.getByLabel('Comment for the approver').fill('launch the new checkout');
      await alice.getByRole('button', { name: 'File change request' }).click();
      const link = alice.getByTestId('save-status').getByRole('link');
      await link.waitFor();
      const href = (await link.getAttribute('href'))!;
      const id = /\/change-requests\/([^/]+)$/.exec(href)![1]!;
      expect((await s.admin.ok<{ version: number }>('GET', `${PROD}/flags/checkout`)).version).toBe(1);

      await link.click();
      await alice.waitForURL(`${s.consoleUrl}${PROD}/change-requests/${id}`);
      expect(await alice.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
      const self = await new AdminClient(s.stack.apiUrl, tokens.alice).request<{ error: { code: string } }>(
        'POST',
        `${PROD}/change-requests/${id}/approve`,
        {},
      );
      expect([self.status, self.body.error.code]).toEqual([403, 'SELF_APPROVAL']);
      await expect.poll(served('prod', 'anyone'), eventually).toEqual({ variant: 'off', reason: 'DISABLED' });

      const bob = await personPage(tokens.bob);
      await bob.goto(`${s.consoleUrl}${PROD}/change-requests/${id}`);
      await noViolations(bob);
      await bob.getByLabel('Comment (approve)').fill('go');
      await bob.getByRole('button', { name: 'Approve' }).click();
      await expect.poll(() => bob.getByTestId('cr-status').textContent(), eventually).toContain('applied');
      await expect.poll(served('prod', 'anyone'), eventually).toEqual({ variant: 'on', reason: 'STATIC' });
    });

    it('the kill switch, confirmed with a reason and the environment typed out, makes the evaluator answer DISABLED', async () => {
      await alice.goto(`${s.consoleUrl}${PROD}/flags/checkout`);
      await alice.getByRole('button', { name: 'Turn off (kill switch)' }).click();
      const dialog = alice.getByRole('alertdialog');
      await dialog.getByLabel('Reason').fill('payment errors after launch');
      const confirm = dialog.getByRole('button', { name: 'Turn off' });
      expect(await confirm.isDisabled()).toBe(true); // not before the name is typed
      await dialog.getByLabel(/Type Production to confirm/).fill('Production');
      await noViolations(alice);
      await confirm.click();
      await expect.poll(served('prod', 'anyone'), eventually).toEqual({ variant: 'off', reason: 'DISABLED' });
      expect((await s.admin.ok<{ enabled: boolean }>('GET', `${PROD}/flags/checkout`)).enabled).toBe(false);
    });

    it('the audit log shows who did it, why, and only what changed', async () => {
      await alice.goto(`${s.consoleUrl}/audit?flag=checkout&environment=shop.prod`);
      const entries = alice.getByTestId('audit-entry');
      await expect.poll(() => entries.count()).toBeGreaterThanOrEqual(2);
      const kill = entries.first(); // newest first
      expect(await kill.getByTestId('audit-who').textContent()).toContain('alice@example.com');
      expect(await kill.getByTestId('audit-why').textContent()).toContain('payment errors after launch');
      const rows = await diffRows(kill);
      expect(rows).toContainEqual(['/enabled', 'true', 'false']);
      // Only what changed: the rules and the default rule did not.
      expect(rows.map((r) => r[0])).not.toContain('/defaultRule/variant');
      await noViolations(alice);
    });

    it('an admin creates a key (shown once) and revokes it', async () => {
      const ada = await personPage(tokens.ada);
      await ada.goto(`${s.consoleUrl}/api-keys`);
      await ada.getByLabel('Name', { exact: true }).fill('release bot');
      await ada.getByLabel(/^Owner/).fill('bots@example.com');
      await ada.getByLabel('Role').selectOption('editor');
      await ada.getByRole('button', { name: 'Create key' }).click();
      const token = await ada.getByLabel('Token of the new key').inputValue();
      const me = () => new AdminClient(s.stack.apiUrl, token).request('GET', '/me');
      expect((await me()).status).toBe(200);
      await ada.reload();
      expect(await ada.content()).not.toContain(token);
      await ada.getByRole('button', { name: 'Revoke release bot' }).click();
      await ada.getByRole('alertdialog').getByRole('button', { name: 'Revoke key' }).click();
      await expect
        .poll(() => ada.locator('tbody tr', { hasText: 'bots@example.com' }).textContent())
        .toContain('revoked');
      expect((await me()).status).toBe(401);
    });

    it("an import's dry run shows the diff, writes nothing, and applying it works", async () => {
      const ada = pages.at(-1)!;
      const doc = await s.admin.ok<{ flags: Record<string, unknown> }>('GET', `${DEV}/export?format=json`);
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
      await ada.goto(`${s.consoleUrl}${DEV}/flags-as-code`);
      await ada.getByLabel('Document (YAML or JSON)').fill(JSON.stringify(doc, null, 2));
      await ada.getByRole('button', { name: 'Dry run' }).click();
      await expect.poll(() => ada.locator('tr[data-change]').count()).toBe(1);
      expect(await ada.locator('tr[data-change="created"]').textContent()).toContain('new-nav');
      expect((await s.admin.request('GET', '/projects/shop/flags/new-nav')).status).toBe(404);
      await noViolations(ada);
      await ada.getByRole('button', { name: 'Apply import' }).click();
      await ada.getByRole('alertdialog').getByRole('button', { name: 'Apply import' }).click();
      await expect.poll(() => ada.getByRole('status').filter({ hasText: 'Imported into' }).count(), eventually).toBe(1);
      expect(await s.admin.ok('GET', `${DEV}/flags/new-nav`)).toMatchObject({
        enabled: true,
        defaultRule: { variant: 'on' },
      });
    });

    it('a viewer key sees what was done, with no enabled edit control', async () => {
      const vera = await personPage(tokens.vera);
      await vera.goto(`${s.consoleUrl}${DEV}/flags/checkout`);
      expect(await vera.getByTestId('read-only').textContent()).toContain('read-only');
      for (const control of [
        vera.getByLabel('Enabled in Development'),
        vera.getByRole('button', { name: 'Add a rule' }),
        vera.getByRole('button', { name: 'Save', exact: true }),
        vera.getByRole('button', { name: 'Turn off (kill switch)' }),
        vera.getByRole('group', { name: 'Default rule serves' }).getByLabel('Slice 1 percent'),
      ])
        expect(await control.isDisabled()).toBe(true);
      expect(
        await vera.getByRole('group', { name: 'Default rule serves' }).getByLabel('Slice 1 percent').inputValue(),
      ).toBe('40');
      await vera.goto(`${s.consoleUrl}/projects/shop/flags`);
      expect(await vera.getByRole('button', { name: 'Create flag' }).isDisabled()).toBe(true);
      await noViolations(vera);
      // Nobody's page threw or broke its CSP along the way.
      expect(errors.flat()).toEqual([]);
    });
  },
);
