/** Structured one-line JSON logs on stderr; the stack launcher shows a dead child's last lines. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Writes `info` and above (and `debug` when `debug` is true) as JSON lines. */
export function jsonLogger(name: string, debug = false): Logger {
  const write =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), level, name, message, ...fields })}\n`);
    };
  return { debug: debug ? write('debug') : () => {}, info: write('info'), warn: write('warn'), error: write('error') };
}
