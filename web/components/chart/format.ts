/** How charts and their tables write a value: shared by the client chart and the server tables. */
export function formatValue(v: number | null | undefined, unit: 'percent' | 'number'): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (unit === 'percent') return `${Number((v * 100).toPrecision(4))}%`;
  return String(Number(v.toPrecision(6)));
}
