import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse-parser.ts';

function parse(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const p = new SseParser((e) => events.push(e));
  for (const c of chunks) p.push(c);
  return events;
}

describe('SseParser', () => {
  it('parses the evaluator stream, heartbeats and retry skipped', () => {
    const text = 'retry: 1000\n\nid: 3\nevent: snapshot\ndata: {"version":3,"etag":"\\"a\\""}\n\n: heartbeat\n\n';
    expect(parse([text])).toEqual([{ event: 'snapshot', data: '{"version":3,"etag":"\\"a\\""}', id: '3' }]);
  });

  it('reassembles events split anywhere, including inside a CRLF', () => {
    const text = 'event: snapshot\r\ndata: {"version":4}\r\n\r\nevent: revoked\r\ndata: x\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      expect(
        parse([text.slice(0, cut), text.slice(cut)]).map((e) => e.event),
        `cut ${cut}`,
      ).toEqual(['snapshot', 'revoked']);
    }
  });

  it('joins multi-line data and defaults the event name', () => {
    expect(parse(['data: a\ndata: b\n\n'])).toEqual([{ event: 'message', data: 'a\nb', id: undefined }]);
  });
});
