/**
 * Seeding for the console benchmark and the screenshot script, through the admin API as a person
 * (or CI) would: projects and environments by POST, flags and segments by one flags-as-code
 * import into `dev` (docs/api.md "Flags-as-code").
 */
import type { AdminClient } from '../../scripts/stack/admin-client.ts';

const pace = () => new Promise((r) => setTimeout(r, 150));

/** A deterministic 32-hex-digit salt (the import would generate one; fixed keeps runs comparable). */
function salt(i: number): string {
  return (i.toString(16).padStart(8, '0') + '9b7d4e2f8a6c1b0d9e8f7a6b').padEnd(32, '0').slice(0, 32);
}

const TEAMS = ['checkout', 'search', 'growth', 'platform', 'mobile', 'payments', 'onboarding', 'ads'];

/** Flag `i` of a generated project: mostly plain on/off flags, every 10th with rules, segments and a split. */
export function generatedFlag(i: number): Record<string, unknown> {
  const team = TEAMS[i % TEAMS.length]!;
  const key = `${team}-flag-${String(i).padStart(5, '0')}`;
  const rich = i % 10 === 0;
  return {
    key,
    type: 'boolean',
    description: `Generated flag ${i} of the ${team} team`,
    tags: [team, ...(rich ? ['experiment'] : [])],
    variants: { on: true, off: false },
    salt: salt(i),
    config: {
      enabled: i % 3 !== 0,
      offVariant: 'off',
      prerequisites: [],
      targets: rich ? [{ variant: 'on', values: [`qa-${i}`] }] : [],
      rules: rich
        ? [
            {
              id: 'beta',
              description: 'Beta testers get it',
              conditions: [{ attribute: '', op: 'inSegment', values: ['beta-testers'] }],
              serve: { variant: 'on' },
            },
            {
              id: 'pro-split',
              conditions: [
                { attribute: 'plan', op: 'in', values: ['pro', 'enterprise'] },
                { attribute: 'country', op: 'notIn', values: ['XX'] },
              ],
              serve: {
                split: [
                  { variant: 'on', weight: 25_000 },
                  { variant: 'off', weight: 75_000 },
                ],
              },
            },
          ]
        : [],
      defaultRule: { variant: 'off' },
    },
  };
}

/**
 * Creates `project` with `dev` and `prod` (prod with `requireApproval` when asked) and imports
 * `count` generated flags and two segments into dev. Returns the flag keys in import order.
 */
export async function seedGeneratedProject(
  admin: AdminClient,
  project: string,
  count: number,
  o: { requireApproval?: boolean } = {},
): Promise<string[]> {
  await admin.ok('POST', '/projects', { key: project, name: `${project} (${count} flags)` });
  await admin.ok('POST', `/projects/${project}/environments`, { key: 'dev', name: 'Development' });
  await admin.ok('POST', `/projects/${project}/environments`, {
    key: 'prod',
    name: 'Production',
    requireApproval: o.requireApproval ?? false,
  });
  await pace();
  const flags: Record<string, unknown> = {};
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const { key, ...rest } = generatedFlag(i);
    flags[key as string] = rest;
    keys.push(key as string);
  }
  const doc = {
    format: 'flagship/v1',
    environment: `${project}.dev`,
    flags,
    segments: {
      'beta-testers': { description: 'People who asked for early access', included: ['u1', 'u2', 'u3'], excluded: [] },
      internal: { rules: [{ conditions: [{ attribute: 'email', op: 'endsWith', values: ['@example.com'] }] }] },
    },
  };
  const r = await fetch(`${admin.apiUrl}/projects/${project}/environments/dev/import?dryRun=false`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminTokenOf(admin)}`, 'content-type': 'application/json' },
    body: JSON.stringify(doc),
    signal: AbortSignal.timeout(300_000),
  });
  if (!r.ok) throw new Error(`import into ${project}.dev -> ${r.status} ${(await r.text()).slice(0, 2000)}`);
  await pace();
  return keys;
}

/** The admin client's token (the client keeps it private; imports need a longer timeout than it allows). */
function adminTokenOf(admin: AdminClient): string {
  return (admin as unknown as { token: string }).token;
}

/** The "shop" project of the screenshots: a few realistic flags, segments, history and a pending change request. */
export async function seedShop(
  admin: AdminClient,
  mintKey: (o: { name: string; owner: string; role: string }) => Promise<string>,
): Promise<{ pendingChangeRequestId: number | undefined }> {
  const { AdminClient: Client } = await import('../../scripts/stack/admin-client.ts');
  await admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
  await admin.ok('POST', `/projects/shop/environments`, { key: 'dev', name: 'Development' });
  await admin.ok('POST', `/projects/shop/environments`, { key: 'prod', name: 'Production', requireApproval: true });
  await pace();
  const config = (c: Record<string, unknown>) => ({
    enabled: true,
    offVariant: 'off',
    prerequisites: [],
    targets: [],
    rules: [],
    defaultRule: { variant: 'off' },
    ...c,
  });
  const doc = {
    format: 'flagship/v1',
    environment: 'shop.dev',
    flags: {
      'checkout-v2': {
        type: 'boolean',
        description: 'The new one-page checkout',
        tags: ['checkout'],
        variants: { on: true, off: false },
        config: config({
          targets: [{ variant: 'on', values: ['qa-user'] }],
          rules: [
            {
              id: 'beta',
              description: 'Beta testers first',
              conditions: [{ attribute: '', op: 'inSegment', values: ['beta-testers'] }],
              serve: { variant: 'on' },
            },
            {
              id: 'pro-users',
              description: 'A quarter of pro users in Germany and Austria',
              conditions: [
                { attribute: 'plan', op: 'in', values: ['pro'] },
                { attribute: 'country', op: 'in', values: ['DE', 'AT'] },
              ],
              serve: {
                split: [
                  { variant: 'on', weight: 25_000 },
                  { variant: 'off', weight: 75_000 },
                ],
              },
            },
          ],
        }),
      },
      'search-ranking': {
        type: 'string',
        description: 'Which ranking model answers search',
        tags: ['search', 'experiment'],
        variants: { classic: 'bm25', neural: 'neural-v3', hybrid: 'hybrid-v1' },
        config: config({
          offVariant: 'classic',
          defaultRule: {
            split: [
              { variant: 'classic', weight: 50_000 },
              { variant: 'neural', weight: 30_000 },
              { variant: 'hybrid', weight: 20_000 },
            ],
          },
        }),
      },
      'free-shipping-threshold': {
        type: 'number',
        description: 'Order value (EUR) from which shipping is free',
        tags: ['checkout', 'pricing'],
        variants: { low: 29, standard: 49, off: 0 },
        config: config({
          rules: [
            {
              id: 'internal',
              conditions: [{ attribute: '', op: 'inSegment', values: ['internal'] }],
              serve: { variant: 'low' },
            },
          ],
          defaultRule: { variant: 'standard' },
        }),
      },
      'new-navigation': {
        type: 'boolean',
        description: 'The redesigned top navigation',
        tags: ['web'],
        variants: { on: true, off: false },
        config: config({ enabled: false }),
      },
      banner: {
        type: 'object',
        description: 'The home page banner',
        tags: ['marketing'],
        variants: {
          none: { show: false },
          winter: { show: true, text: 'Winter sale: 20% off', color: '#0a5' },
        },
        config: config({ offVariant: 'none', defaultRule: { variant: 'winter' } }),
      },
    },
    segments: {
      'beta-testers': {
        description: 'People who asked for early access',
        included: ['u1', 'u2', 'rita'],
        excluded: ['u9'],
        rules: [{ conditions: [{ attribute: 'email', op: 'endsWith', values: ['@beta.example.com'] }] }],
      },
      internal: {
        description: 'Staff accounts',
        rules: [{ conditions: [{ attribute: 'email', op: 'endsWith', values: ['@example.com'] }] }],
      },
    },
  };
  await admin.ok('POST', '/projects/shop/environments/dev/import?dryRun=false', doc);
  await pace();

  // History: an editor changes dev twice; a prod change is filed and approved by another person.
  const bob = new Client(admin.apiUrl, await mintKey({ name: 'laptop', owner: 'bob@example.com', role: 'editor' }));
  const carol = new Client(
    admin.apiUrl,
    await mintKey({ name: 'laptop', owner: 'carol@example.com', role: 'approver' }),
  );
  const path = '/projects/shop/environments/dev/flags/new-navigation';
  let cur = await bob.ok<Record<string, unknown> & { version: number }>('GET', path);
  await bob.ok('PUT', path, { ...cur, enabled: true, defaultRule: { variant: 'on' } });
  await pace();
  cur = await bob.ok<Record<string, unknown> & { version: number }>('GET', path);
  await bob.ok('PUT', path, {
    ...cur,
    targets: [{ variant: 'off', values: ['screen-reader-tester'] }],
  });
  await pace();
  const prodPath = '/projects/shop/environments/prod/flags/search-ranking';
  const prod = await bob.ok<Record<string, unknown> & { version: number }>('GET', prodPath);
  const { version: _v, ...prodConfig } = prod;
  const first = await bob.ok<{ id: number }>('POST', '/projects/shop/environments/prod/change-requests', {
    flag: 'search-ranking',
    baseVersion: prod.version,
    comment: 'turn on the classic ranking in prod',
    config: { ...prodConfig, enabled: true, defaultRule: { variant: 'classic' } },
  });
  await carol.ok('POST', `/projects/shop/environments/prod/change-requests/${first.id}/approve`, { comment: 'lgtm' });
  await pace();
  // A pending one: checkout-v2 for beta testers in prod.
  const co = await bob.ok<Record<string, unknown> & { version: number }>(
    'GET',
    '/projects/shop/environments/prod/flags/checkout-v2',
  );
  const { version: _w, ...coConfig } = co;
  let pendingChangeRequestId: number | undefined;
  try {
    const pending = await bob.ok<{ id: number }>('POST', '/projects/shop/environments/prod/change-requests', {
      flag: 'checkout-v2',
      baseVersion: co.version,
      comment: 'launch checkout v2 to the beta testers and qa',
      config: {
        ...coConfig,
        enabled: true,
        targets: [{ variant: 'on', values: ['qa-user'] }],
        rules: [],
        defaultRule: { variant: 'off' },
      },
    });
    pendingChangeRequestId = pending.id;
  } catch (error) {
    console.log(`seed: the pending change request was refused: ${(error as Error).message}`);
  }
  return { pendingChangeRequestId };
}
