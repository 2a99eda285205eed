/**
 * Load-test arithmetic: how many browser nodes a Malleus run needs and what the grid costs. Pure; the config
 * schema, the TortureGrid component and the plan's cost estimate all use it.
 */
import { INSTANCE_TYPES } from "../config/aws-catalog";

export const LOADTEST_LIMITS = {
  /** Hard ceiling on browser nodes per region, whatever the config says (an ASG of 500 c5.xlarge is ~$85/h). */
  maxNodes: 500,
  /** Hard ceiling of the automatic teardown. */
  maxDurationMinutes: 480,
  /**
   * Boot (~3-8 min configured at boot, jitsi-facts.md), node registration and Maven's first build before
   * Malleus starts its participants.
   */
  setupSeconds: 900,
} as const;

/** jitsi-facts.md (Load testing): one browser session per 4 CPU / 7 GB grid node. */
export const BROWSER_SESSION = { vcpu: 4, memoryGiB: 7 } as const;
/** jitsi-facts.md: media 1-3 Mbps per participant; a sender uploads about the middle of that. */
export const SENDER_UPLOAD_MBPS = 2;
/** jitsi-facts.md: data transfer out to the internet ~$0.09/GB. */
export const EGRESS_USD_PER_GB = 0.09;

export interface GridSizeInput {
  readonly conferences: number;
  readonly participants: number;
  readonly loadTestMode: boolean;
  readonly participantsPerTab: number;
  readonly nodeInstanceType: string;
  /** Regions the conferences are split across (one grid each). */
  readonly gridRegions: number;
}

export interface GridSize {
  /** Conferences of each region, in region order (the split differs by at most one). */
  readonly conferencesByRegion: number[];
  /** The busiest region's participants. */
  readonly participantsPerRegion: number;
  /** Browser sessions one node runs (by its vCPU and memory). */
  readonly sessionsPerNode: number;
  /** Participants one node carries: sessions × participants per tab (load-test mode; 1 otherwise). */
  readonly participantsPerNode: number;
  /** Nodes of the busiest region; the node group of every region is sized for its own share. */
  readonly nodesPerRegion: number;
  readonly nodesByRegion: number[];
}

/** Splits `total` conferences over `n` grids: the first `total % n` get one more. */
export function splitConferences(total: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`gridRegions must be a whole number >= 1 (got ${n})`);
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

export function sessionsPerNode(instanceType: string): number {
  const t = INSTANCE_TYPES[instanceType];
  if (!t) throw new Error(`nodeInstanceType: unknown instance type ${instanceType}`);
  return Math.max(1, Math.floor(Math.min(t.vcpu / BROWSER_SESSION.vcpu, t.memoryGiB / BROWSER_SESSION.memoryGiB)));
}

export function gridSize(i: GridSizeInput): GridSize {
  const conferencesByRegion = splitConferences(i.conferences, i.gridRegions);
  const sessions = sessionsPerNode(i.nodeInstanceType);
  const participantsPerNode = sessions * (i.loadTestMode ? i.participantsPerTab : 1);
  const nodesByRegion = conferencesByRegion.map((c) => Math.ceil((c * i.participants) / participantsPerNode));
  return {
    conferencesByRegion,
    participantsPerRegion: conferencesByRegion[0] * i.participants,
    sessionsPerNode: sessions,
    participantsPerNode,
    nodesPerRegion: Math.max(...nodesByRegion),
    nodesByRegion,
  };
}

export interface CostInput {
  readonly nodesByRegion: readonly number[];
  readonly nodeInstanceType: string;
  readonly hubInstanceType: string;
  readonly durationSeconds: number;
  readonly maxDurationMinutes: number;
  /** Video senders in total (all conferences): their upload leaves the grid VPC as internet egress. */
  readonly senders: number;
}

export interface CostEstimate {
  /** Instance-hours of one run: setup + duration, hub and nodes of every region. */
  readonly expectedInstanceHours: number;
  readonly expectedUsd: number;
  /** If nobody tears down early: everything runs until the scheduled teardown at maxDurationMinutes. */
  readonly worstCaseInstanceHours: number;
  readonly worstCaseUsd: number;
  /** Senders' media upload during the run (GB) and its egress charge, included in both totals. */
  readonly egressGB: number;
  readonly egressUsd: number;
  readonly assumptions: string[];
}

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

/** On-demand us-east-1 prices (config/aws-catalog.ts); other regions cost up to ~20 % more. */
export function estimateCost(i: CostInput): CostEstimate {
  const node = INSTANCE_TYPES[i.nodeInstanceType];
  const hub = INSTANCE_TYPES[i.hubInstanceType];
  if (!node) throw new Error(`nodeInstanceType: unknown instance type ${i.nodeInstanceType}`);
  if (!hub) throw new Error(`hubInstanceType: unknown instance type ${i.hubInstanceType}`);
  const regions = i.nodesByRegion.length;
  const nodes = i.nodesByRegion.reduce((a, b) => a + b, 0);
  const perHourUsd = nodes * node.usdPerHour + regions * hub.usdPerHour;
  const expectedHours = (LOADTEST_LIMITS.setupSeconds + i.durationSeconds) / 3600;
  const worstHours = i.maxDurationMinutes / 60;
  const egressGB = (i.senders * SENDER_UPLOAD_MBPS * i.durationSeconds) / 8 / 1000;
  const egressUsd = egressGB * EGRESS_USD_PER_GB;
  return {
    expectedInstanceHours: round((nodes + regions) * expectedHours),
    expectedUsd: round(perHourUsd * expectedHours + egressUsd),
    worstCaseInstanceHours: round((nodes + regions) * worstHours),
    worstCaseUsd: round(perHourUsd * worstHours + egressUsd),
    egressGB: round(egressGB),
    egressUsd: round(egressUsd),
    assumptions: [
      `${nodes} x ${i.nodeInstanceType} ($${node.usdPerHour}/h) + ${regions} hub(s) ${i.hubInstanceType} ($${hub.usdPerHour}/h), on-demand us-east-1`,
      `expected: ${LOADTEST_LIMITS.setupSeconds} s setup + ${i.durationSeconds} s run; worst case: teardown at ${i.maxDurationMinutes} min`,
      `egress: ${i.senders} senders x ${SENDER_UPLOAD_MBPS} Mbps x ${i.durationSeconds} s at $${EGRESS_USD_PER_GB}/GB`,
      "not included: the deployment under test (its bridges scale with the load), S3 and CloudWatch (cents)",
    ],
  };
}
