/**
 * One region's Jibri pool in the simulation. A recording needs an IDLE recorder at its start (else it is a failed
 * start); the recorder is busy for the recording, then uploads (uploadSeconds), then restarts (single-use mode,
 * jitsi-facts.md) and is idle again. Policies:
 * - `default`: the shipped functions/jibri-replenisher/decide.ts (decideJibriPool), fed what its Lambda sees.
 * - `static-peak`: as many recorders as the trace's peak of simultaneous recorders (recording + upload + restart).
 * - `jitsi-autoscaler` (jitsi-facts.md; src/autoscaler.ts): metric = idle recorders per 60 s period; +1 when every
 *   one of the last 5 periods is below the target, −1 when every one of the last 20 is above 1; nothing while
 *   desired ≠ instances; 300 s grace after a change; victims provisioning → idle, never busy.
 * - `jitsi-aws-template` (jitsi-facts.md): metric `jibri_available`: < 8 for 2 min → +3, > 5 for 10 min → −1,
 *   cooldown 600 s; a busy Jibri protects itself from scale-in.
 * Recorder metrics for the baselines are visible after the metric delay; faults do not touch recorders.
 */
import {
  decideJibriPool, PoolSnapshot, RecorderInstance, RecorderPhase, ReplenishTarget, startHistorySeconds,
} from "../functions/jibri-replenisher/decide";
import { SimConfig, uploadSeconds } from "./config";
import { EventQueue } from "./heap";
import { upperBound } from "../functions/sorted";
import { WarmPool } from "./warm-pool";
import { Recording } from "./workload";

type Phase = "booting" | "idle" | "busy" | "uploading" | "restarting" | "gone";

interface SimRecorder {
  readonly id: string;
  readonly launchS: number;
  phase: Phase;
  phaseSince: number;
  protectedFromScaleIn: boolean;
  endS?: number;
}

export class RecorderPool {
  readonly recorders: SimRecorder[] = [];
  desired = 0;
  failedStarts = 0;
  scalingActions = 0;
  cutRecordings = 0;
  readonly starts: number[] = [];
  /** When the region's meetings were created (Jicofo's conferences created), sorted; see setMeetingStarts. */
  private meetingTimes: readonly number[] = [];
  /** Idle recorders per minute (NaN = not yet published). */
  readonly idleSeries: Float64Array;
  private nextId = 0;
  /** The group's warm pool (JibriPool `warmPool`): stopped recorders, set up (boot and reboot done). */
  private warmPool = new WarmPool(0, 0, () => "");

  constructor(readonly region: string, readonly cfg: SimConfig, readonly queue: EventQueue, readonly endS: number) {
    this.idleSeries = new Float64Array(Math.ceil(endS / 60) + 2).fill(NaN);
  }

  /** The region's meeting creation times (every conference, P2P calls included: Jicofo creates each one). */
  setMeetingStarts(times: readonly number[]): void {
    this.meetingTimes = [...times].sort((a, b) => a - b);
  }

  live(): SimRecorder[] {
    return this.recorders.filter((r) => r.phase !== "gone");
  }

  /** `n` idle recorders at t = 0 and a warm pool of `warmPool` prepared ones (their boots billed). */
  startWith(n: number, warmPool = 0): void {
    this.desired = n;
    for (let i = 0; i < n; i++) this.launch(0, true);
    this.warmPool = new WarmPool(warmPool, this.cfg.recorderBootS, () => `${this.region}-jw${this.nextId++}`);
  }

  /** Seconds billed while warm-pool recorders boot before they stop (the pool's fill and every refill). */
  get warmPrepSeconds(): number {
    return this.warmPool.prepSeconds;
  }

  setDesired(n: number, nowS: number): void {
    if (n === this.desired) return;
    this.scalingActions++;
    this.desired = Math.max(0, n);
    this.reconcile(nowS);
  }

  /** Terminates one recorder; `decrement` shrinks the pool, otherwise the ASG replaces it. */
  terminate(r: SimRecorder, nowS: number, decrement: boolean): void {
    if (r.phase === "gone") return;
    if (r.phase === "busy") this.cutRecordings++;
    r.phase = "gone";
    r.endS = nowS;
    if (decrement) {
      this.desired--;
      this.scalingActions++;
    }
    this.reconcile(nowS);
  }

  reconcile(nowS: number): void {
    let live = this.live();
    while (live.length < this.desired) {
      this.launch(nowS);
      live = this.live();
    }
    while (live.length > this.desired) {
      const victim = live.filter((r) => !r.protectedFromScaleIn && (r.phase === "booting" || r.phase === "idle")).sort((a, b) => a.launchS - b.launchS)[0];
      if (!victim) break;
      victim.phase = "gone";
      victim.endS = nowS;
      live = this.live();
    }
  }

  private launch(nowS: number, readyNow = false): void {
    const r: SimRecorder = { id: `${this.region}-j${this.nextId++}`, launchS: nowS, phase: readyNow ? "idle" : "booting", phaseSince: nowS, protectedFromScaleIn: false };
    this.recorders.push(r);
    if (readyNow) return;
    // A prepared warm-pool recorder starts and Jibri comes up; otherwise a cold boot.
    const readyS = nowS + (this.warmPool.take(nowS) ? this.cfg.recorderWarmStartS : this.cfg.recorderBootS);
    this.queue.push(readyS, () => {
      if (r.phase === "booting") this.enter(r, "idle", readyS);
    });
  }

  private enter(r: SimRecorder, phase: Phase, nowS: number): void {
    r.phase = phase;
    r.phaseSince = nowS;
    // The agent on the host protects a busy recorder (jitsi-facts.md: "a busy Jibri sets scale-in protection").
    r.protectedFromScaleIn = phase === "busy" || phase === "uploading" || phase === "restarting";
  }

  /** A recording starts now: it needs an idle recorder (the longest idle). */
  record(rec: Recording, nowS: number): void {
    const idle = this.recorders.filter((r) => r.phase === "idle").sort((a, b) => a.phaseSince - b.phaseSince);
    if (idle.length === 0) {
      this.failedStarts++;
      return;
    }
    const r = idle[0];
    this.starts.push(nowS);
    this.enter(r, "busy", nowS);
    const done = nowS + rec.durationS;
    const uploaded = done + uploadSeconds(this.cfg, rec.durationS);
    const restarted = uploaded + this.cfg.recorderRestartS;
    this.queue.push(done, () => r.phase === "busy" && this.enter(r, "uploading", done));
    this.queue.push(uploaded, () => r.phase === "uploading" && this.enter(r, "restarting", uploaded));
    this.queue.push(restarted, () => r.phase === "restarting" && this.enter(r, "idle", restarted));
  }

  publish(nowS: number): void {
    this.idleSeries[Math.floor(nowS / 60)] = this.recorders.filter((r) => r.phase === "idle").length;
  }

  /** Idle count of the minute `ago` minutes before the newest visible one. */
  visibleIdle(nowS: number, ago: number): number | undefined {
    const m = Math.floor((nowS - this.cfg.metricDelayS) / 60) - ago;
    if (m < 0) return undefined;
    const v = this.idleSeries[m];
    return Number.isNaN(v) ? undefined : v;
  }

  finish(nowS: number): void {
    for (const r of this.recorders) if (r.phase !== "gone") r.endS = nowS;
  }

  /** What the replenisher's handler reads: the instances, and the starts of the last `historyS` (metric + tags). */
  snapshot(maxSize: number, nowS: number, historyS: number): PoolSnapshot {
    const phaseOf = (p: Phase): RecorderPhase => (p === "restarting" ? "uploading" : p === "gone" ? "leaving" : p);
    const recorders: RecorderInstance[] = this.live().map((r) => ({
      id: r.id, phase: phaseOf(r.phase), launchedAt: r.launchS, phaseSince: r.phaseSince, protectedFromScaleIn: r.protectedFromScaleIn,
    }));
    // DescribeWarmPool as the handler maps it: a prepared recorder is "warm"; one still booting to stop
    // (Warmed:Pending) is "leaving", not capacity.
    for (const w of this.warmPool.list(nowS))
      recorders.push({ id: w.id, phase: w.prepared ? "warm" : "leaving", launchedAt: w.launchS, phaseSince: w.launchS, protectedFromScaleIn: false });
    let i = this.starts.length;
    while (i > 0 && this.starts[i - 1] > nowS - historyS) i--;
    // Meetings as the shards publish them: per minute, visible a metric delay after the minute ends.
    const throughS = Math.floor((nowS - this.cfg.metricDelayS) / 60) * 60;
    const at = (x: number): number => upperBound(this.meetingTimes, x, (t) => t);
    const times = this.meetingTimes.slice(at(throughS - historyS), at(throughS));
    return { desiredCapacity: this.desired, minSize: 0, maxSize, recorders, recentStarts: this.starts.slice(i), meetingStarts: { times, throughS } };
  }

  byId(id: string): SimRecorder | undefined {
    return this.recorders.find((r) => r.id === id && r.phase !== "gone");
  }
}

export interface RecorderRunner {
  readonly name: string;
  readonly initial: number;
  /** Runs on the shipped stack's group, with its warm pool (SimOptions.jibriWarmPool); the baselines' have none. */
  readonly warmPool?: boolean;
  tick(pool: RecorderPool, nowS: number): void;
}

export function defaultRecorderRunner(target: ReplenishTarget): RecorderRunner {
  return {
    name: "default",
    initial: target.idleTarget,
    warmPool: true,
    tick(pool, nowS) {
      const d = decideJibriPool(pool.snapshot(target.maxInstances, nowS, startHistorySeconds(target) + target.leadTimeSeconds), target, nowS);
      for (const a of d.actions) {
        if (a.kind === "setDesired") pool.setDesired(a.desired, nowS);
        else if (a.kind === "terminate") {
          const r = pool.byId(a.instanceId);
          if (r) pool.terminate(r, nowS, a.decrementDesired);
        } else {
          const r = pool.byId(a.instanceId);
          if (r) r.protectedFromScaleIn = a.kind === "protect";
        }
      }
    },
  };
}

export function staticRecorderRunner(peak: number): RecorderRunner {
  return { name: "static-peak", initial: peak, tick: () => undefined };
}

export function autoscalerRecorderRunner(idleTarget: number, max: number): RecorderRunner {
  let graceUntil = -Infinity;
  return {
    name: "jitsi-autoscaler",
    initial: idleTarget,
    tick(pool, nowS) {
      const count = pool.live().length;
      if (nowS < graceUntil || pool.desired !== count) return;
      const idle: number[] = [];
      for (let i = 0; i < 20; i++) {
        const v = pool.visibleIdle(nowS, i) ?? idle[idle.length - 1];
        if (v === undefined) return;
        idle.push(v);
      }
      if (idle.slice(0, 5).every((v) => v < idleTarget) && count < max) {
        pool.setDesired(pool.desired + 1, nowS);
        graceUntil = nowS + 300;
      } else if (idle.every((v) => v > 1) && count > 0) {
        const victim = pool.live().filter((r) => r.phase === "booting" || r.phase === "idle").sort((a, b) => Number(b.phase === "booting") - Number(a.phase === "booting") || a.phaseSince - b.phaseSince)[0];
        if (victim) pool.terminate(victim, nowS, true);
        graceUntil = nowS + 300;
      }
    },
  };
}

export function templateRecorderRunner(max: number): RecorderRunner {
  let cooldownUntil = -Infinity;
  return {
    name: "jitsi-aws-template",
    initial: 8,
    tick(pool, nowS) {
      if (nowS < cooldownUntil) return;
      const all = (n: number, test: (v: number) => boolean): boolean => {
        for (let i = 0; i < n; i++) {
          const v = pool.visibleIdle(nowS, i);
          if (v === undefined || !test(v)) return false;
        }
        return true;
      };
      if (all(2, (v) => v < 8) && pool.desired < max) {
        pool.setDesired(Math.min(max, pool.desired + 3), nowS);
        cooldownUntil = nowS + 600;
      } else if (all(10, (v) => v > 5) && pool.desired > 0) {
        pool.setDesired(pool.desired - 1, nowS);
        cooldownUntil = nowS + 600;
      }
    },
  };
}
