import { REPLENISH_DEFAULTS } from "../functions/jibri-replenisher/decide";

/**
 * Every default of the stack config, in one place. Sources: jitsi-facts.md unless a comment says otherwise.
 * The schema (config/sections/*.ts) applies these; components receive fully resolved values.
 */
export const DEFAULTS = {
  deployment: "jitsi",
  region: {
    azCount: 2,
    shards: 1,
  },
  shard: {
    /** Prosody + Jicofo + nginx for a few thousand participants fit a c5.xlarge comfortably. */
    instanceType: "c5.xlarge",
    /** jitsi-facts.md: Jicofo stress threshold 0.8, 80 participants of a conference per bridge. */
    stressThreshold: 0.8,
    maxBridgeParticipants: 80,
    /** config.js: P2P for two-party calls (Jitsi's default). */
    p2p: true,
    rootVolumeGiB: 20,
  },
  edge: {
    /** Two HAProxies across two AZs, as Jitsi runs them (jitsi-facts.md). */
    instances: 2,
    instanceType: "c5.large",
  },
  bridges: {
    /** jitsi-facts.md: ~80 participants per c5.xlarge at stress 0.8. */
    instanceType: "c5.xlarge",
    min: 1,
    max: 10,
    /**
     * Prepared (stopped) instances kept in the group's warm pool, unless the group is on Spot (AWS warm pools exclude
     * mixed-instances groups): a scale-out serves in ~30 s instead of a ~3 min boot (jitsi-facts.md). 4 covers the
     * launches of a morning surge within one refill (a refill boots in ~3 min); 2–6 measured alike (docs/simulator.md).
     * Cost: their EBS volumes while stopped, and each refill's boot.
     */
    warmPoolSize: 4,
    spot: false,
    /** 8x8 drains a bridge for at most 1 h before forcing (jitsi-facts.md). */
    maxDrainSeconds: 3600,
  },
  jibri: {
    instanceType: "c5.xlarge",
    /** The replenisher's floor (REPLENISH_DEFAULTS.idleTarget says why 5, not the seed's example of 3). */
    idleTarget: REPLENISH_DEFAULTS.idleTarget,
    max: 20,
    /**
     * Prepared (stopped, set-up) recorders in a warm pool: a launch records after ~1 min instead of a boot, install and
     * reboot (jitsi-facts.md: 3–8 min). An absolute size, not AWS's max − desired (117 stopped 40 GiB volumes with a max
     * of 120). Sim, 91 traces: failed starts 6 on 4 traces → 2 on 1 at 0.52 → 0.49 × static recorder-hours. With 8-minute
     * boots a pool of 10 leaves 6 on 2, a pool of 3 53 on 23 (docs/jibri-pool.md). Cost: 10 × 40 GiB gp3 ≈ $32 a month.
     */
    warmPool: true,
    warmPoolSize: 10,
    /** A 2.5 h 720p recording is ~2-3 GB; room for one more waiting for a retried upload. */
    rootVolumeGiB: 40,
    /** Recording/stream length cap per session (Jibri's usage-timeout); 0 = none. */
    usageTimeoutMinutes: 240,
    /** jitsi-facts.md: ~8 GB RAM for 720p on a c5.xlarge class recorder. */
    resolution: "1280x720",
    /**
     * Launch-to-idle time the replenisher plans for (functions/jibri-replenisher/decide.ts leadTimeSeconds):
     * jitsi-facts.md boot-to-ready 3-8 min configured at boot (+ a kernel reboot for snd-aloop here);
     * a warm pool serves in ~30 s plus Jibri's start.
     */
    leadTimeSeconds: { cold: 600, warmPool: 180 },
  },
  turn: {
    enabled: true,
    instances: 1,
    instanceType: "c5.large",
    noTcpRelay: true,
    /** Credential lifetime handed to clients by mod_external_services (jitsi-facts.md: ttl 86400). */
    credentialTtlSeconds: 86400,
  },
  recordings: {
    transitionToIaDays: 30,
    expireDays: 365,
  },
  monitoring: {
    logRetentionDays: 30,
  },
  /** `jitsi:loadtest` (config/sections/loadtest.ts, docs/loadtest.md). */
  loadtest: {
    /** 5 conferences of 8 = 40 browsers: fits the default maxNodes (50) on c5.xlarge nodes. */
    conferences: 5,
    participants: 8,
    senders: 2,
    durationSeconds: 600,
    roomPrefix: "loadtest",
    maxDisruptedBridgesPct: 0,
    loadTestMode: true,
    participantsPerTab: 1,
    /** jitsi-facts.md: a grid node of 4 CPU / 7 GB runs one browser session (c5.xlarge: 4 vCPU, 8 GiB). */
    nodeInstanceType: "c5.xlarge",
    /** The hub runs Selenium's router and Maven/Java for Malleus: 2 vCPU / 8 GiB is plenty. */
    hubInstanceType: "m5.large",
    maxNodes: 50,
    maxDurationMinutes: 60,
    /** jitsi/jitsi-meet-torture master as read on 2025-04-08 (scripts/malleus.sh options documented there). */
    tortureRef: "c0efd48326b09526389a755bf5530b55035ce667",
    seleniumVersion: "4.27.0",
    autoStart: true,
  },
} as const;

/** Whether a bridge group keeps a warm pool when the config does not say: yes, unless it runs on Spot (AWS allows not both). */
export function defaultBridgeWarmPool(spot: boolean): boolean {
  return !spot;
}
