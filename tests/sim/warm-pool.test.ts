/**
 * The bridge group's warm pool as the simulator models it (BridgeFleet `warmPool` / `warmPoolSize`): a scale-out
 * draws a prepared instance that serves after a warm start, the pool refills with an instance that boots (billed) and
 * stops, an exhausted pool or a lost AZ means a cold boot, and the scaler sees the pool as DescribeWarmPool lists it.
 */
import { strict as assert } from "assert";
import { resolveBridgePolicy } from "../../functions/bridge-scaler/decide";
import { fleetState } from "../../sim/bridge-policies";
import { DEFAULT_SIM_CONFIG } from "../../sim/config";
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
