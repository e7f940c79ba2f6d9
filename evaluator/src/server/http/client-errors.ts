/**
 * What the public listener answers to requests node:http itself refuses ('clientError'): 408 with
 * the OFREP shape for a request whose headers and body missed the deadline, 400 for a malformed
 * one; the connection closes either way.
 */
import type { Duplex } from 'node:stream';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { EvaluatorMetrics } from '../observability/evaluator-metrics.ts';

/** The 'clientError' listener of a server whose request deadline is `bodyTimeoutMs`. */
export function clientErrorListener(
  bodyTimeoutMs: number,
  metrics: Pick<EvaluatorMetrics, 'requestTimedOut'>,
): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  const timeoutBody = JSON.stringify({
    errorCode: 'GENERAL',
    errorDetails: `request not received within ${bodyTimeoutMs} ms`,
  });
  const timeoutResponse = `HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(timeoutBody)}\r\n\r\n${timeoutBody}`;
  return (err, socket) => {
    // A response already begun on this socket must not be followed by another one.
    const answering = (socket as { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent === true;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') metrics.requestTimedOut();
    if (!socket.writable || answering || err.code === 'ECONNRESET') socket.destroy();
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.end(timeoutResponse);
      (socket as Socket).destroySoon();
    } else socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  };
}
