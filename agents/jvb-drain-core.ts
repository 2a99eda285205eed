/**
 * The pure core of agents/jvb-drain.ts (no I/O of its own): the per-poll decision of a drain, the drain loop over
 * injected collaborators (clock, colibri client, lifecycle client), and the small rules around it (Spot and
 * drain-age caps, JVB drain mode following the scaler's tag). Tests run it in seconds with a fake bridge.
 */

// ---------------------------------------------------------------------------------------------------------------
// Pure core

export interface DrainConfig {
  /** Give up waiting for participants after this long and let the instance go (default 3600 s, 8x8's 1 h). */
  readonly maxDrainMs: number;
  /** Interval between two colibri stats polls. */
  readonly pollMs: number;
  /** Interval between two lifecycle heartbeats; must stay below the hook's heartbeat timeout. */
  readonly heartbeatMs: number;
  /** Consecutive failed stats polls after which the bridge is taken as gone (it exits after graceful shutdown). */
  readonly unreachableLimit: number;
}

export interface DrainState {
  readonly startedAt: number;
  readonly lastHeartbeatAt: number;
  /** Consecutive failed polls. */
  readonly failures: number;
  /** Last participant count seen (undefined before the first successful poll). */
  readonly lastParticipants?: number;
  readonly completed: boolean;
}

export type CompleteReason = "empty" | "cap" | "bridge-gone";
export type DrainAction =
  | { readonly kind: "wait" }
  | { readonly kind: "heartbeat" }
  | { readonly kind: "complete"; readonly reason: CompleteReason; readonly participants: number | undefined };

export function initialDrainState(now: number): DrainState {
  return { startedAt: now, lastHeartbeatAt: now, failures: 0, completed: false };
}

/**
 * What to do after one stats poll (`participants` undefined when the poll failed). Completion wins over a
 * heartbeat; a bridge that stopped answering after graceful shutdown has no participants left to protect.
 */
export function nextDrainAction(state: DrainState, participants: number | undefined, now: number, cfg: DrainConfig): { action: DrainAction; state: DrainState } {
  if (state.completed) throw new Error("drain already completed");
  const failures = participants === undefined ? state.failures + 1 : 0;
  const lastParticipants = participants ?? state.lastParticipants;
  const next: DrainState = { ...state, failures, lastParticipants };
  const done = (reason: CompleteReason) => ({ action: { kind: "complete", reason, participants: lastParticipants } as const, state: { ...next, completed: true } });
  if (participants === 0) return done("empty");
  if (failures >= cfg.unreachableLimit) return done("bridge-gone");
  if (now - state.startedAt >= cfg.maxDrainMs) return done("cap");
  if (now - state.lastHeartbeatAt >= cfg.heartbeatMs) return { action: { kind: "heartbeat" }, state: { ...next, lastHeartbeatAt: now } };
  return { action: { kind: "wait" }, state: next };
}

/** Local participants from a /colibri/stats body: relay (Octo) endpoints live on other bridges and do not count. */
export function localParticipants(stats: Record<string, unknown>): number {
  const num = (k: string) => (typeof stats[k] === "number" ? (stats[k] as number) : undefined);
  const local = num("local_endpoints");
  if (local !== undefined) return Math.max(0, local);
  const all = num("participants");
  if (all === undefined) throw new Error("colibri stats have neither local_endpoints nor participants");
  return Math.max(0, all - (num("octo_endpoints") ?? 0));
}

// ---------------------------------------------------------------------------------------------------------------
// Collaborators

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
export const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export interface ColibriClient {
  startGracefulShutdown(): Promise<void>;
  localParticipants(): Promise<number>;
  /** JVB drain mode (GET /colibri/drain): no new conferences while on. */
  drainMode(): Promise<boolean>;
  setDrainMode(on: boolean): Promise<void>;
}

export interface LifecycleClient {
  heartbeat(): Promise<void>;
  complete(): Promise<void>;
}

export type Log = (event: string, fields?: Record<string, unknown>) => void;
export const jsonLog: Log = (event, fields = {}) => console.log(JSON.stringify({ event, ...fields }));

/** Log event name of a drain that ended with participants still on the bridge (a metric filter can count it). */
export const DRAIN_CUT_EVENT = "jvb-drain-cut";

// ---------------------------------------------------------------------------------------------------------------
// The drain loop

export interface DrainResult {
  readonly reason: CompleteReason;
  readonly participantsLeft: number | undefined;
  readonly drainedMs: number;
  readonly heartbeats: number;
  readonly completedAction: boolean;
}

export async function runDrain(deps: { colibri: ColibriClient; lifecycle: LifecycleClient; clock: Clock; log: Log }, cfg: DrainConfig): Promise<DrainResult> {
  const { colibri, lifecycle, clock, log } = deps;
  try {
    await colibri.startGracefulShutdown();
    log("jvb-drain-started");
  } catch (e) {
    // Still poll: a bridge that is down has nothing to drain, and unreachableLimit completes the action.
    log("jvb-drain-shutdown-failed", { error: String(e) });
  }
  let state = initialDrainState(clock.now());
  let heartbeats = 0;
  // Bounded: the cap ends the loop after maxDrainMs / pollMs polls; the slack covers slow polls.
  const maxPolls = Math.ceil(cfg.maxDrainMs / cfg.pollMs) + cfg.unreachableLimit + 2;
  for (let i = 0; i < maxPolls; i++) {
    let participants: number | undefined;
    try {
      participants = await colibri.localParticipants();
    } catch (e) {
      log("jvb-drain-stats-failed", { error: String(e) });
    }
    const step = nextDrainAction(state, participants, clock.now(), cfg);
    state = step.state;
    const a = step.action;
    if (a.kind === "heartbeat") {
      try {
        await lifecycle.heartbeat();
        heartbeats++;
      } catch (e) {
        log("jvb-drain-heartbeat-failed", { error: String(e) });
      }
    } else if (a.kind === "complete") {
      return finish(a.reason, a.participants);
    }
    await clock.sleep(cfg.pollMs);
  }
  return finish("cap", state.lastParticipants);

  async function finish(reason: CompleteReason, participantsLeft: number | undefined): Promise<DrainResult> {
    const drainedMs = clock.now() - state.startedAt;
    if (reason === "cap" && (participantsLeft ?? 1) > 0)
      log(DRAIN_CUT_EVENT, { participants: participantsLeft ?? null, drainedSeconds: Math.round(drainedMs / 1000) });
    let completedAction = false;
    try {
      await lifecycle.complete();
      completedAction = true;
      log("jvb-drain-completed", { reason, participants: participantsLeft ?? null, drainedSeconds: Math.round(drainedMs / 1000) });
    } catch (e) {
      // A Spot notice can come without a pending lifecycle action (ValidationError): nothing to complete.
      log("jvb-drain-complete-failed", { reason, error: String(e) });
    }
    return { reason, participantsLeft, drainedMs, heartbeats, completedAction };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Caps and drain mode

/** Why the instance is going away. `deadlineMs` (Spot) = when EC2 reclaims it. */
export type Termination = { readonly kind: "lifecycle" } | { readonly kind: "spot"; readonly deadlineMs: number };

/** The least time a terminated bridge gets for its graceful shutdown, even past the drain budget (1 min). */
export const HANDOVER_MS = 60_000;

/**
 * The drain cap for a trigger. maxDrainMs counts from when the scaler first put the bridge in drain mode (its
 * tag), so drain mode and graceful shutdown together stay within it; a bridge terminated at the scaler's cap
 * still gets HANDOVER_MS. For Spot: never past the reclaim time minus a margin.
 */
export function capFor(t: Termination, nowMs: number, maxDrainMs: number, drainStartedS?: number, spotMarginMs = 15_000): number {
  const drained = drainStartedS === undefined ? 0 : Math.max(0, nowMs - drainStartedS * 1000);
  const left = Math.max(Math.min(HANDOVER_MS, maxDrainMs), maxDrainMs - drained);
  return t.kind === "spot" ? Math.max(0, Math.min(left, t.deadlineMs - nowMs - spotMarginMs)) : left;
}

/** What to do so JVB's drain mode follows the scaler's tag; undefined when in step or unknown. */
export function drainModeChange(tagged: boolean | undefined, jvbDrain: boolean | undefined): "enable" | "disable" | undefined {
  if (tagged === undefined || jvbDrain === undefined || tagged === jvbDrain) return undefined;
  return tagged ? "enable" : "disable";
}

