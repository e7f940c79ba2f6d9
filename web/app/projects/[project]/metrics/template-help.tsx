/**
 * How a metric's PromQL templates are written (docs/api.md "Metric definitions and impact"): the
 * four placeholders and a worked example, shown beside the template fields.
 */
import styles from './metrics.module.css';

const LABELS = 'flag="{{flag}}",variant="{{variant}}",environment="{{environment}}"';
export const EXAMPLE_NUMERATOR = `sum(increase(app_checkouts_total{${LABELS}}[{{window}}]))`;
export const EXAMPLE_DENOMINATOR = `sum(increase(evaluator_exposures_total{${LABELS}}[{{window}}]))`;
export const EXAMPLE_QUERY = `histogram_quantile(0.95, sum by (le) (rate(app_request_duration_seconds_bucket{${LABELS}}[{{window}}])))`;

export function TemplateHelp({ id }: { id: string }) {
  return (
    <div id={id} className={`hint stack ${styles.help}`}>
      <p>
        Templates are PromQL, queried once per variant of the flag over the chosen time range. They may use only these
        placeholders, and must use <code>{'{{variant}}'}</code>:
      </p>
      <ul>
        <li>
          <code>{'{{flag}}'}</code>: the flag&apos;s key
        </li>
        <li>
          <code>{'{{variant}}'}</code>: the variant being measured
        </li>
        <li>
          <code>{'{{environment}}'}</code>: the environment id (<code>project.env</code>, e.g. <code>shop.prod</code>)
        </li>
        <li>
          <code>{'{{window}}'}</code>: the step of the chart (<code>60s</code>)
        </li>
      </ul>
      <p>
        Values are escaped for PromQL strings, so write them inside quotes. A worked example, checkout conversion per
        exposure (a ratio, higher is better):
      </p>
      <p>Numerator (conversions):</p>
      <pre className={styles.template}>{EXAMPLE_NUMERATOR}</pre>
      <p>Denominator (exposures, counted by the evaluators for the flags a definition names):</p>
      <pre className={styles.template}>{EXAMPLE_DENOMINATOR}</pre>
      <p>A quantile has one query instead, e.g. the 95th percentile latency (lower is better):</p>
      <pre className={styles.template}>{EXAMPLE_QUERY}</pre>
    </div>
  );
}
