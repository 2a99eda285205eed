/**
 * The baselines' published rules (jitsi-facts.md), each driven through a simulated fleet or pool with hand-set
 * metrics: jitsi-autoscaler (JVB and Jibri), Jitsi's AWS template (JVB and Jibri), static-peak.
 */
import { strict as assert } from "assert";
import { jitsiAutoscalerRunner, jitsiAwsTemplateRunner, staticPeakRunner } from "../../sim/bridge-policies";
import { DEFAULT_SIM_CONFIG } from "../../sim/config";
import { faultSchedule, NO_FAULTS } from "../../sim/faults";
import { Fleet } from "../../sim/fleet";
import { EventQueue } from "../../sim/heap";
import { autoscalerRecorderRunner, RecorderPool, templateRecorderRunner } from "../../sim/recorders";

const cfg = DEFAULT_SIM_CONFIG;
const END = 86400;

function fleetWith(bridges: number): Fleet {
  const f = new Fleet("us-east-1", cfg, new EventQueue(), NO_FAULTS, faultSchedule(NO_FAULTS, "us-east-1", END, cfg.azCount), END);
  f.startWith(bridges);
  return f;
}

/** Publishes `stress` as the fleet's mean for the minutes [fromMin, toMin]. */
function meanStress(f: Fleet, fromMin: number, toMin: number, stress: number): void {
  const n = f.inGroup().length;
  for (let m = fromMin; m <= toMin; m++) {
    f.fleetSeries[m] = stress * n * cfg.participantsPerBridge;
    f.reportingSeries[m] = n;
  }
}

/** The tick at minute m sees minutes up to m − 1 (60 s metric delay). */
const at = (m: number): number => m * 60;

describe("baseline: jitsi-autoscaler (JVB)", () => {
  it("adds one bridge when the mean stress is >= 0.3 in each of the last 2 periods, then waits out the 600 s grace", () => {
    const f = fleetWith(2);
    const r = jitsiAutoscalerRunner(1, 10);
    meanStress(f, 0, 9, 0.2);
    meanStress(f, 10, 10, 0.35);
    r.tick(f, at(11));
    assert.equal(f.desired, 2, "one period above is not enough");
    meanStress(f, 11, 11, 0.31);
    r.tick(f, at(12));
    assert.equal(f.desired, 3);
    assert.equal(f.inGroup().length, 3);
    meanStress(f, 12, 22, 0.9);
    r.tick(f, at(13));
    r.tick(f, at(21));
    assert.equal(f.desired, 3, "grace period: no change for 600 s");
    r.tick(f, at(23));
    assert.equal(f.desired, 4);
  });

  it("drains one bridge, the one with the fewest participants, after 10 periods below 0.1", () => {
    const f = fleetWith(3);
    const [a, b, c] = f.inGroup();
    for (let i = 0; i < 5; i++) f.join(1, 10);
    for (let i = 0; i < 2; i++) f.join(2, 10); // least loaded gets conference 2 after conference 1 lands on a
    f.publish(60);
    const r = jitsiAutoscalerRunner(1, 10);
    meanStress(f, 0, 0, 0.5);
    meanStress(f, 1, 9, 0.05);
    r.tick(f, at(10));
    assert.equal(f.desired, 3, "9 periods are not enough");
    meanStress(f, 1, 11, 0.05);
    r.tick(f, at(12));
    assert.equal(f.desired, 2);
    const drained = [a, b, c].find((x) => x.leaving);
    assert.ok(drained && drained.participants === 0, "the empty bridge is the victim");
  });

  it("decides nothing while desired differs from the instances", () => {
    const f = fleetWith(2);
    f.desired = 3; // the launcher has not caught up
    meanStress(f, 0, 10, 0.9);
    jitsiAutoscalerRunner(1, 10).tick(f, at(11));
    assert.equal(f.desired, 3);
    assert.equal(f.inGroup().length, 2);
  });
});

describe("baseline: Jitsi's AWS template (JVB)", () => {
  // JVB_load_1 = 3.6 × stress (4 vCPUs at CPU stress 0.9), so 2.0 is stress ~0.556.
  it("adds 5 bridges after 2 minutes with the load average >= 2.0, then honours the 300 s cooldown", () => {
    const f = fleetWith(2);
    const r = jitsiAwsTemplateRunner(1, 20, cfg.loadAverageAtStress1);
    meanStress(f, 0, 8, 0.5);
    meanStress(f, 9, 9, 0.6);
    r.tick(f, at(10));
    assert.equal(f.desired, 2);
    meanStress(f, 10, 10, 0.6);
    r.tick(f, at(11));
    assert.equal(f.desired, 7);
    meanStress(f, 11, 15, 0.9);
    r.tick(f, at(15));
    assert.equal(f.desired, 7, "cooldown");
    r.tick(f, at(16));
    assert.equal(f.desired, 12);
  });

  it("removes 1 bridge only after 360 minutes below 2.0; the ASG's lifecycle hook drains it", () => {
    const f = fleetWith(3);
    const r = jitsiAwsTemplateRunner(1, 20, cfg.loadAverageAtStress1);
    meanStress(f, 0, 358, 0.1);
    r.tick(f, at(359));
    assert.equal(f.desired, 3);
    meanStress(f, 0, 360, 0.1);
    r.tick(f, at(361));
    assert.equal(f.desired, 2);
    assert.equal(f.inGroup().length, 2);
  });
});

describe("baseline: static-peak", () => {
  it("starts with the peak fleet and never scales", () => {
    const f = fleetWith(0);
    const r = staticPeakRunner(7);
    f.startWith(r.initial);
    meanStress(f, 0, 100, 0.01);
    r.tick(f, at(101));
    assert.equal(f.desired, 7);
    assert.equal(f.scalingActions, 0);
  });
});

describe("baseline recorders", () => {
  const pool = (n: number): RecorderPool => {
    const p = new RecorderPool("us-east-1", cfg, new EventQueue(), END);
    p.startWith(n);
    return p;
  };
  const idle = (p: RecorderPool, fromMin: number, toMin: number, v: number): void => {
    for (let m = fromMin; m <= toMin; m++) p.idleSeries[m] = v;
  };

  it("jitsi-autoscaler: +1 after 5 periods with fewer idle than the target, −1 after 20 periods with more than 1 idle", () => {
    const p = pool(3);
    const r = autoscalerRecorderRunner(3, 20);
    idle(p, 0, 19, 3);
    idle(p, 15, 19, 2);
    r.tick(p, at(20));
    assert.equal(p.desired, 4);
    const q = pool(4);
    const r2 = autoscalerRecorderRunner(3, 20);
    idle(q, 0, 19, 4);
    idle(q, 0, 0, 1);
    r2.tick(q, at(20));
    assert.equal(q.desired, 4, "19 periods are not enough");
    idle(q, 0, 20, 4);
    r2.tick(q, at(21));
    assert.equal(q.desired, 3, "20 periods with 4 idle (> 1, not below the target): one idle recorder goes");
  });

  it("Jitsi's AWS template: +3 when fewer than 8 are available for 2 minutes; −1 when more than 5 for 10 minutes", () => {
    const p = pool(8);
    const r = templateRecorderRunner(50);
    idle(p, 0, 9, 7);
    r.tick(p, at(10));
    assert.equal(p.desired, 11);
    const q = pool(8);
    const r2 = templateRecorderRunner(50);
    idle(q, 0, 9, 9);
    r2.tick(q, at(10));
    assert.equal(q.desired, 7);
    idle(q, 0, 20, 9);
    r2.tick(q, at(19));
    assert.equal(q.desired, 7, "cooldown 600 s");
    r2.tick(q, at(20));
    assert.equal(q.desired, 6);
  });
});
