/** The server's minimal logger: one JSON line per event on stderr (tests pass a silent one). */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Logs JSON lines to stderr. */
export function jsonLogger(component = 'evaluator'): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, component, message, ...fields })}\n`,
    );
  };
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/** Logs nothing. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
