import { BridgePolicy, resolveBridgePolicy } from "../functions/bridge-scaler/decide";
import { ReplenishTarget, resolveReplenishTarget } from "../functions/jibri-replenisher/decide";
import { DEFAULTS } from "../config/defaults";
import { JICOFO_LOAD_REDISTRIBUTION } from "../render/jicofo-conf";

/**
 * The simulator's model parameters, each with its source. docs/simulator.md explains them for operators.
 * Sources: ../shared/reference/jitsi-facts.md ("facts") unless noted; "assumption" marks a number chosen here.
 */

/** {@link SimConfig.drainingJoins}. */
export const DRAINING_JOINS = ["own-conferences", "none-while-active"] as const;
export type DrainingJoins = (typeof DRAINING_JOINS)[number];

export interface SimConfig {
  /** Participants one bridge carries at stress 1.0 (facts: ~100 per c5.xlarge; ~80 at stress 0.8). */
  readonly participantsPerBridge: number;
  /** Jicofo: a bridge at or above this stress is "overloaded" for new joins (facts: 0.8). */
  readonly jicofoStressThreshold: number;
  /** Jicofo: stress added per endpoint that joined a bridge in the last `recentJoinWindowS` (facts: 0.01, 20 s). */
  readonly recentJoinStress: number;
  readonly recentJoinWindowS: number;
  /**
   * Jicofo's load redistribution as the shards render it (render/jicofo-conf.ts): every `intervalS`, while a serving
   * bridge is below the stress threshold, each bridge at `stressThreshold` or above (corrected stress) that has not
   * given endpoints away within `timeoutS` re-invites `endpoints` of them elsewhere, largest conferences first.
   * `intervalS` 0 turns it off.
   */
  readonly redistribution: { readonly intervalS: number; readonly stressThreshold: number; readonly timeoutS: number; readonly endpoints: number };
  /**
   * Where Jicofo puts a new endpoint of a conference that is on a draining bridge. `own-conferences` (the looser
   * reading of issue #9's "draining bridges take no new conferences"): on that bridge, as long as it is not overloaded.
   * `none-while-active`, the default (jicofo BridgeSelector.selectBridge with relays, the stack's setting): a draining
   * bridge is no candidate at all while an active one is, so the endpoint goes to an active bridge (the conference
   * spans both over a relay), and draining bridges serve anyone only when no active bridge is left; the
   * LoadRedistributor then also counts draining bridges as places below the threshold
   * (BridgeSelector.hasNonOverloadedBridge looks at every bridge).
   */
  readonly drainingJoins: DrainingJoins;
  /**
   * The bridge scaler reads the bridges' participants at each run (BridgeFleetState.liveParticipants: the stack runs
   * it in the VPC, stacks/region.ts gives BridgeFleet scalerSubnetIds) — what the running bridges held `liveStaleS`
   * before the run, none while a crashed bridge is still listed. false: CloudWatch's minutes alone (a BridgeFleet without
   * scalerSubnetIds).
   */
  readonly liveRead: boolean;
  /**
   * Age of the count the live read gets: JVB gathers its stats every 5 s (jvb reference.conf
   * `videobridge.stats.interval`), so at worst the scaler reads what the bridges held 5 s before it asks.
   */
  readonly liveStaleS: number;
  /** Jicofo max-bridge-participants: endpoints of one conference per bridge (facts: 80). */
  readonly maxConferenceParticipantsPerBridge: number;
  /** Participants join over this many seconds after the conference start (assumption: "the first minutes"). */
  readonly joinSpreadS: number;
  /** Share of two-party (P2P) calls that need TURN relays (assumption: ~15 % of pairs cannot connect directly). */
  readonly p2pTurnShare: number;
  /** Cold boot to ready (facts: 1–3 min from a baked AMI; issue #9 default 180 s). */
  readonly bootS: number;
  /** Warm-pool start to ready: a stopped, already booted instance starts and JVB comes up (facts: ~30 s). */
  readonly warmStartS: number;
  /** Delay before a CloudWatch datapoint is visible (issue #9: 60 s). */
  readonly metricDelayS: number;
  /** Scaler schedule (facts: EventBridge rate(1 minute)). */
  readonly scheduleS: number;
  /**
   * JVB stays in SHUTTING_DOWN this long before it exits; Jicofo re-invites its participants elsewhere meanwhile
   * (jvb reference.conf `videobridge.shutdown.shutting-down-delay` = 1 minute).
   */
  readonly shuttingDownDelayS: number;
  /** Spot reclaim notice (facts: 2 min). */
  readonly spotNoticeS: number;
  /** The ASG replaces a crashed instance after this long (assumption: EC2 status check + ASG health check ~1 min). */
  readonly replaceAfterS: number;
  /** Availability zones per region the ASG spreads over (config default azCount 2). */
  readonly azCount: number;
  /** Upload after a recording: fixed part (assumption). */
  readonly uploadBaseS: number;
  /** Upload after a recording: share of the recording's length (assumption: ~1.5 Mbit/s video over ~100 Mbit/s upload). */
  readonly uploadPerRecordedS: number;
  /** Jibri single-use mode restarts the service after each recording (assumption: ~60 s). */
  readonly recorderRestartS: number;
  /** Recorder boot to idle (facts: 1–3 min baked, plus Jibri start; assumption 180 s). */
  readonly recorderBootS: number;
  /** Warm-pool recorder start to idle (facts: ~30 s warm start; assumption: +30 s for Jibri to start and join the brewery). */
  readonly recorderWarmStartS: number;
  /** Host load average at stress 1.0 on a 4-vCPU bridge (assumption: CPU stress threshold 0.9 × 4 vCPUs = 3.6), for the template's JVB_load_1. */
  readonly loadAverageAtStress1: number;
}

export const DEFAULT_SIM_CONFIG: SimConfig = {
  participantsPerBridge: 100,
  jicofoStressThreshold: 0.8,
  recentJoinStress: 0.01,
  recentJoinWindowS: 20,
  redistribution: JICOFO_LOAD_REDISTRIBUTION,
  drainingJoins: "none-while-active",
  liveRead: true,
  liveStaleS: 5,
  maxConferenceParticipantsPerBridge: 80,
  joinSpreadS: 180,
  p2pTurnShare: 0.15,
  bootS: 180,
  warmStartS: 30,
  metricDelayS: 60,
  scheduleS: 60,
  shuttingDownDelayS: 60,
  spotNoticeS: 120,
  replaceAfterS: 60,
  azCount: 2,
  uploadBaseS: 30,
  uploadPerRecordedS: 0.015,
  recorderRestartS: 60,
  recorderBootS: 180,
  recorderWarmStartS: 60,
  loadAverageAtStress1: 3.6,
};

/**
 * Group maxima every policy runs with unless `--bridge maxBridges=N` / `--recorder maxInstances=N` say otherwise. The
 * decisions' own defaults (100) stand in for a stack's `bridges.max` / `jibri.max`, which is a sizing choice, not a
 * rule: a table should show what each policy's rules do with the trace, not where a cap cut them off (static-peak is
 * sized to the trace's peak too). The report's `peakBridges` / `peakRecorders` say what the stack's maxima must allow.
 * 1000 = the most resolveBridgePolicy accepts.
 */
export const SIM_SIZING = { maxBridges: 1000, maxInstances: 1000 } as const;

/**
 * The shipped policies as the simulator runs them: the overrides on the defaults, with SIM_SIZING's maxima unless
 * named, and the recorder pool's warm pool with the lead time the stack gives the replenisher for it (JibriPool's
 * default: the warm-pool lead with one, else the decision's own default, which matches the simulated cold boot).
 */
export function simPolicies(
  bridge: Partial<BridgePolicy> = {},
  recorder: Partial<ReplenishTarget> = {},
  jibriWarmPool: number = SIM_JIBRI_WARM_POOL,
): { bridgePolicy: BridgePolicy; replenishTarget: ReplenishTarget; jibriWarmPool: number } {
  const leadTimeSeconds = jibriWarmPool > 0 ? DEFAULTS.jibri.leadTimeSeconds.warmPool : undefined;
  return {
    bridgePolicy: resolveBridgePolicy({ maxBridges: SIM_SIZING.maxBridges, ...bridge }),
    replenishTarget: resolveReplenishTarget({ maxInstances: SIM_SIZING.maxInstances, leadTimeSeconds, ...recorder }),
    jibriWarmPool,
  };
}

/** The shipped stack's bridge warm pool (config default `bridges.warmPoolSize`); `--warm-pool 0` replays a Spot group. */
export const SIM_WARM_POOL: number = DEFAULTS.bridges.warmPoolSize;
/** The shipped stack's recorder warm pool (config default `jibri.warmPoolSize`); `--jibri-warm-pool 0` replays none. */
export const SIM_JIBRI_WARM_POOL: number = DEFAULTS.jibri.warmPool ? DEFAULTS.jibri.warmPoolSize : 0;

/** Upload time of a recording of the given length. */
export function uploadSeconds(cfg: SimConfig, recordedS: number): number {
  return Math.round(cfg.uploadBaseS + cfg.uploadPerRecordedS * recordedS);
}
