'use client';
/**
 * The targeting editor: a controlled form over one FlagConfig draft (the interface is fixed by
 * the page). Prerequisites, individual targets, ordered rules with conditions fitted to their
 * operators, the default rule as a variant or a split in percent, bucketBy, the off variant and
 * the fail mode. Every field has an id derived from its config path (field-ids.ts), and the API's
 * problems are shown at the field their path names (or its nearest ancestor field); the rest at
 * the top.
 */
import {
  OPERATORS,
  TOTAL_WEIGHT,
  type Condition,
  type Flag,
  type FlagConfig,
  type Operator,
  type Prerequisite,
  type Rule,
  type Segment,
  type Serve,
  type Target,
  type WeightedVariant,
} from '@flagship/evaluator';
import { useId, useMemo, useRef, useState, type CSSProperties } from 'react';
import { fieldIdOf, placeProblems, problemIdOf, type PlacedProblem } from './field-ids.ts';
import {
  OPERATOR_LABELS,
  VALUE_HINTS,
  changeOperator,
  formatValues,
  isSegmentOperator,
  parseValues,
  valueKindOf,
  valuesAreNumbers,
} from './operator-kinds.ts';
import { evenSplit, formatPercent, parsePercent, splitTotal, weightToPercent } from './percent.ts';
import { moveItem, removeItem, replaceItem } from './reorder.ts';
import { editorFieldPaths } from './editor-fields.ts';
import { setTargetKeys } from './targets.ts';

export interface EditorProblem {
  /** The API's problem path relative to the config: `rules[0].conditions[1].op`, `defaultRule.split`. */
  path: string;
  message: string;
}

export interface TargetingEditorProps {
  definition: Flag;
  value: FlagConfig;
  onChange: (next: FlagConfig) => void;
  /** The environment's segments, for the segment picker. */
  segments: Segment[];
  /** Other flags of the project (key, type, variants), for prerequisites. */
  flags: Array<Pick<Flag, 'key' | 'type' | 'variants'>>;
  /** Problems from the API's last answer, shown at the fields their paths name. */
  problems: EditorProblem[];
  disabled: boolean;
}

// ---------------------------------------------------------------------------------------------
// Shared plumbing: problems by field, accessible attributes, buffered text inputs.

interface Ctx {
  problems: Map<string, PlacedProblem[]>;
  disabled: boolean;
  variants: string[];
}

/** id, aria-invalid and aria-describedby for the field that edits `path`. */
function fieldAttrs(ctx: Ctx, path: string, hintId?: string) {
  const invalid = ctx.problems.has(path);
  const describedBy = [invalid ? problemIdOf(path) : undefined, hintId].filter(Boolean).join(' ');
  return {
    id: fieldIdOf(path),
    'aria-invalid': invalid ? true : undefined,
    'aria-describedby': describedBy === '' ? undefined : describedBy,
  };
}

/** aria-describedby for a group (fieldset) at `path`: its problems and any extra description. */
function groupAttrs(ctx: Ctx, path: string, extraId?: string) {
  const describedBy = [ctx.problems.has(path) ? problemIdOf(path) : undefined, extraId].filter(Boolean).join(' ');
  return { id: fieldIdOf(path), 'aria-describedby': describedBy === '' ? undefined : describedBy };
}

/** The problems placed at `path`, next to its field. */
function Problems({ ctx, path }: { ctx: Ctx; path: string }) {
  const list = ctx.problems.get(path);
  if (list === undefined) return null;
  return (
    <p id={problemIdOf(path)} className="error" style={{ margin: 0 }}>
      {list.map((p, i) => (
        <span key={i} style={{ display: 'block' }}>
          {p.path !== path ? <code>{p.path.slice(path.length).replace(/^\./, '')}: </code> : null}
          {p.message}
        </span>
      ))}
    </p>
  );
}

/**
 * Text that maps to a value through parse/format: the typed text is kept while it still means the
 * current value (so "a\n" or "12." survive a keystroke), and replaced when the value changed
 * from elsewhere (undo, reorder, a reload).
 */
function useBuffered<T>(
  value: T,
  format: (v: T) => string,
  parse: (s: string) => T,
  onValue: (v: T) => void,
  identity: (v: T) => string = format,
) {
  const [text, setText] = useState(() => format(value));
  const shown = identity(parse(text)) === identity(value) ? text : format(value);
  return [
    shown,
    (t: string) => {
      setText(t);
      onValue(parse(t));
    },
  ] as const;
}

const box: CSSProperties = { border: '1px solid var(--line)', padding: '0.5rem 0.75rem', margin: 0 };
const inner: CSSProperties = { ...box, background: 'var(--panel)' };

function VariantOptions({ variants, current }: { variants: string[]; current: string | undefined }) {
  return (
    <>
      {current !== undefined && !variants.includes(current) ? (
        <option value={current}>{current === '' ? '(choose a variant)' : `${current} (unknown)`}</option>
      ) : null}
      {variants.map((v) => (
        <option key={v} value={v}>
          {v}
        </option>
      ))}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// The editor.

export function TargetingEditor(p: TargetingEditorProps) {
  const c = p.value;
  const variants = useMemo(() => Object.keys(p.definition.variants), [p.definition]);
  const fields = useMemo(() => editorFieldPaths(c, variants), [c, variants]);
  const { byField, unplaced } = useMemo(() => placeProblems(p.problems, fields), [p.problems, fields]);
  const ctx: Ctx = { problems: byField, disabled: p.disabled, variants };
  const set = (patch: Partial<FlagConfig>) => p.onChange({ ...c, ...patch });

  // Stable React keys for rules, moved along with them (rules need not have ids).
  const ruleKeys = useRef<string[]>([]);
  const nextKey = useRef(0);
  if (ruleKeys.current.length !== c.rules.length) ruleKeys.current = c.rules.map(() => `rule-${nextKey.current++}`);
  const setRules = (rules: Rule[], keys: string[]) => {
    ruleKeys.current = keys;
    set({ rules });
  };

  const id = useId();
  return (
    <div className="stack" data-testid="targeting-editor">
      {unplaced.length > 0 ? (
        <div role="alert" className="error-panel" id={fieldIdOf('')}>
          <p style={{ margin: 0 }}>
            <strong>The configuration has problems:</strong>
          </p>
          <ul>
            {unplaced.map((x, i) => (
              <li key={i}>
                <code>{x.path || '(the configuration)'}</code>: {x.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      <section aria-labelledby={`${id}-prereq`} className="stack">
        <h2 id={`${id}-prereq`}>Prerequisites</h2>
        <Prerequisites
          ctx={ctx}
          value={c.prerequisites}
          flags={p.flags}
          self={p.definition.key}
          onChange={(prerequisites) => set({ prerequisites })}
        />
      </section>

      <section aria-labelledby={`${id}-targets`} className="stack">
        <h2 id={`${id}-targets`}>Individual targets</h2>
        <p className="hint">
          Context keys (targetingKey) listed here get that variant before any rule is tried. One key per line.
        </p>
        <Targets ctx={ctx} value={c.targets} onChange={(targets) => set({ targets })} />
      </section>

      <section aria-labelledby={`${id}-rules`} className="stack">
        <h2 id={`${id}-rules`}>Rules</h2>
        <p className="hint">Tried in order; the first rule whose conditions all hold decides.</p>
        <Problems ctx={ctx} path="rules" />
        {c.rules.length === 0 ? <p className="muted">No rules: every context gets the default rule.</p> : null}
        <ol className="stack" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
          {c.rules.map((rule, i) => (
            <li key={ruleKeys.current[i]}>
              <RuleEditor
                ctx={ctx}
                index={i}
                count={c.rules.length}
                rule={rule}
                segments={p.segments}
                onChange={(r) => setRules(replaceItem(c.rules, i, r), ruleKeys.current)}
                onMove={(to) => setRules(moveItem(c.rules, i, to), moveItem(ruleKeys.current, i, to))}
                onRemove={() => setRules(removeItem(c.rules, i), removeItem(ruleKeys.current, i))}
              />
            </li>
          ))}
        </ol>
        <div className="row">
          <button
            type="button"
            disabled={p.disabled}
            onClick={() =>
              setRules([...c.rules, newRule(variants)], [...ruleKeys.current, `rule-${nextKey.current++}`])
            }
          >
            Add a rule
          </button>
        </div>
      </section>

      <section aria-labelledby={`${id}-default`} className="stack">
        <h2 id={`${id}-default`}>Default rule</h2>
        <ServeEditor
          ctx={ctx}
          path="defaultRule"
          legend="Default rule serves"
          value={c.defaultRule}
          onChange={(defaultRule) => set({ defaultRule })}
        />
      </section>

      <section aria-labelledby={`${id}-more`} className="stack">
        <h2 id={`${id}-more`}>Bucketing and fallbacks</h2>
        <BucketBy
          ctx={ctx}
          value={c.bucketBy}
          onChange={(bucketBy) => p.onChange(withOptional(c, 'bucketBy', bucketBy))}
        />
        <div className="stack">
          <label htmlFor={fieldIdOf('offVariant')}>Off variant</label>
          <select
            {...fieldAttrs(ctx, 'offVariant', `${id}-off-hint`)}
            value={c.offVariant}
            disabled={p.disabled}
            onChange={(e) => set({ offVariant: e.target.value })}
          >
            <VariantOptions variants={variants} current={c.offVariant} />
          </select>
          <p className="hint" id={`${id}-off-hint`}>
            Served when the flag is off in this environment or a prerequisite fails.
          </p>
          <Problems ctx={ctx} path="offVariant" />
        </div>
        <div className="stack">
          <label htmlFor={fieldIdOf('failMode')}>A client with no snapshot at all serves</label>
          <select
            {...fieldAttrs(ctx, 'failMode')}
            value={c.failMode ?? ''}
            disabled={p.disabled}
            onChange={(e) =>
              p.onChange(
                withOptional(c, 'failMode', e.target.value === '' ? undefined : (e.target.value as 'off' | 'last')),
              )
            }
          >
            <option value="">the off variant (default)</option>
            <option value="off">the off variant</option>
            <option value="last">its last known value</option>
          </select>
          <Problems ctx={ctx} path="failMode" />
        </div>
      </section>
    </div>
  );
}

/** `config` with `key` set, or removed when `v` is undefined. */
function withOptional<K extends 'bucketBy' | 'failMode'>(config: FlagConfig, key: K, v: FlagConfig[K]): FlagConfig {
  const next = { ...config };
  if (v === undefined) delete next[key];
  else next[key] = v;
  return next;
}

function newRuleId(): string {
  return `rule-${Math.random().toString(36).slice(2, 10)}`;
}

function newRule(variants: string[]): Rule {
  return {
    id: newRuleId(),
    conditions: [{ attribute: '', op: 'in', values: [] }],
    serve: { variant: variants[0] ?? '' },
  };
}

// ---------------------------------------------------------------------------------------------
// Prerequisites.

function Prerequisites(p: {
  ctx: Ctx;
  value: Prerequisite[];
  flags: Array<Pick<Flag, 'key' | 'type' | 'variants'>>;
  self: string;
  onChange: (v: Prerequisite[]) => void;
}) {
  const { ctx } = p;
  const others = p.flags.filter((f) => f.key !== p.self);
  const variantsOf = (key: string) => Object.keys(others.find((f) => f.key === key)?.variants ?? {});
  return (
    <>
      <p className="hint">
        Each listed flag must serve its variant for this context, or this flag serves its off variant.
      </p>
      <Problems ctx={ctx} path="prerequisites" />
      {p.value.length === 0 ? <p className="muted">No prerequisites.</p> : null}
      {p.value.map((pr, i) => {
        const at = `prerequisites[${i}]`;
        const n = i + 1;
        const vs = variantsOf(pr.flag);
        return (
          <fieldset key={i} style={inner} {...groupAttrs(ctx, at)}>
            <legend>Prerequisite {n}</legend>
            <Problems ctx={ctx} path={at} />
            <div className="row">
              <label htmlFor={fieldIdOf(`${at}.flag`)}>Prerequisite {n} flag</label>
              <select
                {...fieldAttrs(ctx, `${at}.flag`)}
                value={pr.flag}
                disabled={ctx.disabled}
                onChange={(e) => {
                  const flag = e.target.value;
                  const first = variantsOf(flag)[0] ?? '';
                  p.onChange(
                    replaceItem(p.value, i, {
                      flag,
                      variant: variantsOf(flag).includes(pr.variant) ? pr.variant : first,
                    }),
                  );
                }}
              >
                {!others.some((f) => f.key === pr.flag) ? <option value={pr.flag}>{pr.flag} (unknown)</option> : null}
                {others.map((f) => (
                  <option key={f.key} value={f.key}>
                    {f.key}
                  </option>
                ))}
              </select>
              <label htmlFor={fieldIdOf(`${at}.variant`)}>must serve</label>
              <select
                {...fieldAttrs(ctx, `${at}.variant`)}
                value={pr.variant}
                disabled={ctx.disabled}
                onChange={(e) => p.onChange(replaceItem(p.value, i, { ...pr, variant: e.target.value }))}
              >
                <VariantOptions variants={vs} current={pr.variant} />
              </select>
              <button type="button" disabled={ctx.disabled} onClick={() => p.onChange(removeItem(p.value, i))}>
                Remove prerequisite {n}
              </button>
            </div>
            <Problems ctx={ctx} path={`${at}.flag`} />
            <Problems ctx={ctx} path={`${at}.variant`} />
          </fieldset>
        );
      })}
      <div className="row">
        <button
          type="button"
          disabled={ctx.disabled || others.length === 0}
          onClick={() => {
            const f = others.find((x) => !p.value.some((pr) => pr.flag === x.key)) ?? others[0]!;
            p.onChange([...p.value, { flag: f.key, variant: Object.keys(f.variants)[0] ?? '' }]);
          }}
        >
          Add a prerequisite
        </button>
        {others.length === 0 ? <span className="hint">No other flags in this project.</span> : null}
      </div>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Individual targets: one list of keys per variant.

const formatKeys = (keys: string[]) => keys.join('\n');
const parseKeys = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

function Targets(p: { ctx: Ctx; value: Target[]; onChange: (v: Target[]) => void }) {
  const { ctx } = p;
  const listed = [...ctx.variants, ...p.value.map((t) => t.variant).filter((v) => !ctx.variants.includes(v))];
  return (
    <>
      <Problems ctx={ctx} path="targets" />
      {[...new Set(listed)].map((variant) => {
        const index = p.value.findIndex((t) => t.variant === variant);
        const keys = p.value.filter((t) => t.variant === variant).flatMap((t) => t.values);
        return (
          <TargetKeys
            key={variant}
            ctx={ctx}
            variant={variant}
            path={index < 0 ? undefined : `targets[${index}].values`}
            keys={keys}
            onChange={(k) => p.onChange(setTargetKeys(p.value, variant, k))}
          />
        );
      })}
    </>
  );
}

function TargetKeys(p: {
  ctx: Ctx;
  variant: string;
  path: string | undefined;
  keys: string[];
  onChange: (k: string[]) => void;
}) {
  const [text, onText] = useBuffered(p.keys, formatKeys, parseKeys, p.onChange);
  const attrs =
    p.path === undefined ? { id: `field-targets-new-${p.variant.replace(/\s/g, '_')}` } : fieldAttrs(p.ctx, p.path);
  return (
    <div className="stack">
      <label htmlFor={attrs.id}>
        Context keys served <code>{p.variant}</code>
        {p.ctx.variants.includes(p.variant) ? '' : ' (unknown variant)'}
      </label>
      <textarea
        {...attrs}
        className="code"
        rows={Math.min(6, Math.max(2, p.keys.length + 1))}
        value={text}
        disabled={p.ctx.disabled}
        spellCheck={false}
        onChange={(e) => onText(e.target.value)}
      />
      {p.path !== undefined ? <Problems ctx={p.ctx} path={p.path} /> : null}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Rules.

function RuleEditor(p: {
  ctx: Ctx;
  index: number;
  count: number;
  rule: Rule;
  segments: Segment[];
  onChange: (r: Rule) => void;
  onMove: (to: number) => void;
  onRemove: () => void;
}) {
  const { ctx, rule, index } = p;
  const n = index + 1;
  const at = `rules[${index}]`;
  const setConditions = (conditions: Condition[]) => p.onChange({ ...rule, conditions });
  return (
    <fieldset style={box} {...groupAttrs(ctx, at)}>
      <legend>
        Rule {n}
        {rule.description ? `: ${rule.description}` : ''}
      </legend>
      <div className="stack">
        <div className="row">
          <button type="button" disabled={ctx.disabled || index === 0} onClick={() => p.onMove(index - 1)}>
            Move rule {n} up
          </button>
          <button type="button" disabled={ctx.disabled || index === p.count - 1} onClick={() => p.onMove(index + 1)}>
            Move rule {n} down
          </button>
          <button type="button" className="danger" disabled={ctx.disabled} onClick={p.onRemove}>
            Remove rule {n}
          </button>
        </div>
        <Problems ctx={ctx} path={at} />
        <label htmlFor={fieldIdOf(`${at}.description`)}>Rule {n} description</label>
        <input
          {...fieldAttrs(ctx, `${at}.description`)}
          type="text"
          value={rule.description ?? ''}
          disabled={ctx.disabled}
          onChange={(e) => {
            const { description: _d, ...rest } = rule;
            p.onChange(e.target.value === '' ? rest : { ...rest, description: e.target.value });
          }}
        />
        <Problems ctx={ctx} path={`${at}.description`} />
        <fieldset style={inner} {...groupAttrs(ctx, `${at}.conditions`)}>
          <legend>Rule {n} conditions (all must hold)</legend>
          <Problems ctx={ctx} path={`${at}.conditions`} />
          {rule.conditions.length === 0 ? <p className="muted">No conditions: every context matches.</p> : null}
          {rule.conditions.map((cond, j) => (
            <ConditionEditor
              key={j}
              ctx={ctx}
              path={`${at}.conditions[${j}]`}
              name={`Rule ${n} condition ${j + 1}`}
              condition={cond}
              segments={p.segments}
              onChange={(x) => setConditions(replaceItem(rule.conditions, j, x))}
              onRemove={() => setConditions(removeItem(rule.conditions, j))}
            />
          ))}
          <div className="row">
            <button
              type="button"
              disabled={ctx.disabled}
              onClick={() => setConditions([...rule.conditions, { attribute: '', op: 'in', values: [] }])}
            >
              Add a condition to rule {n}
            </button>
          </div>
        </fieldset>
        <ServeEditor
          ctx={ctx}
          path={`${at}.serve`}
          legend={`Rule ${n} serves`}
          value={rule.serve}
          onChange={(serve) => p.onChange({ ...rule, serve })}
        />
      </div>
    </fieldset>
  );
}

function ConditionEditor(p: {
  ctx: Ctx;
  path: string;
  name: string;
  condition: Condition;
  segments: Segment[];
  onChange: (c: Condition) => void;
  onRemove: () => void;
}) {
  const { ctx, path, condition } = p;
  const segmentOp = isSegmentOperator(condition.op);
  return (
    <fieldset style={{ ...box, background: 'var(--bg)' }} {...groupAttrs(ctx, path)}>
      <legend>{p.name}</legend>
      <Problems ctx={ctx} path={path} />
      <div className="row" style={{ alignItems: 'flex-start' }}>
        {!segmentOp ? (
          <div className="stack">
            <label htmlFor={fieldIdOf(`${path}.attribute`)}>Attribute</label>
            <input
              {...fieldAttrs(ctx, `${path}.attribute`)}
              type="text"
              placeholder="e.g. plan or user.country"
              value={condition.attribute}
              disabled={ctx.disabled}
              spellCheck={false}
              onChange={(e) => p.onChange({ ...condition, attribute: e.target.value })}
            />
            <Problems ctx={ctx} path={`${path}.attribute`} />
          </div>
        ) : null}
        <div className="stack">
          <label htmlFor={fieldIdOf(`${path}.op`)}>Operator</label>
          <select
            {...fieldAttrs(ctx, `${path}.op`)}
            value={condition.op}
            disabled={ctx.disabled}
            onChange={(e) => p.onChange(changeOperator(condition, e.target.value as Operator))}
          >
            {OPERATORS.map((op) => (
              <option key={op} value={op}>
                {OPERATOR_LABELS[op]}
              </option>
            ))}
          </select>
          <Problems ctx={ctx} path={`${path}.op`} />
        </div>
        {segmentOp ? (
          <SegmentPicker
            ctx={ctx}
            path={`${path}.values`}
            values={condition.values}
            segments={p.segments}
            onChange={(values) => p.onChange({ ...condition, values })}
          />
        ) : (
          <ValuesInput
            ctx={ctx}
            path={`${path}.values`}
            condition={condition}
            onChange={(values) => p.onChange({ ...condition, values })}
          />
        )}
        <div className="stack">
          <span aria-hidden="true">&nbsp;</span>
          <button type="button" disabled={ctx.disabled} onClick={p.onRemove}>
            Remove {p.name.toLowerCase()}
          </button>
        </div>
      </div>
    </fieldset>
  );
}

function ValuesInput(p: { ctx: Ctx; path: string; condition: Condition; onChange: (v: Condition['values']) => void }) {
  const { ctx, path, condition } = p;
  const kind = valueKindOf(condition.op);
  const [numeric, setNumeric] = useState(() => valuesAreNumbers(condition.values));
  const [text, onText] = useBuffered(
    condition.values,
    formatValues,
    (t) => parseValues(t, kind, numeric),
    p.onChange,
    valuesIdentity,
  );
  const hintId = `${fieldIdOf(path)}-hint`;
  return (
    <div className="stack" style={{ flex: '1 1 16rem' }}>
      <label htmlFor={fieldIdOf(path)}>Values</label>
      <textarea
        {...fieldAttrs(ctx, path, hintId)}
        className="code"
        rows={Math.min(6, Math.max(2, condition.values.length + 1))}
        value={text}
        disabled={ctx.disabled}
        spellCheck={false}
        onChange={(e) => onText(e.target.value)}
      />
      <p className="hint" id={hintId}>
        {VALUE_HINTS[kind]}
      </p>
      {kind === 'textOrNumber' ? (
        <label className="row">
          <input
            type="checkbox"
            checked={numeric}
            disabled={ctx.disabled}
            onChange={(e) => {
              setNumeric(e.target.checked);
              p.onChange(parseValues(formatValues(condition.values), kind, e.target.checked));
            }}
          />
          Compare as numbers
        </label>
      ) : null}
      <Problems ctx={ctx} path={path} />
    </div>
  );
}

/** Values as text, with numbers and strings told apart (so `1` -> `"1"` counts as a change). */
function valuesIdentity(values: Condition['values']): string {
  return values.map((v) => (typeof v === 'number' ? `#${v}` : `$${v}`)).join('\n');
}

function SegmentPicker(p: {
  ctx: Ctx;
  path: string;
  values: Condition['values'];
  segments: Segment[];
  onChange: (v: Condition['values']) => void;
}) {
  const { ctx, path } = p;
  const chosen = p.values.map(String);
  const keys = [...p.segments.map((s) => s.key), ...chosen.filter((k) => !p.segments.some((s) => s.key === k))];
  const toggle = (key: string, on: boolean) =>
    p.onChange(on ? [...chosen.filter((k) => k !== key), key] : chosen.filter((k) => k !== key));
  return (
    <fieldset style={{ border: 0, padding: 0, margin: 0, flex: '1 1 16rem' }} {...groupAttrs(ctx, path)}>
      <legend>Segments</legend>
      {keys.length === 0 ? <p className="muted">This environment has no segments yet.</p> : null}
      {keys.map((key, k) => {
        const segment = p.segments.find((s) => s.key === key);
        const inputId = `${fieldIdOf(path)}-${k}`;
        return (
          <div key={key} className="row">
            <input
              id={inputId}
              type="checkbox"
              checked={chosen.includes(key)}
              disabled={ctx.disabled}
              aria-invalid={ctx.problems.has(path) ? true : undefined}
              onChange={(e) => toggle(key, e.target.checked)}
            />
            <label htmlFor={inputId}>
              {key}
              {segment === undefined ? ' (unknown segment)' : segment.description ? ` — ${segment.description}` : ''}
            </label>
          </div>
        );
      })}
      <Problems ctx={ctx} path={path} />
    </fieldset>
  );
}

// ---------------------------------------------------------------------------------------------
// What a rule or the default rule serves.

function ServeEditor(p: { ctx: Ctx; path: string; legend: string; value: Serve; onChange: (s: Serve) => void }) {
  const { ctx, path, value } = p;
  const isSplit = 'split' in value;
  const radio = `${fieldIdOf(path)}-kind`;
  return (
    <fieldset style={inner} {...groupAttrs(ctx, path)}>
      <legend>{p.legend}</legend>
      <Problems ctx={ctx} path={path} />
      <div className="row">
        <input
          type="radio"
          id={`${radio}-variant`}
          name={radio}
          checked={!isSplit}
          disabled={ctx.disabled}
          onChange={() =>
            p.onChange({ variant: isSplit ? (value.split[0]?.variant ?? ctx.variants[0] ?? '') : value.variant })
          }
        />
        <label htmlFor={`${radio}-variant`}>One variant</label>
        <input
          type="radio"
          id={`${radio}-split`}
          name={radio}
          checked={isSplit}
          disabled={ctx.disabled}
          onChange={() => {
            if (isSplit) return;
            const order = [value.variant, ...ctx.variants.filter((v) => v !== value.variant)].filter((v) => v !== '');
            p.onChange({ split: evenSplit(order.slice(0, 2)) });
          }}
        />
        <label htmlFor={`${radio}-split`}>A percentage split</label>
      </div>
      {isSplit ? (
        <SplitEditor
          ctx={ctx}
          path={`${path}.split`}
          split={value.split}
          name={p.legend}
          onChange={(split) => p.onChange({ split })}
        />
      ) : (
        <div className="row">
          <label htmlFor={fieldIdOf(`${path}.variant`)}>{p.legend}: variant</label>
          <select
            {...fieldAttrs(ctx, `${path}.variant`)}
            value={value.variant}
            disabled={ctx.disabled}
            onChange={(e) => p.onChange({ variant: e.target.value })}
          >
            <VariantOptions variants={ctx.variants} current={value.variant} />
          </select>
          <Problems ctx={ctx} path={`${path}.variant`} />
        </div>
      )}
    </fieldset>
  );
}

function SplitEditor(p: {
  ctx: Ctx;
  path: string;
  name: string;
  split: WeightedVariant[];
  onChange: (s: WeightedVariant[]) => void;
}) {
  const { ctx, path, split } = p;
  const total = splitTotal(split);
  const complete = total === TOTAL_WEIGHT && split.every((s) => Number.isInteger(s.weight));
  const sumId = `${fieldIdOf(path)}-total`;
  return (
    <div className="stack" {...groupAttrs(ctx, path, sumId)} role="group" aria-label={`${p.name}: split`}>
      <Problems ctx={ctx} path={path} />
      <p className="hint">
        Buckets are handed out in this order: list the new variant first, so raising its share keeps everyone who
        already had it.
      </p>
      {split.map((slice, k) => (
        <SliceRow
          key={k}
          ctx={ctx}
          path={`${path}[${k}]`}
          n={k + 1}
          count={split.length}
          slice={slice}
          totalId={sumId}
          onChange={(s) => p.onChange(replaceItem(split, k, s))}
          onMove={(to) => p.onChange(moveItem(split, k, to))}
          onRemove={() => p.onChange(removeItem(split, k))}
        />
      ))}
      <p id={sumId} className={complete ? 'ok' : 'error'} data-testid="split-total">
        Total: {Number.isFinite(total) ? weightToPercent(total) : '?'}%
        {complete ? '' : ' — the slices must add up to exactly 100%.'}
      </p>
      <div className="row">
        <button
          type="button"
          disabled={ctx.disabled}
          onClick={() => {
            const unused = ctx.variants.find((v) => !split.some((s) => s.variant === v)) ?? ctx.variants[0] ?? '';
            p.onChange([...split, { variant: unused, weight: Math.max(0, TOTAL_WEIGHT - total) }]);
          }}
        >
          Add a slice
        </button>
      </div>
    </div>
  );
}

function SliceRow(p: {
  ctx: Ctx;
  path: string;
  n: number;
  count: number;
  slice: WeightedVariant;
  totalId: string;
  onChange: (s: WeightedVariant) => void;
  onMove: (to: number) => void;
  onRemove: () => void;
}) {
  const { ctx, path, slice, n } = p;
  const [text, onText] = useBuffered(slice.weight, formatPercent, parsePercent, (weight) =>
    p.onChange({ ...slice, weight }),
  );
  const weightAttrs = fieldAttrs(ctx, `${path}.weight`, p.totalId);
  return (
    <div className="stack">
      <div className="row">
        <label htmlFor={fieldIdOf(`${path}.variant`)}>Slice {n} variant</label>
        <select
          {...fieldAttrs(ctx, `${path}.variant`)}
          value={slice.variant}
          disabled={ctx.disabled}
          onChange={(e) => p.onChange({ ...slice, variant: e.target.value })}
        >
          <VariantOptions variants={ctx.variants} current={slice.variant} />
        </select>
        <label htmlFor={weightAttrs.id}>Slice {n} percent</label>
        <input
          {...weightAttrs}
          type="text"
          inputMode="decimal"
          size={8}
          value={text}
          disabled={ctx.disabled}
          aria-invalid={weightAttrs['aria-invalid'] ?? (Number.isFinite(slice.weight) ? undefined : true)}
          onChange={(e) => onText(e.target.value)}
        />
        <span aria-hidden="true">%</span>
        <button type="button" disabled={ctx.disabled || n === 1} onClick={() => p.onMove(n - 2)}>
          Move slice {n} up
        </button>
        <button type="button" disabled={ctx.disabled || n === p.count} onClick={() => p.onMove(n)}>
          Move slice {n} down
        </button>
        <button type="button" disabled={ctx.disabled || p.count === 1} onClick={p.onRemove}>
          Remove slice {n}
        </button>
      </div>
      <Problems ctx={ctx} path={`${path}.variant`} />
      <Problems ctx={ctx} path={`${path}.weight`} />
      <Problems ctx={ctx} path={path} />
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// bucketBy.

function BucketBy(p: { ctx: Ctx; value: string | undefined; onChange: (v: string | undefined) => void }) {
  const { ctx } = p;
  const hintId = `${fieldIdOf('bucketBy')}-hint`;
  return (
    <div className="stack">
      <label htmlFor={fieldIdOf('bucketBy')}>Bucket splits by attribute</label>
      <input
        {...fieldAttrs(ctx, 'bucketBy', hintId)}
        type="text"
        placeholder="targetingKey"
        value={p.value ?? ''}
        disabled={ctx.disabled}
        spellCheck={false}
        onChange={(e) => p.onChange(e.target.value === '' ? undefined : e.target.value)}
      />
      <p className="hint" id={hintId}>
        Empty means targetingKey. Use e.g. orgId to move a whole organisation together.
      </p>
      <Problems ctx={ctx} path="bucketBy" />
    </div>
  );
}
