/** Webhook subscriptions: where rollout events are delivered, signed with a per-hook secret. */
export interface WebhookRecord {
  id: number;
  url: string;
  /** HMAC-SHA256 key for the signature header. Shown once, at creation. */
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
}
