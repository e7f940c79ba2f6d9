/**
 * Puts the request histogram's middleware in front of an admin app's routes. The admin app
 * (http/admin-app.ts) registers its routes as it is built, and express only appends; so the
 * middleware is appended and then moved to the head of the app's router stack (`app.router.stack`,
 * Express 5's public router, which http/route-table.ts reads too). The app stays the same object:
 * its settings, route table, 404 and error handler are unchanged (an outer app mounting it hid
 * the route table from route-table.ts).
 */
import type { NextFunction, Request, Response } from 'express';
import type { HttpMetrics } from './http-metrics.ts';

/** What this needs of an express app. */
export interface RoutedApp {
  use(fn: (req: Request, res: Response, next: NextFunction) => void): unknown;
  readonly router: { stack: unknown[] };
}

export function withHttpMetrics<A extends RoutedApp>(app: A, metrics: HttpMetrics): A {
  app.use(metrics.middleware);
  const stack = app.router.stack;
  const layer = stack.pop();
  if (layer !== undefined) stack.unshift(layer);
  return app;
}
