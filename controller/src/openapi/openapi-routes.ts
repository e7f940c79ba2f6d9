import { Router } from 'express';
import { requireRole } from '../auth/access.ts';
import { API } from '../http/paths.ts';
import { contextOf } from '../http/request-context.ts';
import { openApiDocument } from './openapi-document.ts';

export function openApiRoutes(): Router {
  const r = Router();
  const doc = openApiDocument();
  r.get(`${API}/openapi.json`, (req, res) => {
    requireRole(contextOf(req, res).actor, 'viewer');
    res.json(doc);
  });
  return r;
}
