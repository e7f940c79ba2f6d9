/**
 * The composition root: config -> database -> stores -> services -> express app. Nothing else
 * constructs a service.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { apiKeyRoutes } from './api-keys/api-key-routes.ts';
import { ApiKeyService } from './api-keys/api-key-service.ts';
import { auditRoutes } from './audit/audit-routes.ts';
import { AuditService } from './audit/audit-service.ts';
import { type RevocationNotes, VerifiedKeyCache } from './auth/verified-key-cache.ts';
import { changeRequestRoutes } from './change-requests/change-request-routes.ts';
import { ChangeRequestService } from './change-requests/change-request-service.ts';
import type { Config } from './config.ts';
import { createDatabase } from './db/create-database.ts';
import { createKyselyStores } from './db/kysely-stores.ts';
import type { Database } from './db/schema.ts';
import { KyselyUnitOfWork, type TransactionHooks } from './db/unit-of-work.ts';
import { environmentRoutes } from './environments/environment-routes.ts';
import { EnvironmentService } from './environments/environment-service.ts';
import { type EmergencyKiller, flagRoutes } from './flags/flag-routes.ts';
import { FlagService } from './flags/flag-service.ts';
import { flagsAsCodeRoutes } from './flags-as-code/flags-as-code-routes.ts';
import { FlagsAsCodeService } from './flags-as-code/flags-as-code-service.ts';
import { createAdminApp, type HttpApp } from './http/admin-app.ts';
import type { Route } from './http/route.ts';
import { openApiDocument } from './openapi/openapi-document.ts';
import { openApiRoutes } from './openapi/openapi-routes.ts';
import { previewRoutes } from './preview/preview-routes.ts';
import { PreviewService } from './preview/preview-service.ts';
import { projectRoutes } from './projects/project-routes.ts';
import { ProjectService } from './projects/project-service.ts';
import { MapPolicyCatalog } from './rollouts/policy-catalog.ts';
import { RedisRegionServing, type RegionServingOptions } from './rollouts/region-serving.ts';
import { rolloutRoutes } from './rollouts/rollout-routes.ts';
import { type PolicyCatalog, RolloutService, type TickScheduler } from './rollouts/rollout-service.ts';
import { BullScheduleTrigger } from './schedules/bullmq-schedule-trigger.ts';
import { scheduleRoutes } from './schedules/schedule-routes.ts';
import { ScheduleService, type ScheduleTrigger } from './schedules/schedule-service.ts';
import { BullTickScheduler } from './rollouts/bullmq-queues.ts';
import { segmentRoutes } from './segments/segment-routes.ts';
import { metricRoutes } from './metrics/metric-routes.ts';
import { MetricService } from './metrics/metric-service.ts';
import { impactRoutes } from './impact/impact-routes.ts';
import { ImpactService } from './impact/impact-service.ts';
import type { PrometheusTarget } from './impact/prometheus-range.ts';
import { SecretBox } from './webhooks/secret-box.ts';
import { WebhookAllowList } from './webhooks/webhook-address.ts';
import { webhookRoutes } from './webhooks/webhook-routes.ts';
import { type DeliveryQueue, WebhookService } from './webhooks/webhook-service.ts';
import { SegmentService } from './segments/segment-service.ts';
import { HttpMetrics } from './status/http-metrics.ts';
import { withHttpMetrics } from './status/with-http-metrics.ts';

export interface AppOptions {
  /** Test seams for transactions (failure injection). */
  hooks?: TransactionHooks;
  now?: () => string;
  log?: (message: string, error?: unknown) => void;
  /** Rollout wiring; without it no policy is known and ticks cannot be scheduled. */
  rollouts?: RolloutWiring;
  /** The kill switch's Redis path while the database is down. */
  emergencyKill?: EmergencyKiller;
  /** Revocations shared with the other controller processes (Redis); without it, this process only. */
  revocationNotes?: RevocationNotes;
  /** Webhook secrets' key and destinations; without it: a random key for this plane only, no allowed private hosts. */
  webhooks?: WebhookWiring;
  /** What the impact API queries (PROMETHEUS_URL); without it impact answers 503 PROMETHEUS_NOT_CONFIGURED. */
  prometheus?: PrometheusTarget;
  /**
   * The delayed job of each schedule. Without it: a BullMQ trigger on the tick scheduler's queue
   * connection and prefix when that is BullMQ (the same QUEUE_PREFIX), else none (the workers'
   * reconciler arms schedules shortly before they are due).
   */
  schedules?: { trigger: ScheduleTrigger };
  /** Where the admin API's requests are counted (main.ts serves it on CONTROLLER_METRICS_PORT); default a new one, `plane.httpMetrics`. */
  httpMetrics?: HttpMetrics;
}

/** From WEBHOOK_SECRET_KEY (or the key file) and WEBHOOK_ALLOW_HOSTS; `wake` hints the outbox drainer. */
export interface WebhookWiring {
  secretKey?: Buffer;
  allow?: WebhookAllowList;
  wake?: () => void;
}

/** What rollouts need from outside the database: policies and the BullMQ producers. */
export interface RolloutWiring {
  policies: PolicyCatalog;
  scheduler: TickScheduler;
  /** Where the webhook outbox is drained to (the workers); the admin API only writes the outbox. */
  deliveries?: DeliveryQueue;
  clock?: () => number;
  /**
   * REGIONS and the home Redis the evaluators report to: a step's clock also waits for every
   * listed region to serve it (docs/regions.md). Without it, or with no region listed, only the
   * outbox rule holds a step. Given to the process that ticks (the workers).
   */
  regions?: RegionServingOptions;
}

const unconfigured = (what: string) => async () => {
  throw new Error(`${what} is not configured (no REDIS_URL wiring)`);
};

export interface Services {
  apiKeys: ApiKeyService;
  projects: ProjectService;
  environments: EnvironmentService;
  flags: FlagService;
  segments: SegmentService;
  audit: AuditService;
  changeRequests: ChangeRequestService;
  flagsAsCode: FlagsAsCodeService;
  preview: PreviewService;
  rollouts: RolloutService;
  webhooks: WebhookService;
  metrics: MetricService;
  impact: ImpactService;
  schedules: ScheduleService;
}

export interface ControlPlane {
  app: HttpApp;
  /** Every admin route as declared (path, access, handler), in the order they are matched. */
  routes: readonly Route[];
  db: Kysely<Database>;
  services: Services;
  /** The admin API's request histogram (docs/slo.md, admin-api-availability). */
  httpMetrics: HttpMetrics;
  close(): Promise<void>;
}

/** Wires everything over an existing database (tests pass their own). */
export function createControlPlaneOn(db: Kysely<Database>, options: AppOptions = {}): ControlPlane {
  const now = options.now ?? (() => new Date().toISOString());
  const log = options.log ?? ((m: string, e?: unknown) => console.error(m, e ?? ''));
  const uow = new KyselyUnitOfWork(db, createKyselyStores, options.hooks);
  const policies = options.rollouts?.policies ?? new MapPolicyCatalog(new Map());
  const regions = options.rollouts?.regions;
  const webhooks = new WebhookService(uow, {
    box: new SecretBox(options.webhooks?.secretKey ?? randomBytes(32)),
    allow: options.webhooks?.allow ?? new WebhookAllowList(),
    queue: options.rollouts?.deliveries ?? { enqueue: unconfigured('webhook delivery') },
    now,
    ...(options.webhooks?.wake ? { wake: options.webhooks.wake } : {}),
  });
  // One cache of recently verified keys, for the kill switch during a database outage: the
  // middleware fills it, the services empty it on revocation.
  const verifiedKeys = new VerifiedKeyCache({ notes: options.revocationNotes, log });
  const services: Services = {
    apiKeys: new ApiKeyService(uow, now, verifiedKeys),
    projects: new ProjectService(uow, now),
    environments: new EnvironmentService(uow, now, verifiedKeys, webhooks),
    flags: new FlagService(uow, now),
    segments: new SegmentService(uow, now),
    audit: new AuditService(uow),
    changeRequests: new ChangeRequestService(uow, now, () => services.rollouts, policies),
    flagsAsCode: new FlagsAsCodeService(uow, now),
    preview: new PreviewService(uow),
    rollouts: new RolloutService(
      uow,
      policies,
      options.rollouts?.scheduler ?? { schedule: unconfigured('tick scheduling') },
      webhooks,
      options.rollouts?.clock ?? Date.now,
      log,
      regions === undefined || regions.regions.length === 0 ? undefined : new RedisRegionServing(regions),
    ),
    webhooks,
    metrics: new MetricService(uow, now, policies),
    impact: new ImpactService(uow, policies, options.prometheus, now),
    schedules: new ScheduleService(
      uow,
      policies,
      scheduleTrigger(options),
      webhooks,
      () => services.rollouts,
      options.rollouts?.clock ?? Date.now,
      log,
    ),
  };

  const routes = adminRoutes(services, {
    policies,
    ...(options.emergencyKill ? { emergencyKill: options.emergencyKill } : {}),
  });
  // Counted before any route runs, so every answer (401s, 404s, 500s) is in the histogram.
  const httpMetrics = options.httpMetrics ?? new HttpMetrics();
  const app = withHttpMetrics(createAdminApp({ routes, keys: services.apiKeys, verifiedKeys, log }), httpMetrics);
  return { app, routes, db, services, httpMetrics, close: () => db.destroy() };
}

/**
 * Every admin route, in matching order: the one list the router serves, the OpenAPI document
 * describes and the authorization matrix test walks.
 */
export function adminRoutes(
  services: Services,
  wiring: { policies: PolicyCatalog; emergencyKill?: EmergencyKiller },
): Route[] {
  let document: Record<string, unknown> | undefined;
  const routes: Route[] = [
    ...openApiRoutes(() => (document ??= openApiDocument(routes))),
    ...projectRoutes(services.projects),
    ...environmentRoutes(services.environments),
    ...flagRoutes(services.flags, wiring.emergencyKill),
    ...previewRoutes(services.preview),
    ...segmentRoutes(services.segments),
    ...flagsAsCodeRoutes(services.flagsAsCode),
    ...changeRequestRoutes(services.changeRequests),
    ...auditRoutes(services.audit),
    ...apiKeyRoutes(services.apiKeys),
    ...rolloutRoutes(services.rollouts, wiring.policies),
    ...webhookRoutes(services.webhooks),
    ...metricRoutes(services.metrics),
    ...impactRoutes(services.impact),
    ...scheduleRoutes(services.schedules),
  ];
  return routes;
}

/**
 * The schedules' trigger: the one given, or one beside the rollout ticks' BullMQ queue (same
 * connection and QUEUE_PREFIX), so a process wired for rollouts arms schedules too.
 */
function scheduleTrigger(options: AppOptions): ScheduleTrigger {
  if (options.schedules) return options.schedules.trigger;
  const ticks = options.rollouts?.scheduler;
  if (ticks instanceof BullTickScheduler)
    return new BullScheduleTrigger({
      connection: ticks.queue.opts.connection,
      prefix: ticks.queue.opts.prefix ?? 'bull',
    });
  // Nothing to arm with: the workers' reconciler arms each schedule before it is due.
  return { arm: async () => {}, disarm: async () => {} };
}

/** From configuration: opens the database the config names. */
export function createControlPlane(config: Config, options: AppOptions = {}): ControlPlane {
  const prometheus = config.prometheusUrl
    ? { prometheus: { url: config.prometheusUrl, timeoutMs: config.prometheusTimeoutMs } }
    : {};
  return createControlPlaneOn(createDatabase({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile }), {
    ...prometheus,
    ...options,
  });
}
