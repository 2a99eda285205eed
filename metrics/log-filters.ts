/**
 * Metrics made from log lines by CloudWatch Logs metric filters (components/monitoring creates them on the
 * service's log group). Pure data plus a small matcher for the subset of the filter-pattern syntax used
 * here (quoted terms must all appear; a term prefixed with '-' must not), so tests can run the real
 * pattern over real captured log lines.
 */
import { type MetricDef, TURN_METRICS } from "./catalog";

export interface LogMetricFilterDef {
  /** Which service's log group (render/cloudwatch-agent.ts LOG_SERVICES key). */
  readonly service: "coturn";
  readonly key: string;
  /** CloudWatch Logs filter pattern. */
  readonly pattern: string;
  readonly metric: MetricDef;
  /** Value emitted per matching line. */
  readonly value: string;
}

export const LOG_METRIC_FILTERS: readonly LogMetricFilterDef[] = [
  {
    service: "coturn",
    key: "turn-allocations-created",
    // coturn (ns_turn_server.c log_method, with `verbose`): "... incoming packet ALLOCATE processed, success".
    pattern: '"ALLOCATE processed, success"',
    metric: TURN_METRICS.allocationsCreated,
    value: "1",
  },
  {
    service: "coturn",
    key: "turn-allocation-failures",
    // coturn (ns_turn_server.c log_method, with `verbose`): "... incoming packet ALLOCATE processed, error 486: ...".
    // 401 is the challenge every client gets before authenticating: not a failure.
    pattern: '"ALLOCATE processed, error" -"error 401"',
    metric: TURN_METRICS.allocationFailures,
    value: "1",
  },
];

/** Evaluates the quoted-term subset of the filter syntax against one log line. */
export function matchesTermPattern(pattern: string, line: string): boolean {
  const terms = [...pattern.matchAll(/(-?)"([^"]*)"|(-?)(\S+)/g)].map((m) => ({ exclude: (m[1] || m[3]) === "-", text: m[2] ?? m[4] }));
  return terms.every((t) => line.includes(t.text) !== t.exclude);
}
