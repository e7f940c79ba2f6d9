/**
 * The official OpenFeature client against a real evaluator: @openfeature/server-sdk with
 * @openfeature/ofrep-provider 0.1.3, unchanged, resolving every flag type and observing every
 * error code the way an application would (evaluation details, never an exception).
 *
 * What provider 0.1.3 does (read from its source): one POST per evaluation (no bulk, no
 * polling, no eventStreams); 400/404/500 bodies mapped to errors by errorCode; TYPE_MISMATCH
 * detected client-side by comparing typeof value with the default (OFREP sends no expected
 * type); 401/403/429 thrown as provider errors, reported as GENERAL.
 */
import { OpenFeature, type Client } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluatorServer, type EvaluatorServer } from './evaluator-server.ts';
import { silentLogger } from './logger.ts';
import { redisFixture, tempDataDir, typesSnapshot, type RedisFixture } from './test-support.ts';

let fx: RedisFixture;
let data: { dir: string; remove(): Promise<void> };
let server: EvaluatorServer;
let client: Client;

beforeAll(async () => {
  fx = await redisFixture();
  data = await tempDataDir();
  await fx.publish(typesSnapshot('prod', 12), ['sdk-key-prod']);
  server = createEvaluatorServer({ port: 0, keyPrefix: fx.prefix, dataDir: data.dir }, { logger: silentLogger });
  await server.start();
  await OpenFeature.setProviderAndWait(
    'evaluator',
    new OFREPProvider({ baseUrl: server.url, headers: [['Authorization', 'Bearer sdk-key-prod']] }),
  );
  client = OpenFeature.getClient('evaluator');
});
afterAll(async () => {
  await OpenFeature.close();
  await server.close();
  await fx.cleanup();
  await data.remove();
});

const ctx = { targetingKey: 'user-1', country: 'NL' };

describe('official OpenFeature client over OFREP', () => {
  it('resolves boolean, string, number and object flags with reason, variant and metadata', async () => {
    const bool = await client.getBooleanDetails('bool-flag', false, ctx);
    expect(bool).toMatchObject({ value: true, variant: 'on', reason: 'STATIC' });
    expect(bool.errorCode).toBeUndefined();
    expect(bool.flagMetadata).toEqual({ snapshotVersion: 12, flagVersion: 1, environment: 'prod' });
    expect(await client.getStringDetails('string-flag', 'default', ctx)).toMatchObject({ value: 'on', variant: 'on' });
    expect(await client.getNumberDetails('number-flag', 0, ctx)).toMatchObject({ value: 1.5, variant: 'one' });
    expect(await client.getObjectDetails('object-flag', {}, ctx)).toMatchObject({
      value: { color: 'red', n: [1, 2] },
      variant: 'a',
    });
    expect(await client.getStringDetails('rules-flag', 'default', ctx)).toMatchObject({
      value: 'T',
      reason: 'TARGETING_MATCH',
    });
    expect(await client.getStringDetails('split-flag', 'default', ctx)).toMatchObject({ reason: 'SPLIT' });
    expect(await client.getStringDetails('off-flag', 'default', ctx)).toMatchObject({ value: 'C', reason: 'DISABLED' });
    expect(await client.getBooleanValue('bool-flag', false, ctx)).toBe(true);
  });

  it('reports every error code with the default value', async () => {
    const cases: Array<[string, () => Promise<{ value: unknown; errorCode?: string; reason?: string }>, unknown]> = [
      ['FLAG_NOT_FOUND', () => client.getBooleanDetails('no-such-flag', false, ctx), false],
      ['TYPE_MISMATCH', () => client.getNumberDetails('string-flag', 7, ctx), 7],
      ['TARGETING_KEY_MISSING', () => client.getStringDetails('split-flag', 'dflt', { country: 'NL' }), 'dflt'],
      [
        'INVALID_CONTEXT',
        () => client.getStringDetails('string-flag', 'dflt', { targetingKey: 42 as unknown as string }),
        'dflt',
      ],
      ['GENERAL', () => client.getStringDetails('cycle-a', 'dflt', ctx), 'dflt'],
    ];
    for (const [code, evaluate, fallback] of cases) {
      const details = await evaluate();
      expect(details.errorCode, code).toBe(code);
      expect(details.reason, code).toBe('ERROR');
      expect(details.value, code).toEqual(fallback);
    }
  });

  it('reports an unknown SDK key as an error, not a crash', async () => {
    await OpenFeature.setProviderAndWait(
      'bad-key',
      new OFREPProvider({ baseUrl: server.url, headers: [['Authorization', 'Bearer wrong']] }),
    );
    const details = await OpenFeature.getClient('bad-key').getBooleanDetails('bool-flag', false, ctx);
    expect(details).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'GENERAL' });
  });
});
