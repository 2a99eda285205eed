/**
 * When to tear the load-test grid down: once `maxDurationMinutes` have passed since the run started, the node
 * group goes to zero and the hub is stopped, whatever the test is doing (a forgotten grid of 50 c5.xlarge costs
 * ~$200 a day). Pure: the clock and the observed state are passed in; imports nothing from AWS or Pulumi.
 */

export interface GridState {
  /** The node group's DesiredCapacity and MinSize. */
  readonly nodeDesired: number;
  readonly nodeMin: number;
  /** EC2 state name of the hub (pending, running, stopping, stopped, shutting-down, terminated), or "missing". */
  readonly hubState: string;
}

export type TeardownAction = "scale-nodes-to-zero" | "stop-hub";

export interface TeardownDecision {
  /** `wait`: before the deadline; `teardown`: act now; `done`: deadline passed and nothing is left running. */
  readonly status: "wait" | "teardown" | "done";
  readonly actions: TeardownAction[];
  /** Seconds until the deadline (0 once passed). */
  readonly remainingSeconds: number;
  readonly deadline: Date;
  readonly reason: string;
}

/** Limits mirrored by config/sections/loadtest.ts (maxDurationMinutes 10..480). */
export const TEARDOWN_LIMITS = { minMinutes: 10, maxMinutes: 480 } as const;

export function decideTeardown(now: Date, startedAt: Date, maxDurationMinutes: number, state: GridState): TeardownDecision {
  if (!Number.isFinite(now.getTime())) throw new Error("now must be a valid date");
  if (!Number.isFinite(startedAt.getTime())) throw new Error("startedAt must be a valid date");
  if (!Number.isInteger(maxDurationMinutes) || maxDurationMinutes < TEARDOWN_LIMITS.minMinutes || maxDurationMinutes > TEARDOWN_LIMITS.maxMinutes)
    throw new Error(`maxDurationMinutes must be a whole number from ${TEARDOWN_LIMITS.minMinutes} to ${TEARDOWN_LIMITS.maxMinutes}, got ${maxDurationMinutes}`);
  const deadline = new Date(startedAt.getTime() + maxDurationMinutes * 60_000);
  const remainingSeconds = Math.max(0, Math.ceil((deadline.getTime() - now.getTime()) / 1000));
  if (remainingSeconds > 0) return { status: "wait", actions: [], remainingSeconds, deadline, reason: `${remainingSeconds} s until the teardown at ${deadline.toISOString()}` };
  const actions: TeardownAction[] = [];
  if (state.nodeDesired > 0 || state.nodeMin > 0) actions.push("scale-nodes-to-zero");
  // A hub still booting is stopped too; one already stopping/stopped/gone needs nothing.
  if (state.hubState === "running" || state.hubState === "pending") actions.push("stop-hub");
  if (actions.length === 0) return { status: "done", actions, remainingSeconds: 0, deadline, reason: "past the deadline; nodes at 0 and hub not running" };
  return { status: "teardown", actions, remainingSeconds: 0, deadline, reason: `maxDurationMinutes (${maxDurationMinutes}) reached at ${deadline.toISOString()}` };
}

/** Tag an operator may set on the node group to re-arm a torn-down grid for a new run (ISO 8601 time). */
export const STARTED_AT_TAG = "jitsi:loadtest-started-at";

/** The run's start: the re-arm tag when present and valid, else the node group's creation time. */
export function runStartedAt(groupCreated: Date, tags: Readonly<Record<string, string>>): Date {
  const t = tags[STARTED_AT_TAG];
  if (t !== undefined) {
    const d = new Date(t);
    if (Number.isFinite(d.getTime()) && d.getTime() > groupCreated.getTime()) return d;
  }
  return groupCreated;
}
