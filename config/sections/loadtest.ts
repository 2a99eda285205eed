import { z } from "zod";
import { INSTANCE_TYPES } from "../aws-catalog";
import { DEFAULTS } from "../defaults";
import { bool, dnsName, instanceType, intRange, numRange, regionName, slug } from "../fields";
import { gridSize, LOADTEST_LIMITS } from "../../sim/loadtest-sizing";

const D = DEFAULTS.loadtest;

/**
 * `jitsi:loadtest`: a Jitsi Torture (Malleus) load test against an existing deployment. A stack that sets it
 * deploys only the Selenium grid (components/torture-grid.ts) in each of its `regions`, not a Jitsi deployment.
 * Malleus options (scripts/malleus.sh of jitsi-meet-torture): conferences, participants, senders, duration,
 * room-name-prefix, regions, max-disrupted-bridges-pct, use-load-test.
 */
export const loadtestSchema = z
  .strictObject(
    {
      /** The deployment under test; must be in `allowedDomains` (a guard against load-testing someone else). */
      targetDomain: dnsName(),
      /** Domains this stack may ever target. */
      allowedDomains: z
        .array(dnsName(), { error: "must be a list of DNS names such as meet.example.com" })
        .min(1, { error: "must list at least one domain (the load test refuses any domain not listed)" })
        .max(20, { error: "must list at most 20 domains" }),
      /** Malleus --conferences: conferences in total, split across the grid regions. */
      conferences: intRange(1, 1000).default(D.conferences),
      /** Malleus --participants: participants per conference (Jicofo puts at most 80 of one conference on a bridge). */
      participants: intRange(2, 500).default(D.participants),
      /** Malleus --senders: participants per conference that send video (the others are muted). */
      senders: intRange(0, 500).default(D.senders),
      /** Malleus --duration, seconds each participant stays. */
      durationSeconds: intRange(30, 4 * 3600).default(D.durationSeconds),
      /** Malleus --room-name-prefix. */
      roomPrefix: slug(40).default(D.roomPrefix),
      /** Malleus --regions: userRegion hints of the participants (round-robin); [] = each grid's own region. */
      clientRegions: z.array(regionName(), { error: "must be a list of AWS region names" }).max(8, { error: "must list at most 8 regions" }).default([]),
      /** Malleus --max-disrupted-bridges-pct: % of bridges the blip script may disrupt (0 = none). */
      maxDisruptedBridgesPct: numRange(0, 100).default(D.maxDisruptedBridgesPct),
      /** Malleus --use-load-test: Jitsi's lightweight load-test client instead of the full web app. */
      loadTestMode: bool().default(D.loadTestMode),
      /** Malleus --senders-per-tab/--receivers-per-tab: participants per browser tab (load-test mode only). */
      participantsPerTab: intRange(1, 20).default(D.participantsPerTab),
      /** Browser nodes' instance type (jitsi-facts.md: a grid node of 4 CPU / 7 GB runs one browser session). */
      nodeInstanceType: instanceType().default(D.nodeInstanceType),
      hubInstanceType: instanceType().default(D.hubInstanceType),
      /** Hard cap on browser nodes per region; the parameters must fit under it. */
      maxNodes: intRange(1, LOADTEST_LIMITS.maxNodes).default(D.maxNodes),
      /** Everything is scaled to zero this long after the stack came up, whatever the test is doing. */
      maxDurationMinutes: intRange(10, LOADTEST_LIMITS.maxDurationMinutes).default(D.maxDurationMinutes),
      /** jitsi-meet-torture commit the hub checks out (pinned: a moving branch would change the test). */
      tortureRef: z.string().regex(/^[0-9a-f]{40}$/, { error: "must be a full 40-character git commit id" }).default(D.tortureRef),
      /** Selenium server version the hub and nodes run. */
      seleniumVersion: z.string().regex(/^4\.\d{1,3}\.\d{1,3}$/, { error: "must be a Selenium 4 version such as 4.27.0" }).default(D.seleniumVersion),
      /** Start Malleus as soon as every node registered (false: the operator starts the runner). */
      autoStart: bool().default(D.autoStart),
    },
    { error: "must be an object with at least targetDomain and allowedDomains" },
  )
  .superRefine((l, ctx) => {
    if (!l.allowedDomains.includes(l.targetDomain))
      ctx.addIssue({ code: "custom", path: ["targetDomain"], message: `must be one of allowedDomains (${l.allowedDomains.join(", ")}); refusing to load-test a domain not on the allow-list`, input: l.targetDomain });
    if (l.senders > l.participants)
      ctx.addIssue({ code: "custom", path: ["senders"], message: `must be at most participants (${l.participants})`, input: l.senders });
    if (l.participantsPerTab > 1 && !l.loadTestMode)
      ctx.addIssue({ code: "custom", path: ["participantsPerTab"], message: "must be 1 unless loadTestMode is true (malleus.sh: senders/receivers-per-tab require the load-test client)", input: l.participantsPerTab });
    const maxDurationSeconds = l.maxDurationMinutes * 60;
    // The run needs the grid to boot and Maven to build first; keep that margin before the teardown.
    if (l.durationSeconds + LOADTEST_LIMITS.setupSeconds > maxDurationSeconds)
      ctx.addIssue({
        code: "custom",
        path: ["durationSeconds"],
        message: `must leave ${LOADTEST_LIMITS.setupSeconds} s of setup before the teardown at maxDurationMinutes (${l.maxDurationMinutes} min = ${maxDurationSeconds} s)`,
        input: l.durationSeconds,
      });
  });
export type LoadtestConfig = z.output<typeof loadtestSchema>;

/** Checks that need the grid regions too (called from the top-level schema): the node count per region. */
export function loadtestProblems(l: LoadtestConfig, gridRegions: number, peerStacks: readonly string[] = []): { path: (string | number)[]; message: string; input: unknown }[] {
  const out: { path: (string | number)[]; message: string; input: unknown }[] = [];
  if (peerStacks.length > 0)
    out.push({ path: ["peerStacks"], message: "must be empty in a load-test stack (jitsi:loadtest deploys only the grids of its own regions)", input: peerStacks });
  // An unknown instance type is reported by its own field; there is nothing to size then.
  if (!(l.nodeInstanceType in INSTANCE_TYPES)) return out;
  const size = gridSize({ ...l, gridRegions });
  if (size.nodesPerRegion > l.maxNodes)
    out.push(
      {
        path: ["loadtest", "participants"],
        message: `needs ${size.nodesPerRegion} browser nodes per region (${size.participantsPerRegion} participants ÷ ${size.participantsPerNode} per node), more than loadtest.maxNodes (${l.maxNodes}); lower conferences/participants, add regions or raise maxNodes`,
        input: l.participants,
      },
    );
  return out;
}
