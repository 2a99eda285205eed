/**
 * References to one CloudWatch series, built only from catalogue entries: a dashboard widget or an alarm
 * cannot name a metric, or a dimension set, that nothing publishes. Generic in the dimension value type so
 * components can pass pulumi Inputs (e.g. a Lambda's name) while tests and dashboards pass strings.
 */
import { type AwsMetricDef, type HostMetricDef, type MetricDef } from "./catalog";

export type Stat = "Average" | "Sum" | "Minimum" | "Maximum" | "SampleCount";

export interface MetricRef<V = string> {
  readonly namespace: string;
  readonly name: string;
  /** Dimension name -> value; the key set is one of the catalogue entry's dimension sets. */
  readonly dimensions: Readonly<Record<string, string | V>>;
  readonly stat: Stat;
  readonly label?: string;
  /** For cross-region (global) dashboards: the region of this series. */
  readonly region?: string;
}

type AnyDef = MetricDef | HostMetricDef | AwsMetricDef;

/** True when `keys` (any order) is exactly one of the declared dimension sets. */
export function isDeclaredDimensionSet(def: Pick<AnyDef, "dimensions">, keys: readonly string[]): boolean {
  const want = [...keys].sort().join(",");
  return def.dimensions.some((set) => [...set].sort().join(",") === want);
}

/** A reference to `def` with these dimensions; throws when the dimension set is not one `def` is published with. */
export function ref<V = string>(def: AnyDef, dimensions: Readonly<Record<string, string | V>>, stat: Stat, extra: { label?: string; region?: string } = {}): MetricRef<V> {
  if (!isDeclaredDimensionSet(def, Object.keys(dimensions)))
    throw new Error(`${def.namespace}/${def.name} is not published with dimensions [${Object.keys(dimensions).join(", ")}]; declared: ${def.dimensions.map((s) => `[${s.join(", ")}]`).join(" ")}`);
  return { namespace: def.namespace, name: def.name, dimensions, stat, ...extra };
}
