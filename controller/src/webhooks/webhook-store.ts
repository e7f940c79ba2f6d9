/** Webhook subscriptions: where rollout events are delivered, signed with a per-hook secret. */
export interface WebhookRecord {
  id: number;
  url: string;
  /**
   * HMAC-SHA256 key for the signature header, as stored: sealed by secret-box.ts (AES-256-GCM).
   * The plaintext is shown once, at creation, and opened again only by the delivery worker.
   */
  secret: string;
  events: string[];
  createdBy: string;
  createdAt: string;
}

export interface WebhookStore {
  insert(w: Omit<WebhookRecord, 'id'>): Promise<number>;
  get(id: number): Promise<WebhookRecord | undefined>;
  list(): Promise<WebhookRecord[]>;
  delete(id: number): Promise<boolean>;
  /** Replaces a stored secret (sealing legacy plaintext rows). */
  setSecret(id: number, secret: string): Promise<void>;
}

/** One queued-to-be-queued delivery: a row of `webhook_outbox`. */
export interface WebhookOutboxRow {
  /** The delivery id (UUID). */
  id: string;
  webhookId: number;
  event: string;
  payload: Record<string, unknown>;
  createdAt: string;
}

/** The webhook outbox: written in the causing transaction, drained by the workers. */
export interface WebhookOutboxStore {
  append(row: WebhookOutboxRow): Promise<void>;
  /** Oldest first. */
  list(limit: number): Promise<WebhookOutboxRow[]>;
  delete(ids: readonly string[]): Promise<number>;
}
