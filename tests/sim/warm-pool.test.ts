/**
 * The bridge and recorder groups' warm pools as the simulator models them (BridgeFleet `warmPool` / `warmPoolSize`): a scale-out
 * draws a prepared instance that serves after a warm start, the pool refills with an instance that boots (billed) and
 * stops, an exhausted pool or a lost AZ means a cold boot, and the scaler sees the pool as DescribeWarmPool lists it.
 */
import { strict as assert } from "assert";
import { resolveBridgePolicy } from "../../functions/bridge-scaler/decide";
import { REPLENISH_DEFAULTS } from "../../functions/jibri-replenisher/decide";
import { fleetState } from "../../sim/bridge-policies";
import { DEFAULT_SIM_CONFIG, simPolicies } from "../../sim/config";
import { simulate } from "../../sim/engine";
import { generateTrace } from "../../sim/generate";
import { RecorderPool } from "../../sim/recorders";
import { faultSchedule, NO_FAULTS } from "../../sim/faults";
import { Fleet } from "../../sim/fleet";
import { EventQueue } from "../../sim/heap";

const END = 3600;
const DRAIN = { releaseWhenEmpty: true, capS: 3600 };
const { bootS, warmStartS } = DEFAULT_SIM_CONFIG;

function fleet(initial: number, warmPool: number): Fleet {
  const f = new Fleet("us-east-1", DEFAULT_SIM_CONFIG, new EventQueue(), NO_FAULTS, faultSchedule(NO_FAULTS, "us-east-1", END, 2), END);
  f.startWith(initial, warmPool);
  return f;
}

/** Runs the fleet's queued events up to and including t. */
function runUntil(f: Fleet, t: number): void {
  while (f.queue.peekTime() <= t) f.queue.pop()!.run();
}

describe("simulate: the bridge warm pool", () => {
  it("a scale-out serves after a warm start, and the pool refills with a billed boot", () => {
    const f = fleet(1, 2);
    assert.equal(f.warmPrepSeconds, 2 * bootS, "the pool's fill: two boots billed");
    f.setDesired(2, 600, DRAIN);
    const b = f.bridges.find((x) => x.state === "booting")!;
    assert.equal(b.readyS, 600 + warmStartS);
    runUntil(f, 600 + warmStartS);
    assert.equal(b.state, "serving");
    assert.equal(f.warmPrepSeconds, 3 * bootS, "the refill's boot billed");
    const pool = f.warmInstances(600 + warmStartS);
    assert.equal(pool.length, 2);
    assert.deepEqual(pool.map((w) => w.prepared).sort(), [false, true], "one prepared, the refill still booting");
    assert.ok(f.warmInstances(600 + bootS).every((w) => w.prepared), "the refill is prepared a boot later");
  });

  it("launches beyond the prepared instances boot cold", () => {
    const f = fleet(1, 1);
    f.setDesired(3, 600, DRAIN);
    const readies = f.bridges.filter((x) => x.state === "booting").map((x) => x.readyS - 600).sort((a, b) => a - b);
    assert.deepEqual(readies, [warmStartS, bootS]);
  });

  it("without a warm pool every launch boots cold and nothing extra is billed", () => {
    const f = fleet(1, 0);
    f.setDesired(2, 600, DRAIN);
    assert.equal(f.bridges.find((x) => x.state === "booting")!.readyS, 600 + bootS);
    assert.equal(f.warmPrepSeconds, 0);
    assert.deepEqual(f.warmInstances(600), []);
  });

  it("a prepared instance in a lost AZ cannot serve: the launch goes to a healthy AZ", () => {
    const f = fleet(0, 2);
    assert.equal(f.warmInstances(0).length, 2);
    f.azOutage(0, 100, 2000);
    runUntil(f, 100);
    f.setDesired(2, 600, DRAIN);
    const launched = f.bridges.filter((x) => x.state === "booting");
    assert.ok(launched.every((x) => x.az === 1), "launches avoid the lost AZ");
    // One pool instance per AZ: only AZ 1's is usable, the other launch boots cold.
    assert.deepEqual(launched.map((x) => x.readyS - 600).sort((a, b) => a - b), [warmStartS, bootS]);
  });

  it("the scaler sees the pool as DescribeWarmPool lists it: prepared (stopped) or still booting to stop", () => {
    const policy = resolveBridgePolicy({ maxBridges: 10 });
    const f = fleet(1, 1);
    runUntil(f, 120);
    const states = (t: number) => fleetState(f, policy, t).instances.filter((i) => i.lifecycleState.startsWith("Warmed")).map((i) => i.lifecycleState);
    assert.deepEqual(states(120), ["Warmed:Stopped"]);
    f.setDesired(2, 120, DRAIN);
    assert.deepEqual(states(130), ["Warmed:Pending"], "the refill boots to stop; nothing prepared yet");
    assert.deepEqual(states(120 + bootS), ["Warmed:Stopped"]);
  });
});

describe("simulate: the recorder warm pool (--jibri-warm-pool)", () => {
  const { recorderBootS, recorderWarmStartS } = DEFAULT_SIM_CONFIG;

  it("a launch takes a prepared recorder (idle after a warm start), the refill's boot is billed, the replenisher sees the pool", () => {
    const pool = new RecorderPool("us-east-1", DEFAULT_SIM_CONFIG, new EventQueue(), END);
    pool.startWith(3, 1);
    assert.equal(pool.warmPrepSeconds, recorderBootS);
    assert.equal(pool.snapshot(10, 60, 3600).recorders.filter((r) => r.phase === "warm").length, 1);
    pool.setDesired(5, 600);
    while (pool.queue.peekTime() <= 600 + recorderWarmStartS) pool.queue.pop()!.run();
    const phases = pool.live().map((r) => r.phase).sort();
    assert.deepEqual(phases, ["booting", "idle", "idle", "idle", "idle"], "one warm start done, one cold boot still running");
    assert.equal(pool.warmPrepSeconds, 2 * recorderBootS, "the refill boots, billed");
    // The refill boots to stop (Warmed:Pending): the handler maps it to "leaving", not capacity.
    assert.equal(pool.snapshot(10, 700, 3600).recorders.filter((r) => r.phase === "leaving").length, 1);
  });

  it("with a pool the replenisher plans with the stack's warm-pool lead time (JibriPool's default), without one its own", () => {
    assert.equal(simPolicies({}, {}, 3).replenishTarget.leadTimeSeconds, 180);
    assert.equal(simPolicies({}, {}, 0).replenishTarget.leadTimeSeconds, 300);
    assert.equal(simPolicies({}, { leadTimeSeconds: 400 }, 3).replenishTarget.leadTimeSeconds, 400, "a named lead wins");
  });

  it("a cluster of recordings in a trace's first minutes: against a floor of 3 a cold pool misses two, a warm pool of 3 serves them all; the default floor of 5 serves them cold", function () {
    this.timeout(20_000);
    // A round-the-clock trace of 4000 meetings: 5 recordings 4–7 minutes in, 3 of them within 15 s, against the 3
    // idle recorders the pool starts with; a cold launch (300 s lead) is idle too late for two of them.
    const confs = generateTrace({ seed: 4517, days: 1, regions: ["us-east-1"], conferencesPerDay: 4000, shape: "flat", recordShare: 0.33 });
    const run = (jibriWarmPool: number, idleTarget?: number) =>
      simulate(confs, { cfg: DEFAULT_SIM_CONFIG, ...simPolicies({}, idleTarget === undefined ? {} : { idleTarget }, jibriWarmPool), faults: NO_FAULTS, policies: ["default", "static-peak"] }).policies;
    const [cold] = run(0, 3);
    const [warm, stat] = run(3, 3);
    assert.ok(cold.failedRecordingStarts > 0);
    assert.equal(warm.failedRecordingStarts, 0);
    assert.ok(warm.recorderInstanceHours < stat.recorderInstanceHours, `${warm.recorderInstanceHours} h vs static ${stat.recorderInstanceHours} h`);
    const [coldFive, stat5] = run(0);
    assert.equal(REPLENISH_DEFAULTS.idleTarget, 5);
    assert.equal(coldFive.failedRecordingStarts, 0);
    assert.ok(coldFive.recorderInstanceHours < stat5.recorderInstanceHours);
  });
});
