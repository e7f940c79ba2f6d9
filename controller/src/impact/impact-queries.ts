/**
 * The PromQL the impact API sends: the exposure query (one constant, so the series name and its
 * labels are trivial to adjust when the evaluators' counters change) and the resolution of
 * metric templates, with label values escaped so that no flag key or variant can break out of
 * its string literal.
 */

/**
 * Exposures per variant in each step: the evaluators' per-variant exposure counter, increased
 * over one step, summed over evaluator instances. `{{environment}}` is the environment id
 * (`project.env`), as the rollouts' templates use it.
 */
export const EXPOSURES_QUERY =
  'sum by (variant) (increase(evaluator_exposures_total{environment="{{environment}}", flag="{{flag}}"}[{{window}}]))';

/** The label Prometheus answers the exposure query's series by. */
export const EXPOSURES_VARIANT_LABEL = 'variant';

export interface TemplateValues {
  flag: string;
  environment: string;
  /** Absent for the exposure query, which is not per variant. */
  variant?: string;
  /** A Prometheus duration (`60s`): the step, so each point counts what happened since the last. */
  window: string;
}

/**
 * A value inside a PromQL double-quoted string: backslash and quote escaped, and line breaks as
 * escapes (a raw one ends the literal in PromQL's lexer).
 */
export const promString = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

/**
 * Fills `{{flag}}`, `{{variant}}`, `{{environment}}` (escaped as string contents: templates put
 * them inside quotes) and `{{window}}` (as is: a duration the controller made).
 */
export function resolveTemplate(template: string, values: TemplateValues): string {
  return template.replace(/\{\{\s*(flag|variant|environment|window)\s*\}\}/g, (_all, name: keyof TemplateValues) => {
    if (name === 'window') return values.window;
    return promString(values[name] ?? '');
  });
}
