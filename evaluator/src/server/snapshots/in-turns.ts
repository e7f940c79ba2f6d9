/**
 * Runs a sliced generator (compileSnapshotInSlices, snapshotJsonInSlices) to its end, one slice
 * per turn of the event loop (setImmediate), so requests are answered between the slices.
 */
export async function runInTurns<T>(steps: Generator<void, T, void>): Promise<T> {
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
