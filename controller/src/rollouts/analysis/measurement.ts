/** What one Prometheus query answered, reduced to what a decision needs. */
export type Measurement =
  | { kind: 'value'; value: number }
  /** An empty vector, NaN or ±Inf: normal answers that mean "no data", never a pass or a crash. */
  | { kind: 'nodata' }
  | { kind: 'error'; message: string };
