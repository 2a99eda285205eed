/**
 * One region's bridge fleet in the simulation: the ASG (desired capacity, launches, AZs, lifecycle hook), the
 * bridges, Jicofo placement, CloudWatch as the scaler sees it (per-minute samples visible after the metric
 * delay) and the counters the report needs. Scaling policies (sim/bridge-policies.ts) drive it only through the
 * {@link Fleet} methods, i.e. through what a Lambda or an ASG alarm could do.
 */
import { BridgeSample } from "../functions/bridge-scaler/decide";
import { SimConfig } from "./config";
import { FaultSchedule, FaultSpec, instanceFaultTimes } from "./faults";
import { EventQueue } from "./heap";
import { correctedStress, newBridge, placeEndpoint, removeEndpoints, selectBridge, SimBridge } from "./jicofo";
import { WarmPool } from "./warm-pool";

/** How a draining bridge gets terminated. */
export interface DrainMode {
  /** Instance-side lifecycle script: completes the hook as soon as the bridge is empty (baselines). */
  readonly releaseWhenEmpty: boolean;
  /** Forced termination after this long (seconds), cutting what is left. */
  readonly capS: number;
}

export class Fleet {
  readonly bridges: SimBridge[] = [];
  desired = 0;
  lastScaleOutS?: number;
  lastScaleInS?: number;
  /** Counters for the report. */
  scalingActions = 0;
  readonly cutConferences = new Set<number>();
  /** Endpoints Jicofo's load redistribution re-invited away from bridges at its stress threshold. */
  redistributedEndpoints = 0;
  /** Conferences (and their endpoints) Jicofo re-invited on another bridge when a bridge went SHUTTING_DOWN. */
  readonly movedConferences = new Set<number>();
  movedEndpoints = 0;
  readonly faultHitConferences = new Set<number>();
  overloadedEndpointSeconds = 0;
  /** Overloaded endpoint-seconds per day of the trace (day 1 has no history to learn from). */
  readonly overloadedByDay: number[] = [];
  bridgeEndpointSeconds = 0;
  /** Durations of episodes where demand exceeded ready capacity at Jicofo's threshold. */
  readonly shortfallEpisodesS: number[] = [];
  /** Bridge-minutes by state and endpoints on them, sampled each minute (for tuning and docs). */
  readonly stateMinutes = { booting: 0, serving: 0, draining: 0, servingEndpoints: 0, drainingEndpoints: 0 };
  /** Per-minute [t, load, ready capacity (participants at 0.8), billed bridges] for the chart. */
  readonly timeline: [number, number, number, number][] = [];

  private readonly confBridges = new Map<number, Set<SimBridge>>();
  private readonly unplaced = new Map<number, number>();
  private unplacedCount = 0;
  private overloaded = 0;
  private demand = 0;
  private lastT = 0;
  private shortfallSince?: number;
  private nextId = 0;
  private readonly azDown = new Set<number>();
  private readonly samples = new Map<SimBridge, BridgeSample[]>();
  /** Fleet participants per minute as published (NaN = missing / not yet). */
  readonly fleetSeries: Float64Array;
  /** Bridges that published in each minute (for average stress). */
  readonly reportingSeries: Float64Array;
  /**
   * Jicofo's participant count per minute as the shards publish it (ShardParticipants): everyone in a conference
   * that needs a bridge, placed or not (P2P calls need none in this model). NaN = missing.
   */
  readonly shardSeries: Float64Array;
  private readonly drainModes = new Map<SimBridge, DrainMode>();
  /** Bridges in JVB graceful shutdown that hand over once at most this many participants are left. */
  private readonly gracefulMin = new Map<SimBridge, number>();
  /** When Jicofo's load redistribution last moved endpoints away from each bridge. */
  private readonly redistributedAt = new Map<SimBridge, number>();
  private readonly reclaiming = new Set<SimBridge>();
  /** The ASG's warm pool (BridgeFleet `warmPool`), spread over the AZs; empty for groups without one. */
  private warmPool = new WarmPool(0, 0, () => "");

  constructor(
    readonly region: string,
    readonly cfg: SimConfig,
    readonly queue: EventQueue,
    readonly faults: FaultSpec,
    readonly schedule: FaultSchedule,
    readonly endS: number,
  ) {
    this.fleetSeries = new Float64Array(Math.ceil(endS / 60) + 2).fill(NaN);
    this.reportingSeries = new Float64Array(Math.ceil(endS / 60) + 2).fill(0);
    this.shardSeries = new Float64Array(Math.ceil(endS / 60) + 2).fill(NaN);
  }

  /** The newest ShardParticipants minute visible at nowS and not older than maxAgeS; undefined when none. */
  visibleShardParticipants(nowS: number, maxAgeS: number): number | undefined {
    const last = Math.floor((nowS - this.cfg.metricDelayS) / 60);
    for (let m = last; m >= 0 && nowS - m * 60 <= maxAgeS; m--) if (!Number.isNaN(this.shardSeries[m])) return this.shardSeries[m];
    return undefined;
  }

  // ---- what a scaler can see -------------------------------------------------------------------------------

  /** Bridges not yet gone. */
  live(): SimBridge[] {
    return this.bridges.filter((b) => b.state !== "gone");
  }

  /** In the group's desired capacity: booting, serving, or in a reversible drain. */
  inGroup(): SimBridge[] {
    return this.bridges.filter((b) => b.state === "booting" || b.state === "serving" || (b.state === "draining" && !b.leaving));
  }

  isReclaiming(b: SimBridge): boolean {
    return this.reclaiming.has(b);
  }

  /** When a bridge last crashed (its instance stays listed, answering nothing, until the ASG replaces it). */
  private lastCrashS = -Infinity;
  /** What the running bridges held `liveStaleS` before each scaler run (the stats the live read gets). */
  private readonly liveSnapshots = new Map<number, number>();

  /** Snapshots the running bridges' total `liveStaleS` before every scaler run (engine: runs every scheduleS from 0). */
  startLiveSnapshots(): void {
    const { scheduleS, liveStaleS } = this.cfg;
    const snap = (runS: number): void => {
      this.liveSnapshots.set(runS, this.runningParticipants());
      this.liveSnapshots.delete(runS - 2 * scheduleS);
      if (runS + scheduleS <= this.endS) this.queue.push(runS + scheduleS - liveStaleS, () => snap(runS + scheduleS));
    };
    this.queue.push(Math.max(0, scheduleS - liveStaleS), () => snap(scheduleS));
  }

  /**
   * The scaler's live read at run time nowS (BridgeFleetState.liveParticipants): what the running bridges held
   * `liveStaleS` earlier, or undefined while a crashed bridge is still listed (the handler then gets no answer from it
   * and uses CloudWatch alone).
   */
  liveParticipants(nowS: number): number | undefined {
    if (nowS - this.lastCrashS < this.cfg.replaceAfterS) return undefined;
    return this.liveSnapshots.get(nowS) ?? this.runningParticipants();
  }

  /** Participants on the bridges that run JVB (serving or draining): what they would answer the live read. */
  private runningParticipants(): number {
    let n = 0;
    for (const b of this.bridges) if (b.state === "serving" || b.state === "draining") n += b.participants;
    return n;
  }

  /** Latest per-bridge sample visible at nowS (published at a minute boundary, visible after the delay). */
  latestSample(b: SimBridge, nowS: number): BridgeSample | undefined {
    const list = this.samples.get(b);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) if (list[i].timestampS <= nowS - this.cfg.metricDelayS) return list[i];
    return undefined;
  }

  /** The last `minutes` published fleet totals visible at nowS, oldest first; null where missing. */
  visibleFleetSeries(nowS: number, minutes: number): (number | null)[] {
    const last = Math.floor((nowS - this.cfg.metricDelayS) / 60);
    const out: (number | null)[] = [];
    for (let m = last - minutes + 1; m <= last; m++) {
      if (m < 0) continue;
      const v = this.fleetSeries[m];
      out.push(Number.isNaN(v) ? null : v);
    }
    return out;
  }

  /** Highest published fleet total in [fromS, toS], or undefined when none. */
  seriesPeak(fromS: number, toS: number): number | undefined {
    let peak: number | undefined;
    for (let m = Math.max(0, Math.ceil(fromS / 60)); m <= Math.floor(toS / 60) && m < this.fleetSeries.length; m++) {
      const v = this.fleetSeries[m];
      if (!Number.isNaN(v)) peak = Math.max(peak ?? 0, v);
    }
    return peak;
  }

  /** The first published fleet total in [fromS, toS] (the level at fromS, or the nearest minute after a gap). */
  seriesAt(fromS: number, toS: number): number | undefined {
    for (let m = Math.max(0, Math.ceil(fromS / 60)); m <= Math.floor(toS / 60) && m < this.fleetSeries.length; m++) {
      const v = this.fleetSeries[m];
      if (!Number.isNaN(v)) return v;
    }
    return undefined;
  }

  // ---- what a scaler can do --------------------------------------------------------------------------------

  /** SetDesiredCapacity: the ASG launches (or terminates, by its default policy) to match. */
  setDesired(n: number, nowS: number, drain: DrainMode): void {
    if (n === this.desired) return;
    this.scalingActions++;
    if (n > this.desired) this.lastScaleOutS = nowS;
    else this.lastScaleInS = nowS;
    this.desired = n;
    this.reconcile(nowS, drain);
  }

  /** Reversible drain (JVB drain mode): no new conferences; stays in desired capacity. */
  softDrain(b: SimBridge, nowS: number): void {
    if (b.state !== "serving") return;
    this.scalingActions++;
    this.lastScaleInS = nowS;
    b.state = "draining";
    b.drainStartS = nowS;
  }

  /**
   * Tags a booting bridge as a reserve: the drain tag is on the instance before JVB starts, so it comes up in drain
   * mode (render/jvb-boot.ts) and serves only once undrained.
   */
  reserve(b: SimBridge, nowS: number): void {
    if (b.state !== "booting" || b.leaving || b.drainStartS !== undefined) return;
    this.scalingActions++;
    b.drainStartS = nowS;
  }

  /** Ends a reversible drain, or a booting reserve's (it then comes up serving). */
  undrain(b: SimBridge): void {
    if (b.state === "booting" && !b.leaving && b.drainStartS !== undefined) {
      this.scalingActions++;
      b.drainStartS = undefined;
      return;
    }
    if (b.state !== "draining" || b.leaving) return;
    this.scalingActions++;
    b.state = "serving";
    b.drainStartS = undefined;
  }

  /** TerminateInstanceInAutoScalingGroup(decrement) on a bridge of the group; whoever is still on it is cut. */
  terminateInGroup(b: SimBridge, nowS: number): void {
    if (b.state === "gone" || b.leaving) return;
    this.scalingActions++;
    this.desired--;
    this.terminate(b, nowS, "scale-in");
  }

  /** Graceful shutdown of one bridge chosen by the scaler (leaves desired capacity; terminates when empty or at the cap). */
  drain(b: SimBridge, nowS: number, mode: DrainMode): void {
    if (b.state !== "serving" && b.state !== "booting") return;
    this.scalingActions++;
    this.lastScaleInS = nowS;
    this.desired--;
    if (b.state === "booting") return this.terminate(b, nowS, "scale-in");
    b.leaving = true;
    b.state = "draining";
    b.drainStartS = nowS;
    this.drainModes.set(b, mode);
    if (mode.releaseWhenEmpty && b.participants === 0) return this.terminate(b, nowS, "scale-in");
    this.queue.push(nowS + mode.capS, () => {
      if (b.state === "draining" && !this.reclaiming.has(b)) this.terminate(b, nowS + mode.capS, "scale-in");
    });
  }

  /**
   * TerminateInstanceInAutoScalingGroup(decrement) on a drained bridge whose JVB hands its last participants over: with
   * at most `graceful-shutdown-min-participants` left, graceful shutdown turns into SHUTTING_DOWN at once, Jicofo
   * re-invites them on other bridges (Jicofo placement; the bridge is no longer in their conferences), and JVB exits
   * after the shutting-down delay. More than that left (late joiners since the scaler's sample): JVB stays in graceful
   * shutdown until no more than that are left, or the drain cap cuts whoever remains.
   */
  shutDownMoving(b: SimBridge, nowS: number, minParticipants: number, capAtS: number): void {
    if (b.state === "gone" || b.leaving) return;
    if (b.participants === 0) return this.terminateInGroup(b, nowS);
    this.scalingActions++;
    this.desired--;
    b.leaving = true;
    b.state = "draining";
    b.drainStartS ??= nowS;
    if (b.participants > minParticipants) {
      // More joined since the scaler's sample: JVB stays in graceful shutdown until few enough are left (or the cap).
      this.gracefulMin.set(b, minParticipants);
      this.queue.push(capAtS, () => {
        if (b.state !== "gone" && this.gracefulMin.has(b)) this.terminate(b, capAtS, "scale-in");
      });
      return;
    }
    this.handOver(b, nowS);
  }

  /** SHUTTING_DOWN: Jicofo re-invites everyone left on `b` elsewhere; JVB exits after the shutting-down delay. */
  private handOver(b: SimBridge, nowS: number): void {
    this.gracefulMin.delete(b);
    this.account(nowS);
    this.reinvite(b, nowS, (conf, n) => {
      this.movedConferences.add(conf);
      this.movedEndpoints += n;
    });
    const goneS = nowS + this.cfg.shuttingDownDelayS;
    this.queue.push(goneS, () => this.terminate(b, goneS, "scale-in"));
  }

  /** CompleteLifecycleAction(CONTINUE) on a draining bridge: it terminates, cutting what is still on it. */
  release(b: SimBridge, nowS: number): void {
    if (b.state === "draining") this.terminate(b, nowS, "scale-in");
  }

  // ---- the ASG -----------------------------------------------------------------------------------------------

  /** Launches or terminates until the group matches desired capacity. */
  reconcile(nowS: number, drain: DrainMode): void {
    let group = this.inGroup();
    while (group.length < this.desired) {
      this.launch(nowS);
      group = this.inGroup();
    }
    while (group.length > this.desired) {
      const victim = this.asgVictim(group);
      if (!victim) break;
      if (victim.state === "booting") this.terminate(victim, nowS, "scale-in");
      else {
        // The terminating lifecycle hook holds it while its conferences finish (jitsi-facts.md, AWS template).
        victim.leaving = true;
        victim.state = "draining";
        victim.drainStartS = nowS;
        this.drainModes.set(victim, drain);
        if (drain.releaseWhenEmpty && victim.participants === 0) this.terminate(victim, nowS, "scale-in");
        else
          this.queue.push(nowS + drain.capS, () => {
            if (victim.state === "draining" && !this.reclaiming.has(victim)) this.terminate(victim, nowS + drain.capS, "scale-in");
          });
      }
      group = this.inGroup();
    }
  }

  /** ASG default termination policy: unprotected; booting first; the AZ with most instances; then oldest. */
  private asgVictim(group: SimBridge[]): SimBridge | undefined {
    const candidates = group.filter((b) => !b.protectedFromScaleIn);
    if (candidates.length === 0) return undefined;
    const perAz = new Map<number, number>();
    for (const b of group) perAz.set(b.az, (perAz.get(b.az) ?? 0) + 1);
    return candidates.sort(
      (a, b) => Number(b.state === "booting") - Number(a.state === "booting") || (perAz.get(b.az) ?? 0) - (perAz.get(a.az) ?? 0) || a.launchS - b.launchS,
    )[0];
  }

  private launch(nowS: number, readyNow = false): SimBridge {
    const perAz = new Array(this.cfg.azCount).fill(0);
    for (const b of this.inGroup()) perAz[b.az]++;
    let az = -1;
    for (let i = 0; i < this.cfg.azCount; i++) if (!this.azDown.has(i) && (az < 0 || perAz[i] < perAz[az])) az = i;
    if (az < 0) az = 0;
    let readyS = readyNow ? nowS : nowS + this.cfg.bootS;
    // A prepared pool instance in a healthy AZ, this one if it has one (assumption: the ASG prefers the pool to a cold
    // launch); it serves after a warm start.
    const warm = readyNow ? undefined : this.warmPool.take(nowS, (w) => !this.azDown.has(w.az), az);
    if (warm) {
      az = warm.az;
      readyS = nowS + this.cfg.warmStartS;
    }
    const b = newBridge(`${this.region}-b${this.nextId++}`, az, nowS, readyS);
    this.bridges.push(b);
    const { crashS, reclaimNoticeS } = instanceFaultTimes(this.faults, b.id, nowS);
    if (crashS < this.endS) this.queue.push(crashS, () => this.crash(b, crashS));
    if (reclaimNoticeS < this.endS) this.queue.push(reclaimNoticeS, () => this.spotNotice(b, reclaimNoticeS));
    if (readyNow) this.ready(b, nowS);
    else this.queue.push(b.readyS, () => this.ready(b, b.readyS));
    return b;
  }

  /** The initial fleet, ready at t = 0 (billed from 0), and a warm pool of `warmPool` prepared instances (their boots billed). */
  startWith(n: number, warmPool = 0): void {
    this.desired = n;
    for (let i = 0; i < n; i++) this.launch(0, true);
    // A pool instance goes to the healthy AZ with the fewest pool instances.
    this.warmPool = new WarmPool(warmPool, this.cfg.bootS, () => `${this.region}-w${this.nextId++}`, (pool) => {
      const perAz = new Array(this.cfg.azCount).fill(0);
      for (const w of pool) perAz[w.az]++;
      let best = -1;
      for (let i = 0; i < this.cfg.azCount; i++) if (!this.azDown.has(i) && (best < 0 || perAz[i] < perAz[best])) best = i;
      return Math.max(0, best);
    });
  }

  /** Warm-pool instances as DescribeWarmPool lists them: prepared (stopped) or still booting to stop. */
  warmInstances(nowS: number): { id: string; prepared: boolean; launchS: number }[] {
    return this.warmPool.list(nowS);
  }

  /** Seconds billed while warm-pool instances boot before they stop (the pool's fill and every refill). */
  get warmPrepSeconds(): number {
    return this.warmPool.prepSeconds;
  }

  private ready(b: SimBridge, nowS: number): void {
    if (b.state !== "booting") return;
    // A reserve comes up in drain mode: in the group, no conferences until undrained.
    b.state = b.drainStartS === undefined ? "serving" : "draining";
    this.placeUnplaced(nowS);
    this.account(nowS);
  }

  // ---- faults -------------------------------------------------------------------------------------------------

  crash(b: SimBridge, nowS: number): void {
    if (b.state === "gone") return;
    this.lastCrashS = nowS;
    const wasInGroup = !b.leaving;
    this.terminate(b, nowS, "fault");
    // The ASG's health check replaces it (desired unchanged) a little later.
    if (wasInGroup) this.queue.push(nowS + this.cfg.replaceAfterS, () => this.reconcile(nowS + this.cfg.replaceAfterS, { releaseWhenEmpty: true, capS: 3600 }));
  }

  private spotNotice(b: SimBridge, nowS: number): void {
    if (b.state === "gone") return;
    // Two minutes' notice: the bridge drains (no new conferences) and the ASG launches a replacement now.
    const wasInGroup = !b.leaving;
    this.reclaiming.add(b);
    b.leaving = true;
    if (b.state === "booting") {
      this.terminate(b, nowS, "fault");
      return this.reconcile(nowS, { releaseWhenEmpty: true, capS: 3600 });
    }
    b.state = "draining";
    b.drainStartS ??= nowS;
    if (wasInGroup) this.reconcile(nowS, { releaseWhenEmpty: true, capS: 3600 });
    this.queue.push(nowS + this.cfg.spotNoticeS, () => this.terminate(b, nowS + this.cfg.spotNoticeS, "fault"));
  }

  azOutage(az: number, fromS: number, toS: number): void {
    this.queue.push(fromS, () => {
      this.azDown.add(az);
      const lost = this.live().filter((b) => b.az === az);
      for (const b of lost) this.crash(b, fromS);
    });
    this.queue.push(toS, () => this.azDown.delete(az));
  }

  // ---- load -------------------------------------------------------------------------------------------------

  /** Terminates a bridge; endpoints still on it reconnect elsewhere, their conferences counted as cut or hit. */
  terminate(b: SimBridge, nowS: number, why: "scale-in" | "fault"): void {
    if (b.state === "gone") return;
    this.account(nowS);
    b.state = "gone";
    b.endS = nowS;
    this.reinvite(b, nowS, (conf) => (why === "scale-in" ? this.cutConferences : this.faultHitConferences).add(conf));
    this.account(nowS);
  }

  /**
   * Endpoints leave `b` and join again through Jicofo placement, never back to `b`: `picks` lists how many of each
   * conference (all of them by default); `record` sees each conference and how many of its endpoints moved.
   */
  private reinvite(b: SimBridge, nowS: number, record: (conf: number, n: number) => void, picks: [number, number][] = [...b.perConf.entries()]): void {
    for (const [conf, n] of picks) {
      record(conf, n);
      this.removeFrom(b, conf, n);
      this.demand -= n;
      if (!b.perConf.has(conf)) this.confBridges.get(conf)?.delete(b);
    }
    for (const [conf, n] of picks) for (let i = 0; i < n; i++) this.join(conf, nowS, b);
  }

  /** One endpoint of `conf` joins (`avoid`: a bridge Jicofo still sees as overloaded, the one it is moved from). */
  join(conf: number, nowS: number, avoid?: SimBridge): void {
    this.account(nowS);
    this.demand++;
    const b = selectBridge(this.bridges.filter((x) => (x.state === "serving" || x.state === "draining") && x !== avoid), conf, nowS, this.cfg);
    if (!b) {
      this.unplaced.set(conf, (this.unplaced.get(conf) ?? 0) + 1);
      this.unplacedCount++;
      this.overloaded++;
    } else this.addTo(b, conf, nowS);
    this.checkShortfall(nowS);
  }

  /** `n` endpoints of `conf` leave (all when n is Infinity). */
  leave(conf: number, n: number, nowS: number): void {
    this.account(nowS);
    let left = n;
    const waiting = this.unplaced.get(conf) ?? 0;
    const fromQueue = Math.min(waiting, left);
    if (fromQueue > 0) {
      this.unplaced.set(conf, waiting - fromQueue);
      if (waiting - fromQueue === 0) this.unplaced.delete(conf);
      this.unplacedCount -= fromQueue;
      this.overloaded -= fromQueue;
      this.demand -= fromQueue;
      left -= fromQueue;
    }
    const set = this.confBridges.get(conf);
    if (set) {
      for (const b of [...set]) {
        if (left <= 0) break;
        const k = this.removeFrom(b, conf, left);
        this.demand -= k;
        left -= k;
        if (!b.perConf.has(conf)) set.delete(b);
        if (b.state === "draining" && b.leaving && b.participants === 0 && this.drainModes.get(b)?.releaseWhenEmpty && !this.reclaiming.has(b)) this.terminate(b, nowS, "scale-in");
        const min = this.gracefulMin.get(b);
        if (min !== undefined && b.state === "draining" && b.participants <= min) this.handOver(b, nowS);
      }
      if (set.size === 0) this.confBridges.delete(conf);
    }
    this.checkShortfall(nowS);
  }

  private addTo(b: SimBridge, conf: number, nowS: number): void {
    const before = this.contribution(b);
    placeEndpoint(b, conf, nowS);
    this.overloaded += this.contribution(b) - before;
    let set = this.confBridges.get(conf);
    if (!set) this.confBridges.set(conf, (set = new Set()));
    set.add(b);
  }

  private removeFrom(b: SimBridge, conf: number, n: number): number {
    const before = this.contribution(b);
    const k = removeEndpoints(b, conf, n);
    this.overloaded += this.contribution(b) - before;
    return k;
  }

  private contribution(b: SimBridge): number {
    return b.participants > this.cfg.participantsPerBridge ? b.participants : 0;
  }

  private placeUnplaced(nowS: number): void {
    if (this.unplacedCount === 0) return;
    const waiting = [...this.unplaced.entries()];
    this.unplaced.clear();
    this.overloaded -= this.unplacedCount;
    this.demand -= this.unplacedCount;
    this.unplacedCount = 0;
    for (const [conf, n] of waiting) for (let i = 0; i < n; i++) this.join(conf, nowS);
  }

  /** Runs Jicofo's load redistribution every `cfg.redistribution.intervalS` (no-op when 0). */
  startRedistribution(): void {
    const { intervalS } = this.cfg.redistribution;
    if (intervalS <= 0) return;
    const tick = (t: number): void => {
      this.redistribute(t);
      if (t + intervalS <= this.endS) this.queue.push(t + intervalS, () => tick(t + intervalS));
    };
    this.queue.push(intervalS, () => tick(intervalS));
  }

  /**
   * One run of Jicofo's LoadRedistributor: skipped unless some serving bridge (any bridge with `drainingJoins`
   * none-while-active, as upstream) is below Jicofo's stress threshold; then each bridge at the redistribution
   * threshold (corrected stress, as Jicofo sees it) and out of its timeout has `endpoints` endpoints re-invited, taken
   * greedily from the conferences with the most endpoints on it. The re-invited endpoints go through Jicofo placement
   * again, never back to the bridge they left.
   */
  redistribute(nowS: number): void {
    const r = this.cfg.redistribution;
    const live = this.bridges.filter((b) => b.state === "serving" || b.state === "draining");
    const room = (b: SimBridge): boolean => (this.cfg.drainingJoins === "none-while-active" || b.state === "serving") && correctedStress(b, nowS, this.cfg) < this.cfg.jicofoStressThreshold;
    if (!live.some(room)) return;
    for (const b of live) {
      if (nowS - (this.redistributedAt.get(b) ?? -Infinity) < r.timeoutS || correctedStress(b, nowS, this.cfg) < r.stressThreshold) continue;
      this.redistributedAt.set(b, nowS);
      this.account(nowS);
      let left = r.endpoints;
      const picks: [number, number][] = [];
      for (const [conf, n] of [...b.perConf.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0])) {
        if (left <= 0) break;
        const k = Math.min(n, left);
        picks.push([conf, k]);
        left -= k;
      }
      // Jicofo still sees this bridge at its last reported stress (stats every 5 s), so none come back to it.
      this.reinvite(b, nowS, (_conf, k) => (this.redistributedEndpoints += k), picks);
    }
  }

  /** Integrates the counters up to nowS. */
  account(nowS: number): void {
    const dt = nowS - this.lastT;
    if (dt > 0) {
      this.overloadedEndpointSeconds += dt * this.overloaded;
      const day = Math.floor(this.lastT / 86400);
      this.overloadedByDay[day] = (this.overloadedByDay[day] ?? 0) + dt * this.overloaded;
      this.bridgeEndpointSeconds += dt * this.demand;
      this.lastT = nowS;
    }
  }

  /** Participants the fleet serves within Jicofo's threshold: serving bridges at 0.8 plus whoever stays on draining ones. */
  private readyCapacity(): number {
    let n = 0;
    let onDraining = 0;
    for (const b of this.bridges) {
      if (b.state === "serving") n++;
      else if (b.state === "draining") onDraining += Math.min(b.participants, this.cfg.participantsPerBridge * this.cfg.jicofoStressThreshold);
    }
    return n * this.cfg.participantsPerBridge * this.cfg.jicofoStressThreshold + onDraining;
  }

  /** Tracks episodes where demand exceeds ready capacity at Jicofo's threshold (time to capacity). */
  checkShortfall(nowS: number): void {
    const short = this.demand > this.readyCapacity();
    if (short && this.shortfallSince === undefined) this.shortfallSince = nowS;
    else if (!short && this.shortfallSince !== undefined) {
      this.shortfallEpisodesS.push(nowS - this.shortfallSince);
      this.shortfallSince = undefined;
    }
  }

  /** Publishes this minute's CloudWatch datapoints (unless a gap) and the chart point. */
  publish(nowS: number): void {
    this.account(nowS);
    this.checkShortfall(nowS);
    let total = 0;
    let billed = 0;
    let reporting = 0;
    const gap = this.schedule.metricGap(nowS);
    for (const b of this.bridges) {
      if (b.state === "gone") continue;
      billed++;
      this.stateMinutes[b.state]++;
      if (b.state === "serving") this.stateMinutes.servingEndpoints += b.participants;
      if (b.state === "draining") this.stateMinutes.drainingEndpoints += b.participants;
      if (b.state === "booting") continue;
      total += b.participants;
      reporting++;
      if (gap) continue;
      let list = this.samples.get(b);
      if (!list) this.samples.set(b, (list = []));
      list.push({ timestampS: nowS, participants: b.participants, stress: b.participants / this.cfg.participantsPerBridge, conferences: b.perConf.size });
      if (list.length > 6) list.shift();
    }
    if (!gap) {
      this.fleetSeries[Math.floor(nowS / 60)] = total;
      this.shardSeries[Math.floor(nowS / 60)] = this.demand;
      this.reportingSeries[Math.floor(nowS / 60)] = reporting;
    }
    this.timeline.push([nowS, this.demand, this.readyCapacity(), billed]);
  }

  /** Closes the books at the end of the simulation. */
  finish(nowS: number): void {
    this.account(nowS);
    if (this.shortfallSince !== undefined) this.shortfallEpisodesS.push(nowS - this.shortfallSince);
    for (const b of this.bridges) if (b.state !== "gone") b.endS = nowS;
  }
}
