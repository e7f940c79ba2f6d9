import { describe, expect, it } from 'vitest';
import { MemoryUnitOfWork } from './memory-unit-of-work.ts';

const T0 = '2025-01-01T00:00:00.000Z';
const project = (key: string) => ({ key, name: key, description: '', version: 1, createdAt: T0, updatedAt: T0 });

describe('MemoryUnitOfWork', () => {
  it('keeps a write invisible to reads until it commits', async () => {
    const uow = new MemoryUnitOfWork();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const writing = uow.write(async (s) => {
      await s.projects.insert(project('p'));
      await held;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(await uow.read((s) => s.projects.get('p'))).toBeUndefined();
    release();
    await writing;
    expect(await uow.read((s) => s.projects.get('p'))).toMatchObject({ key: 'p' });
  });

  it('runs writes one at a time, in call order, each seeing the one before', async () => {
    const uow = new MemoryUnitOfWork();
    const order: string[] = [];
    const slow = uow.write(async (s) => {
      order.push('a start');
      await new Promise((r) => setTimeout(r, 10));
      await s.projects.insert(project('a'));
      order.push('a end');
    });
    const fast = uow.write(async (s) => {
      order.push('b start');
      return (await s.projects.list()).map((p) => p.key);
    });
    await slow;
    expect(await fast).toEqual(['a']);
    expect(order).toEqual(['a start', 'a end', 'b start']);
  });

  it('a failed write (or a failing beforeCommit) leaves nothing and does not block the next', async () => {
    let failCommit = true;
    let commits = 0;
    const uow = new MemoryUnitOfWork(undefined, {
      beforeCommit: () => {
        if (failCommit) throw new Error('injected');
      },
      afterCommit: () => void commits++,
    });
    await expect(uow.write(async (s) => s.projects.insert(project('x')))).rejects.toThrow('injected');
    failCommit = false;
    await expect(
      uow.write(async (s) => {
        await s.outbox.append('p.dev', 'flag', 'f', T0);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await uow.read(async (s) => [await s.projects.list(), await s.outbox.list(10)])).toEqual([[], []]);
    expect(commits).toBe(0);
    await uow.write(async (s) => s.projects.insert(project('y')));
    expect(commits).toBe(1);
    expect((await uow.read((s) => s.projects.list())).map((p) => p.key)).toEqual(['y']);
  });

  it('readConsistent reads the snapshot it started with', async () => {
    const uow = new MemoryUnitOfWork();
    await uow.write(async (s) => s.projects.insert(project('a')));
    const seen = await uow.readConsistent(async (s) => {
      const before = await s.projects.list();
      await uow.write(async (w) => w.projects.insert(project('b')));
      return [before.length, (await s.projects.list()).length];
    });
    expect(seen).toEqual([1, 1]);
    expect(await uow.read((s) => s.projects.list())).toHaveLength(2);
  });
});
