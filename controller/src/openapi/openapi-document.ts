/**
 * The OpenAPI 3.1 description of the admin API, generated from the routes' own declarations
 * (http/route.ts): path, summary, body, query, success outcome and `x-access` (role and scope, as
 * the router enforces them). A test compares it with express's route table both ways, and the
 * authorization matrix test reads the same declarations to know what every role should get.
 */
import { type Route, successStatus } from '../http/route.ts';

/** `/a/:b` -> `/a/{b}` */
export const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const ERROR_CODES: Record<string, string> = {
  400: 'Malformed request: invalid JSON, not an object, wrong JSON types, unknown or missing fields, bad parameters',
  401: 'No key, or an unknown or revoked key',
  403: 'The key lacks the role or the environment (ENVIRONMENT_FORBIDDEN also for a project-wide change with an environment-limited key), is an SDK key, or approves what its owner asked for (SELF_APPROVAL)',
  404: 'Not found',
  409: 'Conflict with the current state: stale version, duplicate key, archived flag, base moved, approval required (APPROVAL_REQUIRED with environments and the changeRequest route), a schedule no longer pending (SCHEDULE_NOT_PENDING) or due before its approval (SCHEDULE_DUE)',
  413: 'Body too large',
  415: 'Body not sent as application/json (or YAML for imports)',
  422: "Well-formed, but the flag model's validation fails (problems with paths)",
  428: 'A write without If-Match or version',
};

export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of routes) {
    const params = [...op.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    for (const q of op.query ?? []) params.push({ name: q, in: 'query', required: false, schema: { type: 'string' } });
    if (op.method === 'put')
      params.push({ name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } });
    const responses: Record<string, unknown> = { [successStatus(op.success)]: { description: 'Success' } };
    for (const [code, description] of Object.entries(ERROR_CODES)) {
      responses[code] = {
        description,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    const operation: Record<string, unknown> = {
      summary: op.summary,
      operationId: `${op.method}${toOpenApiPath(op.path).replace(/[^A-Za-z0-9]+/g, '_')}`,
      parameters: params,
      responses,
      'x-access': { role: op.access.role, scope: op.access.scope },
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
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'requestId'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                requestId: { type: 'string' },
                currentVersion: { type: 'integer' },
                environments: {
                  type: 'array',
                  items: { type: 'string' },
                  description: 'APPROVAL_REQUIRED: the approval-required environments the change affects',
                },
                changeRequest: {
                  type: 'object',
                  description: 'APPROVAL_REQUIRED: where to file the change request',
                  properties: { method: { type: 'string' }, path: { type: 'string' }, kind: { type: 'string' } },
                },
                problems: {
                  type: 'array',
                  items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
                },
              },
            },
          },
        },
      },
    },
    paths,
  };
}
