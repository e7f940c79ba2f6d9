/**
 * `@flagship/sdk/openfeature`: an OpenFeature server provider over the in-process client
 * (docs/sdk.md, "OpenFeature"). Resolution is the client's synchronous evaluation wrapped in the
 * Promise OpenFeature's API requires; the client's states become provider events:
 * READY, CONFIGURATION_CHANGED (with the changed flag keys), STALE (serving, no evaluator
 * reachable) and ERROR (no snapshot and no evaluator, or the key refused: PROVIDER_FATAL).
 */
import {
  ErrorCode,
  OpenFeatureEventEmitter,
  ProviderEvents,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import type { JsonObject } from '@flagship/evaluator';
import { FlagshipClient, type FlagshipClientOptions } from './flagship-client.ts';

export interface FlagshipProviderOptions {
  /** How long `initialize` waits for an evaluator (default 10 s). With a last-known-good snapshot it then resolves, STALE. */
  initTimeoutMs?: number;
}

export class FlagshipProvider implements Provider {
  readonly metadata = { name: 'flagship' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  /** The client the provider evaluates with (also usable directly, synchronously). */
  readonly client: FlagshipClient;
  private readonly owned: boolean;
  private initialized = false;
  private readonly unsubscribe: Array<() => void> = [];

  /** Takes a client, or the options to make one (then closed with the provider). */
  constructor(
    client: FlagshipClient | FlagshipClientOptions,
    private readonly options: FlagshipProviderOptions = {},
  ) {
    this.owned = !(client instanceof FlagshipClient);
    this.client = client instanceof FlagshipClient ? client : new FlagshipClient(client);
    const c = this.client;
    this.unsubscribe.push(
      c.on('ready', () => {
        if (this.initialized) this.events.emit(ProviderEvents.Ready);
      }),
      c.on('changed', (e) => {
        if (this.initialized) {
          this.events.emit(ProviderEvents.ConfigurationChanged, {
            flagsChanged: e.flagKeys,
            metadata: { snapshotVersion: e.version },
          });
        }
      }),
      c.on('stale', (e) => {
        if (this.initialized) this.events.emit(ProviderEvents.Stale, { message: e.message });
      }),
      c.on('error', (e) => {
        if (this.initialized) {
          this.events.emit(ProviderEvents.Error, {
            message: e.message,
            errorCode: e.fatal ? ErrorCode.PROVIDER_FATAL : ErrorCode.GENERAL,
          });
        }
      }),
    );
  }

  async initialize(): Promise<void> {
    const ready = await this.client.waitForReady(this.options.initTimeoutMs ?? 10_000);
    this.initialized = true;
    if (ready) return;
    if (this.client.version === undefined) {
      throw new Error(
        `no evaluator answered within ${this.options.initTimeoutMs ?? 10_000} ms and no last-known-good snapshot`,
      );
    }
    // Serving the last-known-good file: OpenFeature marks the provider READY when this resolves,
    // then this event says the values may be out of date.
    setTimeout(() => {
      if (this.client.status === 'STALE')
        this.events.emit(ProviderEvents.Stale, { message: 'serving the last-known-good snapshot' });
    }, 0).unref();
  }

  async onClose(): Promise<void> {
    for (const off of this.unsubscribe) off();
    if (this.owned) await this.client.close();
  }

  async resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return this.client.getBooleanDetails(flagKey, defaultValue, context) as ResolutionDetails<boolean>;
  }

  async resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return this.client.getStringDetails(flagKey, defaultValue, context) as ResolutionDetails<string>;
  }

  async resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return this.client.getNumberDetails(flagKey, defaultValue, context) as ResolutionDetails<number>;
  }

  async resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    // Object flags serve JSON objects; a non-object default still comes back on every error.
    return this.client.getObjectDetails(
      flagKey,
      defaultValue as unknown as JsonObject,
      context,
    ) as unknown as ResolutionDetails<T>;
  }
}
