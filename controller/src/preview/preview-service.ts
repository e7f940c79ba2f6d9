import { compileSnapshot, type EvaluationContext, type Explanation } from '@flagship/evaluator';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { requireEnvironmentRecord } from '../environments/environment-service.ts';
import { requireFlag } from '../flags/flag-service.ts';
import { conflict } from '../errors/domain-errors.ts';
import { readEnvironmentState } from '../snapshots/load-environment-state.ts';

/**
 * "What would this context get, and why": compiles the environment's current state exactly as
 * the publisher would and asks the engine to explain one flag.
 */
export class PreviewService {
  constructor(private readonly uow: UnitOfWork) {}

  async preview(
    projectKey: string,
    envKey: string,
    flagKey: string,
    context: EvaluationContext,
  ): Promise<{ snapshotOf: string; explanation: Explanation }> {
    const state = await this.uow.readConsistent(async (s) => {
      const env = await requireEnvironmentRecord(s, projectKey, envKey);
      const flag = await requireFlag(s, projectKey, flagKey);
      if (flag.archived) throw conflict('FLAG_ARCHIVED', `flag ${flagKey} is archived: it is not in any snapshot`);
      return readEnvironmentState(s, env.id);
    });
    const engine = compileSnapshot({ ...state!.snapshot, version: 0 });
    return { snapshotOf: state!.snapshot.environment, explanation: engine.explain(flagKey, context) };
  }
}
