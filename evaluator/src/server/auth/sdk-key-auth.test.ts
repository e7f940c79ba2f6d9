import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../propagation/index.ts';
import { SdkKeyAuth, type KeyDirectory, type KeyedRequest } from './sdk-key-auth.ts';

/** A directory of raw keys -> environment (a `client:` prefix: a client key) that counts its lookups. */
function directory(keys: Record<string, string>, ready = true): KeyDirectory & { lookups: number; ready: boolean } {
  const byHash = new Map(
    Object.entries(keys).map(([k, env]) => [
      hashApiKey(k),
      { environment: env.replace(/^client:/, ''), client: env.startsWith('client:') },
    ]),
  );
  const d = {
    lookups: 0,
    ready,
    grantOfKeyHash(hash: string) {
      d.lookups++;
      return byHash.get(hash);
    },
    isReady() {
      return d.ready;
    },
  };
  return d;
}

const request = (headers: Record<string, string>): KeyedRequest => ({ headers, sdkKey: '', clientKey: false });

describe('SdkKeyAuth', () => {
  it('takes the key from Authorization: Bearer (any case), else X-API-Key, and records it', () => {
    const auth = new SdkKeyAuth(directory({ k1: 'prod' }));
    const bearer = request({ authorization: 'Bearer k1' });
    expect(auth.authenticate(bearer)).toBe('prod');
    expect(bearer.sdkKey).toBe('k1');
    expect(auth.authenticate(request({ authorization: 'bEaReR  k1 ' }))).toBe('prod');
    expect(auth.authenticate(request({ 'x-api-key': ' k1' }))).toBe('prod');
  });

  it('answers 401 without a usable key; an Authorization header that is not Bearer is not passed over for X-API-Key', () => {
    const auth = new SdkKeyAuth(directory({ k1: 'prod' }));
    expect(auth.authenticate(request({}))).toBe(401);
    expect(auth.authenticate(request({ authorization: 'Bearer ' }))).toBe(401);
    expect(auth.authenticate(request({ authorization: 'Basic azE=', 'x-api-key': 'k1' }))).toBe(401);
    expect(auth.authenticate(request({ authorization: 'Bearer other' }))).toBe(401);
  });

  it('answers 503 for an unknown key while the snapshots are not loaded', () => {
    const keys = directory({}, false);
    const auth = new SdkKeyAuth(keys);
    expect(auth.authenticate(request({ authorization: 'Bearer k1' }))).toBe(503);
    keys.ready = true;
    expect(auth.authenticate(request({ authorization: 'Bearer k1' }))).toBe(401);
  });

  it('marks a client key on the request, from the cache too, and an SDK key as not one', () => {
    const auth = new SdkKeyAuth(directory({ c1: 'client:prod', k1: 'prod' }));
    for (let i = 0; i < 2; i++) {
      const client = request({ authorization: 'Bearer c1' });
      expect(auth.authenticate(client)).toBe('prod');
      expect(client.clientKey).toBe(true);
      const sdk = request({ authorization: 'Bearer k1' });
      sdk.clientKey = true; // a reused request object is overwritten, not left as it was
      expect(auth.authenticate(sdk)).toBe('prod');
      expect(sdk.clientKey).toBe(false);
    }
  });

  it('looks a key up once until cleared (every swap clears it, so a revoked key stops at once)', () => {
    const keys = directory({ k1: 'prod' });
    const auth = new SdkKeyAuth(keys);
    for (let i = 0; i < 5; i++) expect(auth.authenticate(request({ authorization: 'Bearer k1' }))).toBe('prod');
    expect(keys.lookups).toBe(1);
    auth.clear();
    expect(auth.authenticate(request({ authorization: 'Bearer k1' }))).toBe('prod');
    expect(keys.lookups).toBe(2);
  });
});
