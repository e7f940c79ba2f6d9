/**
 * The OpenAPI 3.1 description of the admin API. Declared here, by hand, independently of the
 * routers: a test compares it with express's route table both ways, and the authorization
 * matrix test reads each operation's `x-access` to know what every role should get.
 */
export type Scope =
  /** Any key; lists are filtered to what the key may see. */
  | 'any'
  /** Reads of a project: keys limited to environments need one in the project. */
  | 'project'
  /** The path's environment must be one of the key's. */
  | 'environment'
  /** Only keys without an environment list (project-wide and global changes). */
  | 'unrestricted'
  /** Limited keys must filter by one of their environments. */
  | 'audit'
  /** The environments named in the body must be the key's (kill switch). */
  | 'body-environments';

export interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  role: 'viewer' | 'editor' | 'approver' | 'admin';
  scope: Scope;
  body?: 'json' | 'optional-json' | 'document';
  query?: string[];
  success: number;
}

const P = '/api/v1/projects/:projectKey';
const E = `${P}/environments/:environmentKey`;
const F = `${P}/flags/:flagKey`;
const CR = `${E}/change-requests`;

export const OPERATIONS: readonly Operation[] = [
  { method: 'get', path: '/api/v1/openapi.json', summary: 'This document', role: 'viewer', scope: 'any', success: 200 },
  { method: 'get', path: '/api/v1/projects', summary: 'List projects', role: 'viewer', scope: 'any', success: 200 },
  { method: 'post', path: '/api/v1/projects', summary: 'Create a project', role: 'admin', scope: 'unrestricted', body: 'json', success: 201 },
  { method: 'get', path: P, summary: 'Get a project', role: 'viewer', scope: 'project', success: 200 },
  { method: 'put', path: P, summary: 'Update a project (If-Match or version)', role: 'admin', scope: 'unrestricted', body: 'json', success: 200 },
  { method: 'delete', path: P, summary: 'Delete an empty project', role: 'admin', scope: 'unrestricted', success: 204 },
  { method: 'get', path: `${P}/environments`, summary: 'List environments', role: 'viewer', scope: 'project', success: 200 },
  { method: 'post', path: `${P}/environments`, summary: 'Create an environment', role: 'admin', scope: 'unrestricted', body: 'json', success: 201 },
  { method: 'get', path: E, summary: 'Get an environment', role: 'viewer', scope: 'environment', success: 200 },
  { method: 'put', path: E, summary: 'Update an environment (name, requireApproval)', role: 'admin', scope: 'unrestricted', body: 'json', success: 200 },
  { method: 'delete', path: E, summary: 'Delete an environment with its configs and segments', role: 'admin', scope: 'unrestricted', success: 204 },
  { method: 'get', path: `${P}/flags`, summary: 'List flags (filters, keyset pagination)', role: 'viewer', scope: 'project', query: ['archived', 'tag', 'type', 'q', 'cursor', 'limit'], success: 200 },
  { method: 'post', path: `${P}/flags`, summary: 'Create a flag (off in every environment)', role: 'editor', scope: 'unrestricted', body: 'json', success: 201 },
  { method: 'get', path: F, summary: 'Get a flag definition with per-environment state', role: 'viewer', scope: 'project', success: 200 },
  { method: 'put', path: F, summary: 'Update a flag definition (If-Match or version)', role: 'editor', scope: 'unrestricted', body: 'json', success: 200 },
  { method: 'post', path: `${F}/archive`, summary: 'Archive a flag', role: 'editor', scope: 'unrestricted', body: 'optional-json', success: 200 },
  { method: 'post', path: `${F}/unarchive`, summary: 'Unarchive a flag', role: 'editor', scope: 'unrestricted', body: 'optional-json', success: 200 },
  { method: 'post', path: `${F}/kill`, summary: 'Kill switch: disable in some or all environments', role: 'editor', scope: 'body-environments', body: 'json', success: 200 },
  { method: 'get', path: `${E}/flags/:flagKey`, summary: "Get a flag's config in an environment", role: 'viewer', scope: 'environment', success: 200 },
  { method: 'put', path: `${E}/flags/:flagKey`, summary: "Replace a flag's config in an environment (If-Match or version)", role: 'editor', scope: 'environment', body: 'json', success: 200 },
  { method: 'post', path: `${E}/flags/:flagKey/preview`, summary: 'Explain what a context would get', role: 'viewer', scope: 'environment', body: 'json', success: 200 },
  { method: 'get', path: `${E}/segments`, summary: 'List segments', role: 'viewer', scope: 'environment', success: 200 },
  { method: 'post', path: `${E}/segments`, summary: 'Create a segment (approval-required environments: a segment change request)', role: 'editor', scope: 'environment', body: 'json', success: 201 },
  { method: 'get', path: `${E}/segments/:segmentKey`, summary: 'Get a segment', role: 'viewer', scope: 'environment', success: 200 },
  { method: 'put', path: `${E}/segments/:segmentKey`, summary: 'Replace a segment (If-Match or version; approval-required environments: a segment change request)', role: 'editor', scope: 'environment', body: 'json', success: 200 },
  { method: 'delete', path: `${E}/segments/:segmentKey`, summary: 'Delete an unused segment (approval-required environments: a segment change request)', role: 'editor', scope: 'environment', success: 204 },
  { method: 'get', path: `${E}/export`, summary: 'Export the environment (flags-as-code)', role: 'viewer', scope: 'environment', query: ['format'], success: 200 },
  { method: 'post', path: `${E}/import`, summary: 'Import the environment, all or nothing (dryRun shows the diff and what it needs); creating, archiving or redefining flags needs a key without an environment list, changing an approval-required environment a change request', role: 'editor', scope: 'environment', body: 'document', query: ['dryRun'], success: 200 },
  { method: 'get', path: CR, summary: 'List change requests', role: 'viewer', scope: 'environment', query: ['status'], success: 200 },
  { method: 'post', path: CR, summary: 'File a change request (kind: config, definition, archive, unarchive, rollout-start, rollout-retry, segment)', role: 'editor', scope: 'environment', body: 'json', success: 201 },
  { method: 'get', path: `${CR}/:changeRequestId`, summary: 'Get a change request', role: 'viewer', scope: 'environment', success: 200 },
  { method: 'post', path: `${CR}/:changeRequestId/approve`, summary: 'Approve and apply (another owner than the author; the key must be allowed to make the change)', role: 'approver', scope: 'environment', body: 'optional-json', success: 200 },
  { method: 'post', path: `${CR}/:changeRequestId/reject`, summary: 'Reject', role: 'approver', scope: 'environment', body: 'optional-json', success: 200 },
  { method: 'post', path: `${CR}/:changeRequestId/cancel`, summary: 'Cancel (the author, by owner, or an admin)', role: 'editor', scope: 'environment', body: 'optional-json', success: 200 },
  { method: 'get', path: '/api/v1/audit', summary: 'Query the audit log, newest first', role: 'viewer', scope: 'audit', query: ['project', 'flag', 'environment', 'actor', 'action', 'from', 'to', 'cursor', 'limit'], success: 200 },
  { method: 'get', path: '/api/v1/api-keys', summary: 'List API keys (never tokens)', role: 'admin', scope: 'unrestricted', success: 200 },
  { method: 'post', path: '/api/v1/api-keys', summary: 'Create an API key for an owner (a person; the token is returned once)', role: 'admin', scope: 'unrestricted', body: 'json', success: 201 },
  { method: 'get', path: '/api/v1/api-keys/:keyId', summary: 'Get an API key', role: 'admin', scope: 'unrestricted', success: 200 },
  { method: 'post', path: '/api/v1/api-keys/:keyId/revoke', summary: 'Revoke an API key', role: 'admin', scope: 'unrestricted', success: 200 },
  { method: 'get', path: '/api/v1/policies', summary: 'List ramp policies', role: 'viewer', scope: 'any', success: 200 },
  { method: 'get', path: '/api/v1/policies/:policyName', summary: 'Get a ramp policy', role: 'viewer', scope: 'any', success: 200 },
  { method: 'post', path: `${E}/flags/:flagKey/rollouts`, summary: 'Start a rollout of a flag with a policy (approval-required environments: a rollout-start change request)', role: 'editor', scope: 'environment', body: 'json', success: 201 },
  { method: 'get', path: '/api/v1/rollouts', summary: 'List rollouts (filters, keyset pagination)', role: 'viewer', scope: 'any', query: ['project', 'environment', 'flag', 'status', 'cursor', 'limit'], success: 200 },
  { method: 'get', path: '/api/v1/rollouts/:rolloutId', summary: 'Get a rollout with its timeline and every tick\'s evidence', role: 'viewer', scope: 'any', success: 200 },
  { method: 'post', path: '/api/v1/rollouts/:rolloutId/pause', summary: 'Pause a rollout', role: 'editor', scope: 'any', body: 'optional-json', success: 200 },
  { method: 'post', path: '/api/v1/rollouts/:rolloutId/resume', summary: 'Resume a paused rollout', role: 'editor', scope: 'any', body: 'optional-json', success: 200 },
  { method: 'post', path: '/api/v1/rollouts/:rolloutId/approve', summary: 'Approve advancing past the current gate (not by the owner who asked for the run)', role: 'approver', scope: 'any', body: 'optional-json', success: 200 },
  { method: 'post', path: '/api/v1/rollouts/:rolloutId/abort', summary: 'Abort a rollout (rolls back to control)', role: 'editor', scope: 'any', body: 'optional-json', success: 200 },
  { method: 'post', path: '/api/v1/rollouts/:rolloutId/retry', summary: 'Start a rolled-back or aborted rollout again (approval-required environments: a rollout-retry change request)', role: 'editor', scope: 'any', body: 'optional-json', success: 200 },
  { method: 'get', path: '/api/v1/webhooks', summary: 'List webhooks', role: 'admin', scope: 'unrestricted', success: 200 },
  { method: 'post', path: '/api/v1/webhooks', summary: 'Register a webhook for rollout events (returns its secret once)', role: 'admin', scope: 'unrestricted', body: 'json', success: 201 },
  { method: 'delete', path: '/api/v1/webhooks/:webhookId', summary: 'Delete a webhook', role: 'admin', scope: 'unrestricted', success: 204 },
];

/** `/a/:b` -> `/a/{b}` */
export const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const ERROR_CODES: Record<string, string> = {
  400: 'Malformed request: invalid JSON, not an object, wrong JSON types, unknown or missing fields, bad parameters',
  401: 'No key, or an unknown or revoked key',
  403: 'The key lacks the role or the environment (ENVIRONMENT_FORBIDDEN also for a project-wide change with an environment-limited key), is an SDK key, or approves what its owner asked for (SELF_APPROVAL)',
  404: 'Not found',
  409: 'Conflict with the current state: stale version, duplicate key, archived flag, base moved, approval required (APPROVAL_REQUIRED with environments and the changeRequest route)',
  413: 'Body too large',
  415: 'Body not sent as application/json (or YAML for imports)',
  422: "Well-formed, but the flag model's validation fails (problems with paths)",
  428: 'A write without If-Match or version',
};

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const params = [...op.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    for (const q of op.query ?? []) params.push({ name: q, in: 'query', required: false, schema: { type: 'string' } });
    if (op.method === 'put') params.push({ name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } });
    const responses: Record<string, unknown> = { [op.success]: { description: 'Success' } };
    for (const [code, description] of Object.entries(ERROR_CODES)) {
      responses[code] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const operation: Record<string, unknown> = {
      summary: op.summary, operationId: `${op.method}${toOpenApiPath(op.path).replace(/[^A-Za-z0-9]+/g, '_')}`,
      parameters: params, responses, 'x-access': { role: op.role, scope: op.scope },
    };
    if (op.body) {
      const content: Record<string, unknown> = { 'application/json': { schema: { type: 'object' } } };
      if (op.body === 'document') content['application/yaml'] = { schema: { type: 'string' } };
      operation.requestBody = { required: op.body !== 'optional-json', content };
    }
    (paths[toOpenApiPath(op.path)] ??= {})[op.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Flagship control plane', version: '1.0.0', description: 'See docs/api.md.' },
    security: [{ bearer: [] }, { apiKey: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
      schemas: {
        Error: {
          type: 'object', required: ['error'],
          properties: {
            error: {
              type: 'object', required: ['code', 'message', 'requestId'],
              properties: {
                code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' },
                currentVersion: { type: 'integer' },
                environments: { type: 'array', items: { type: 'string' }, description: 'APPROVAL_REQUIRED: the approval-required environments the change affects' },
                changeRequest: { type: 'object', description: 'APPROVAL_REQUIRED: where to file the change request', properties: { method: { type: 'string' }, path: { type: 'string' }, kind: { type: 'string' } } },
                problems: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
              },
            },
          },
        },
      },
    },
    paths,
  };
}
