/**
 * Admin API writes at a constant arrival rate (scenarios.ts `admin-writes`): each iteration reads
 * a load flag's config version and writes it back with its default variant flipped.
 * k6 run -e API_URL=http://127.0.0.1:4000/api/v1 -e ADMIN_TOKEN=... k6/admin-writes.ts
 */
import exec from 'k6/execution';
import { check } from 'k6';
import { scenarios } from './scenarios.ts';
import { arrivalOptions, env } from './lib/k6-options.ts';
import { adminWrite } from './lib/k6-requests.ts';

const s = scenarios['admin-writes'];
export const options = arrivalOptions('admin_writes', s);
const apiUrl = env('API_URL');
const adminToken = env('ADMIN_TOKEN');
const flags = s.request.kind === 'admin-write' ? s.request.flags : 1;

export default function (): void {
  const status = adminWrite(apiUrl, adminToken, exec.scenario.iterationInTest, flags);
  check(status, { 'written (200)': (x) => x === 200 });
}
