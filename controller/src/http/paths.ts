/** Route paths, shared by the routers and the OpenAPI document's tests. */
export const API = '/api/v1';
export const PROJECT = `${API}/projects/:projectKey`;
export const ENVIRONMENT = `${PROJECT}/environments/:environmentKey`;
export const FLAG = `${PROJECT}/flags/:flagKey`;
