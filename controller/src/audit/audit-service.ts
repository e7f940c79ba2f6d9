import type { UnitOfWork } from '../db/unit-of-work.ts';
import type { AuditEntry, AuditQuery } from './audit-store.ts';

/** Reading the audit log. There is no way to change it: rows are only appended by writes. */
export class AuditService {
  constructor(private readonly uow: UnitOfWork) {}

  async query(q: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const items = await this.uow.read((s) => s.audit.query({ ...q, limit: q.limit + 1 }));
    const more = items.length > q.limit;
    const page = items.slice(0, q.limit);
    return { items: page, nextCursor: more ? page[page.length - 1]!.id : null };
  }
}
