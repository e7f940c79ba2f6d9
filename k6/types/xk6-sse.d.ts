/**
 * The xk6-sse extension (github.com/phymbert/xk6-sse): a k6 binary built with it imports
 * `k6/x/sse`. @types/k6 does not cover extensions; this is the part sse-fanout.ts uses.
 */
declare module 'k6/x/sse' {
  export interface SseEvent {
    id: string;
    name: string;
    data: string;
  }
  export interface SseClient {
    on(event: 'open', handler: () => void): void;
    on(event: 'event', handler: (e: SseEvent) => void): void;
    on(event: 'error', handler: (e: { error(): string }) => void): void;
    close(): void;
  }
  export interface SseParams {
    method?: string;
    headers?: Record<string, string>;
    tags?: Record<string, string>;
  }
  const sse: {
    open(url: string, params: SseParams, callback: (client: SseClient) => void): { status: number; error?: string };
  };
  export default sse;
}
