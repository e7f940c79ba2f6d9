/**
 * What is wrong with a DATABASE_URL, or undefined when it can be used. Shared by every process
 * that opens the controller's database (controller, workers), so they accept exactly the same.
 */
export function databaseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'DATABASE_URL is not a URL (expected mysql://user:password@host:3306/database)';
  }
  if (url.protocol !== 'mysql:')
    return `DATABASE_URL must be mysql://user:password@host:port/database (or unset for embedded SQLite), got ${url.protocol}//...`;
  if (url.pathname.length <= 1)
    return 'DATABASE_URL names no database: it must name a database, as in mysql://user@host:3306/<database>';
  return undefined;
}
