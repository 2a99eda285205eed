/**
 * decideBridgeCapacity as a table of situations a Lambda meets: burst, steady, night to zero, metric gap, drain in
 * progress, min/max, warm instances, a previous decision still being carried out. Plus the policy validation and
 * fast-check invariants (never terminate a bridge with participants before its cap; stale metrics never scale in).
 */
import { strict as assert } from "assert";
import * as fc from "fast-check";
import {
  biggestMiss, BridgeFleetState, BridgeInstance, BridgePolicyError, chooseVictims, decideBridgeCapacity, DEFAULT_BRIDGE_POLICY,
  fleetHistoryMinutes, forecastParticipants, recentRise, resolveBridgePolicy, seasonalRise, undrainOrder, withLiveMinute,
} from "../../functions/bridge-scaler/decide";

const NOW = 1_000_000;
/**
 * The numbers the cases compute with, pinned so the arithmetic in their comments holds whatever the defaults are tuned
 * to: target stress 0.8 (80 participants a bridge) with or without a warm pool, undrain at it too, scale-in at 0.7, a fixed 80-participant headroom (40 with
 * history, none learned), up to 10 participants consolidated, the previous days' rise expected in full. The defaults' own
 * headroom rules, history weight and cold target have their own cases.
 */
const P = resolveBridgePolicy({
  minBridges: 1, maxBridges: 20, targetStress: 0.8, coldTargetStress: 0.8, scaleInStress: 0.7, undrainStress: 0.8, headroomParticipants: 80, headroomWithHistoryParticipants: 40, headroomScale: 1000, headroomLearnS: 0,
  consolidateMaxParticipants: 10, profileWeight: 1,
});
/** Without the headroom, so a case shows one rule alone. */
const P0 = resolveBridgePolicy({ ...P, headroomParticipants: 0 });

/** An InService bridge with a fresh sample (taken 60 s ago). */
function bridge(id: string, participants: number, extra: Partial<BridgeInstance> = {}): BridgeInstance {
  return { instanceId: id, lifecycleState: "InService", protectedFromScaleIn: true, launchTimeS: NOW - 7200, sample: { timestampS: NOW - 60, participants }, ...extra };
}

/** A fleet whose per-minute total has been `series` (oldest first); desired = in service + pending. */
function state(instances: BridgeInstance[], series: (number | null)[], extra: Partial<BridgeFleetState> = {}): BridgeFleetState {
  const desired = instances.filter((b) => b.lifecycleState === "InService" || b.lifecycleState.startsWith("Pending")).length;
  return { desiredCapacity: desired, instances, fleetParticipantsPerMinute: series, previousDaysUpcomingPeak: [], ...extra };
}

const flat = (v: number, n = 40): number[] => new Array(n).fill(v);

describe("decideBridgeCapacity: situations", () => {
  it("steady load that fits: holds and changes nothing", () => {
    // 80 participants + the 80-participant headroom fit 2 bridges at 0.8.
    const d = decideBridgeCapacity(state([bridge("a", 40), bridge("b", 40)], flat(80)), P, NOW);
    assert.equal(d.change, "hold");
    assert.equal(d.desiredCapacity, 2);
    assert.deepEqual([d.drain, d.undrain, d.terminate], [[], [], []]);
  });

  it("burst: scales out at once for the forecast, then counts the booting bridges as coming capacity", () => {
    // 2 bridges, the total jumped from 100 to 220 in 3 minutes: the trend projects ~+200 over the 5-minute lead.
    const series = [...flat(100, 37), 140, 180, 220];
    const d = decideBridgeCapacity(state([bridge("a", 110), bridge("b", 110)], series), P, NOW);
    assert.equal(d.change, "out");
    assert.ok(d.desiredCapacity >= 5, `wanted >= 5 bridges for ~420 participants at stress 0.8, got ${d.desiredCapacity}`);
    // A minute later, same numbers, the launched bridges are Pending: nothing more is launched.
    const pending = Array.from({ length: d.desiredCapacity - 2 }, (_, i): BridgeInstance => ({ instanceId: `p${i}`, lifecycleState: "Pending", protectedFromScaleIn: false, launchTimeS: NOW }));
    const again = decideBridgeCapacity(state([bridge("a", 110), bridge("b", 110), ...pending], series), P, NOW + 60);
    assert.equal(again.change, "hold");
    assert.equal(again.desiredCapacity, d.desiredCapacity);
  });

  it("a flash crowd is met in several steps as the forecast grows", () => {
    const step1 = decideBridgeCapacity(state([bridge("a", 70)], [...flat(50, 38), 60, 80]), P, NOW);
    assert.equal(step1.change, "out");
    const booting: BridgeInstance[] = Array.from({ length: step1.desiredCapacity - 1 }, (_, i) => ({ instanceId: `p${i}`, lifecycleState: "Pending", protectedFromScaleIn: false, launchTimeS: NOW }));
    const step2 = decideBridgeCapacity(state([bridge("a", 150), ...booting], [...flat(50, 36), 60, 80, 150, 260]), P, NOW + 60);
    assert.equal(step2.change, "out");
    assert.ok(step2.desiredCapacity > step1.desiredCapacity);
  });

  it("undrainStress: a draining bridge goes back into service before the serving ones reach the target stress", () => {
    // Two serving bridges hold 154 and the total is flat: 154 ÷ 80 = 1.9 bridges at the target 0.8, but 154 ÷ 76 = 2.03 at
    // 0.76, so the draining bridge (paid for already) serves again rather than the two filling up to Jicofo's 0.8.
    const inst = [bridge("a", 77), bridge("b", 77), bridge("c", 20, { drainStartedS: NOW - 600 })];
    const atTarget = decideBridgeCapacity(state(inst, flat(174)), P0, NOW);
    assert.deepEqual([atTarget.change, atTarget.undrain], ["hold", []]);
    const early = decideBridgeCapacity(state(inst, flat(174)), resolveBridgePolicy({ ...P0, undrainStress: 0.76 }), NOW);
    assert.deepEqual([early.change, early.undrain, early.desiredCapacity], ["hold", ["c"], 3]);
    assert.match(early.reason, /undrained 1: serving needs 3 for 174/);
    // No launch for it: with nothing draining, the same load on two bridges holds.
    const none = decideBridgeCapacity(state([bridge("a", 77), bridge("b", 77)], flat(154)), resolveBridgePolicy({ ...P0, undrainStress: 0.76 }), NOW);
    assert.deepEqual([none.change, none.desiredCapacity], ["hold", 2]);
  });

  it("undrains draining bridges (the emptiest first) before launching", () => {
    const inst = [bridge("a", 100), bridge("b", 100), bridge("c", 40, { drainStartedS: NOW - 600 }), bridge("d", 20, { drainStartedS: NOW - 600 })];
    const d = decideBridgeCapacity(state(inst, [...flat(180, 37), 200, 230, 260]), P, NOW);
    assert.deepEqual(d.undrain, ["d", "c"]);
    assert.equal(d.estimate.draining, 0);
    // Only what undraining cannot cover is launched.
    assert.equal(d.change, "out");
    assert.equal(d.desiredCapacity, 5);
  });

  describe("reserves (reserveLaunches)", () => {
    const pending = (id: string, launchTimeS: number, extra: Partial<BridgeInstance> = {}): BridgeInstance =>
      ({ instanceId: id, lifecycleState: "Pending", protectedFromScaleIn: false, launchTimeS, ...extra });
    const booting = [pending("p0", NOW - 120), pending("p1", NOW - 60), pending("p2", NOW - 60)];

    it("booting bridges the serving forecast does not need are tagged as reserves, the newest launches first", () => {
      // 120 participants + 80 headroom need 3 serving bridges at 0.8: 2 serve, so 1 of the 3 booting ones must serve.
      const d = decideBridgeCapacity(state([bridge("a", 60), bridge("b", 60), ...booting], flat(120)), P, NOW);
      assert.deepEqual(d.reserve, ["p1", "p2"]);
      assert.equal(d.estimate.reserves, 2);
      assert.equal(d.desiredCapacity, 5, "reserves stay in the group");
      assert.deepEqual(decideBridgeCapacity(state([bridge("a", 60), bridge("b", 60), ...booting], flat(120)), resolveBridgePolicy({ ...P, reserveLaunches: 0 }), NOW).reserve, []);
    });

    it("a reserve is undrained when the serving bridges need it, after the draining bridges that hold meetings", () => {
      const reserved = [pending("p0", NOW - 120), pending("p1", NOW - 60, { drainStartedS: NOW - 60 }), pending("p2", NOW - 60, { drainStartedS: NOW - 60 })];
      const busyDrain = bridge("c", 30, { drainStartedS: NOW - 900, sample: { timestampS: NOW - 60, participants: 30, conferences: 3 } });
      // The total climbs 120 → 300: the serving horizon needs 5 bridges (300 + 2 minutes of growth); 2 serve and 1 boots
      // to serve: the draining bridge with meetings serves again first (already paid for), then one reserve; p2 waits.
      const d = decideBridgeCapacity(state([bridge("a", 150), bridge("b", 150), busyDrain, ...reserved], [...flat(120, 37), 180, 240, 300]), P, NOW);
      assert.deepEqual(d.undrain, ["c", "p1"]);
      assert.deepEqual(d.reserve, []);
    });

    it("a reserve just in service (drain mode, no sample yet) can be undrained; an empty one leaves when the group covers the forecast", () => {
      const fresh = bridge("r", 0, { drainStartedS: NOW - 200, sample: undefined });
      const need = decideBridgeCapacity(state([bridge("a", 75), fresh], [...flat(60, 38), 75, 75]), P, NOW);
      assert.deepEqual(need.undrain, ["r"]);
      const idle = bridge("r", 0, { drainStartedS: NOW - 200, sample: { timestampS: NOW - 60, participants: 0 } });
      const spare = decideBridgeCapacity(state([bridge("a", 10), bridge("b", 10), idle], flat(20)), P, NOW);
      assert.deepEqual(spare.terminate, [{ instanceId: "r", reason: "empty" }]);
    });

    it("with no bridge serving, one booting bridge always comes up serving", () => {
      const d = decideBridgeCapacity(state([pending("p0", NOW - 120), pending("p1", NOW - 60)], flat(0), { shardParticipants: 0 }), resolveBridgePolicy({ ...P, minBridges: 0 }), NOW);
      assert.deepEqual(d.reserve, ["p1"]);
    });
  });

  it("scales in slowly: drains the bridge with the fewest participants, one at a time", () => {
    const inst = [bridge("a", 30), bridge("b", 12), bridge("c", 25), bridge("d", 20)];
    const d = decideBridgeCapacity(state(inst, flat(87)), P, NOW);
    assert.equal(d.change, "in");
    assert.deepEqual(d.drain, ["b"]);
    assert.equal(d.desiredCapacity, 4, "a drain keeps the bridge in desired capacity until it is terminated");
  });

  it("hysteresis: a load that fits one bridge fewer at target stress, but not at scale-in stress, holds", () => {
    // 3 bridges, 150 participants: 2 bridges hold 160 at 0.8 but only 140 at scaleInStress 0.7.
    const d = decideBridgeCapacity(state([bridge("a", 50), bridge("b", 50), bridge("c", 50)], flat(150)), P, NOW);
    assert.equal(d.change, "hold");
  });

  it("a drained bridge is terminated only when a sample taken after the drain began shows nobody", () => {
    const series = flat(40);
    const empty = bridge("c", 0, { drainStartedS: NOW - 300 });
    const emptyBeforeDrain = bridge("d", 0, { drainStartedS: NOW - 30 });
    const busy = bridge("e", 5, { drainStartedS: NOW - 3000 });
    // Without consolidation the busy one waits for its last participant (with it, see the consolidate case).
    const d = decideBridgeCapacity(state([bridge("a", 40), empty, emptyBeforeDrain, busy], series), resolveBridgePolicy({ ...P0, consolidateAfterS: 0 }), NOW);
    assert.deepEqual(d.terminate, [{ instanceId: "c", reason: "empty" }]);
    assert.deepEqual(d.unprotect, ["c"]);
    assert.equal(d.desiredCapacity, 3);
  });

  it("consolidates a long drain: a few participants left after consolidateAfterS move on (JVB hands them to Jicofo)", () => {
    const drained = (n: number, ageS: number) => bridge("c", n, { drainStartedS: NOW - ageS, sample: { timestampS: NOW - 60, participants: n, conferences: 1 } });
    // Two serving bridges at 30 each hold 60 + 80 headroom + the 4 moved in 2 bridges at 0.8.
    const d = decideBridgeCapacity(state([bridge("a", 30), bridge("b", 30), drained(4, 1500)], flat(64)), P, NOW);
    assert.deepEqual(d.terminate, [{ instanceId: "c", reason: "consolidate" }]);
    assert.equal(d.desiredCapacity, 2);
    // Not yet: the drain is young, or more than consolidateMaxParticipants are left, or it is turned off.
    assert.deepEqual(decideBridgeCapacity(state([bridge("a", 30), bridge("b", 30), drained(4, 900)], flat(64)), P, NOW).terminate, []);
    assert.deepEqual(decideBridgeCapacity(state([bridge("a", 30), bridge("b", 30), drained(11, 1500)], flat(71)), P, NOW).terminate, []);
    assert.deepEqual(decideBridgeCapacity(state([bridge("a", 30), bridge("b", 30), drained(4, 1500)], flat(64)), resolveBridgePolicy({ ...P, consolidateAfterS: 0 }), NOW).terminate, []);
    // Not when the serving bridges have no room for them: they would need another bridge.
    assert.deepEqual(decideBridgeCapacity(state([bridge("a", 40), bridge("b", 40), drained(6, 1500)], flat(86)), P, NOW).terminate, []);
    // A sample from before the drain began says nothing about what is left.
    const stale = bridge("c", 4, { drainStartedS: NOW - 1500, sample: { timestampS: NOW - 1560, participants: 4 } });
    assert.deepEqual(decideBridgeCapacity(state([bridge("a", 30), bridge("b", 30), stale], flat(64)), P, NOW).terminate, []);
  });

  it("at the drain cap a bridge is terminated even with participants", () => {
    const capped = bridge("c", 3, { drainStartedS: NOW - P.drainCapS });
    const d = decideBridgeCapacity(state([bridge("a", 40), capped], flat(43)), P0, NOW);
    assert.deepEqual(d.terminate, [{ instanceId: "c", reason: "drain-cap" }]);
    // When the serving bridges need room, a draining bridge is reused (undrained) rather than waited out.
    const reused = decideBridgeCapacity(state([bridge("a", 40), bridge("c", 3, { drainStartedS: NOW - 600 })], flat(43)), P, NOW);
    assert.deepEqual(reused.undrain, ["c"]);
    assert.deepEqual(reused.terminate, []);
  });

  it("night to zero (min 0): drains the last bridge after a quiet stretch, terminates it when empty", () => {
    const p0 = resolveBridgePolicy({ minBridges: 0 });
    const d = decideBridgeCapacity(state([bridge("a", 0)], flat(0)), p0, NOW);
    assert.deepEqual(d.drain, ["a"]);
    const later = decideBridgeCapacity(state([bridge("a", 0, { drainStartedS: NOW, sample: { timestampS: NOW + 60, participants: 0 } })], flat(0)), p0, NOW + 120);
    assert.deepEqual(later.terminate, [{ instanceId: "a", reason: "empty" }]);
    assert.equal(later.desiredCapacity, 0);
    // With min 1 the last bridge stays.
    assert.equal(decideBridgeCapacity(state([bridge("a", 0)], flat(0)), P, NOW).change, "hold");
  });

  it("min 0, morning: with no bridge at all, Jicofo's participants wake the fleet (the bridges' metrics cannot)", () => {
    const p0 = resolveBridgePolicy({ minBridges: 0 });
    // Nobody on a bridge because there is none: the fleet series is empty/null, Jicofo counts 7 people waiting.
    const wake = decideBridgeCapacity(state([], [null, null, null], { shardParticipants: 7 }), p0, NOW);
    assert.equal(wake.change, "out", wake.reason);
    assert.equal(wake.desiredCapacity, 1);
    // 200 waiting (a big morning meeting): sized at once, 200 at 80 per bridge.
    assert.equal(decideBridgeCapacity(state([], flat(0), { shardParticipants: 200 }), p0, NOW).desiredCapacity, 3);
    // Nobody waiting, or the signal unknown: stays at zero.
    assert.equal(decideBridgeCapacity(state([], flat(0), { shardParticipants: 0 }), p0, NOW).change, "hold");
    assert.equal(decideBridgeCapacity(state([], flat(0)), p0, NOW).change, "hold");
  });

  it("min 0, night: the last bridge is not drained while Jicofo still counts someone in a conference", () => {
    const p0 = resolveBridgePolicy({ minBridges: 0 });
    assert.deepEqual(decideBridgeCapacity(state([bridge("a", 0)], flat(0), { shardParticipants: 1 }), p0, NOW).drain, []);
    assert.deepEqual(decideBridgeCapacity(state([bridge("a", 0)], flat(0), { shardParticipants: 0 }), p0, NOW).drain, ["a"]);
  });

  it("metric gap: a stale sample or a missing minute means hold, never scale in", () => {
    const stale = bridge("b", 5, { sample: { timestampS: NOW - 600, participants: 5 } });
    const d1 = decideBridgeCapacity(state([bridge("a", 5), stale, bridge("c", 5)], flat(15)), P, NOW);
    assert.equal(d1.change, "hold");
    const gap = [...flat(15, 39), null];
    const d2 = decideBridgeCapacity(state([bridge("a", 5), bridge("b", 5), bridge("c", 5)], gap), P, NOW);
    assert.equal(d2.change, "hold");
    const noSamples = [bridge("a", 0, { sample: undefined }), bridge("b", 0, { sample: undefined })];
    const d3 = decideBridgeCapacity(state(noSamples, [...flat(0, 39), null]), P, NOW);
    assert.equal(d3.change, "hold");
    assert.match(d3.reason, /metrics missing/);
  });

  it("min: below min it scales out even without metrics; max caps a scale-out", () => {
    const d = decideBridgeCapacity(state([], []), resolveBridgePolicy({ minBridges: 2 }), NOW);
    assert.equal(d.change, "out");
    assert.equal(d.desiredCapacity, 2);
    const capped = decideBridgeCapacity(state([bridge("a", 95), bridge("b", 95)], [...flat(100, 37), 150, 190, 190]), resolveBridgePolicy({ maxBridges: 3 }), NOW);
    assert.equal(capped.desiredCapacity, 3);
  });

  it("max: above max it drains the excess", () => {
    const d = decideBridgeCapacity(state([bridge("a", 70), bridge("b", 60), bridge("c", 65)], flat(195)), resolveBridgePolicy({ maxBridges: 2, minBridges: 1 }), NOW);
    assert.equal(d.change, "in");
    assert.deepEqual(d.drain, ["b"]);
  });

  it("warm instances shorten the lead time (warm start instead of a cold boot)", () => {
    const warm: BridgeInstance = { instanceId: "w", lifecycleState: "Warmed:Stopped", protectedFromScaleIn: false, launchTimeS: NOW - 9000 };
    const cold = decideBridgeCapacity(state([bridge("a", 50)], flat(50)), P, NOW);
    const hot = decideBridgeCapacity(state([bridge("a", 50), warm], flat(50)), P, NOW);
    assert.equal(cold.estimate.leadTimeS, P.bootS + P.metricDelayS + P.scheduleS);
    assert.equal(hot.estimate.leadTimeS, P.warmStartS + P.metricDelayS + P.scheduleS);
    assert.equal(hot.estimate.warm, 1);
  });

  it("plans at targetStress while a prepared warm instance can serve the next launch, at coldTargetStress otherwise", () => {
    const p = resolveBridgePolicy({ ...P0, targetStress: 0.8, coldTargetStress: 0.7, scaleInStress: 0.6 });
    const fleet = [bridge("a", 75), bridge("b", 75), bridge("c", 75), bridge("d", 75)];
    const w = (id: string, lifecycleState: BridgeInstance["lifecycleState"]): BridgeInstance => ({ instanceId: id, lifecycleState, protectedFromScaleIn: false, launchTimeS: NOW - 600 });
    // 300 participants: 3.75 bridges at 0.8 (4 are enough), 4.3 at 0.7 (a fifth is needed).
    const warm = decideBridgeCapacity(state([...fleet, w("w1", "Warmed:Stopped")], flat(300)), p, NOW);
    assert.equal(warm.change, "hold");
    assert.equal(warm.estimate.wantBridges, 4);
    // A pool still preparing (booting to stop) serves nothing yet: the next launch boots cold.
    for (const s of [state(fleet, flat(300)), state([...fleet, w("w1", "Warmed:Pending")], flat(300))]) {
      const cold = decideBridgeCapacity(s, p, NOW);
      assert.equal(cold.change, "out");
      assert.equal(cold.desiredCapacity, 5);
      assert.equal(cold.estimate.leadTimeS, p.bootS + p.metricDelayS + p.scheduleS);
    }
  });

  it("no new capacity decision while the previous one is still being carried out", () => {
    const s = state([bridge("a", 95)], [...flat(50, 37), 80, 95, 95], { desiredCapacity: 3 });
    const d = decideBridgeCapacity(s, P, NOW);
    assert.equal(d.change, "hold");
    assert.match(d.reason, /in progress/);
  });

  it("protects every serving bridge that is not protected yet", () => {
    const d = decideBridgeCapacity(state([bridge("a", 60, { protectedFromScaleIn: false }), bridge("b", 60)], flat(120)), P, NOW);
    assert.deepEqual(d.protect, ["a"]);
  });

  it("learns from previous days: the upcoming peak at this time of day raises the forecast", () => {
    const d = decideBridgeCapacity(state([bridge("a", 40)], flat(40), { previousDaysUpcomingPeak: [400, 380, 420] }), P, NOW);
    assert.equal(d.change, "out");
    assert.equal(d.desiredCapacity, 5); // median 400 at 80 per bridge
  });
});

describe("decideBridgeCapacity: forecasting", () => {
  it("previous days: their rise is scaled to today's level (a quieter day gets proportionally fewer bridges)", () => {
    // Yesterday went 200 -> 400 in the coming window; today runs at half of yesterday's level.
    const busy = state([bridge("a", 40), bridge("b", 60)], flat(100), { previousDaysUpcomingPeak: [400], previousDaysLevel: [200] });
    const f = forecastParticipants(busy, P0, 300)!;
    assert.equal(f.expected, 200, "ratio 2 applied to today's 100");
    assert.equal(decideBridgeCapacity(busy, P0, NOW).desiredCapacity, 3, "200 at 80 per bridge");
    // Without the levels (an older handler), the peak is taken as it was: 400 -> 5 bridges.
    const { previousDaysLevel: _drop, ...legacy } = busy;
    assert.equal(decideBridgeCapacity(legacy, P0, NOW).desiredCapacity, 5);
  });

  it("previous days: their rise counts at profileWeight (the default expects half of it)", () => {
    // Yesterday went 200 -> 400 in the coming window (ratio 2); today runs at 100, so in full the forecast is 200.
    const s = state([bridge("a", 40), bridge("b", 60)], flat(100), { previousDaysUpcomingPeak: [400], previousDaysLevel: [200] });
    const at = (w: number): number => forecastParticipants(s, resolveBridgePolicy({ ...P0, profileWeight: w }), 300)!.expected;
    assert.deepEqual([at(1), at(0.5), at(0)], [200, 150, 100]);
    assert.equal(DEFAULT_BRIDGE_POLICY.profileWeight, 0.5);
    // A day that went down counts at the same weight, but the latest total is the floor of every forecast.
    const down = state([bridge("a", 40), bridge("b", 60)], flat(100), { previousDaysUpcomingPeak: [100], previousDaysLevel: [200] });
    assert.equal(forecastParticipants(down, resolveBridgePolicy({ ...P0, profileWeight: 0.5, headroomWithHistoryParticipants: 0 }), 300)!.expected, 100);
  });

  it("previous days: a night-time level near zero is floored at one bridge, so a morning ramp is not blown up", () => {
    // Yesterday 5 -> 160 within the window; today 10. Floor 80: ratio 160/80 = 2, times max(10, 80) = 160.
    const s = state([bridge("a", 10)], flat(10), { previousDaysUpcomingPeak: [160], previousDaysLevel: [5] });
    assert.equal(forecastParticipants(s, P0, 300)!.expected, 160);
  });

  it("headroom: one bridge's worth before any history, headroomWithHistoryParticipants once previous days are known", () => {
    // A flat 100: no growth, no seasonal rise; yesterday was flat too (its rise adds nothing).
    const none = state([bridge("a", 50), bridge("b", 50)], flat(100));
    const known = state([bridge("a", 50), bridge("b", 50)], flat(100), { previousDaysUpcomingPeak: [100], previousDaysLevel: [100] });
    assert.equal(forecastParticipants(none, P, 300)!.expected, 180);
    assert.equal(forecastParticipants(known, P, 300)!.expected, 140);
    assert.equal(decideBridgeCapacity(none, P, NOW).estimate.wantBridges, 3);
    assert.equal(decideBridgeCapacity(known, P, NOW).estimate.wantBridges, 2);
    // History turned off (profileWeight 0): the full headroom again.
    assert.equal(forecastParticipants(known, resolveBridgePolicy({ ...P, profileWeight: 0 }), 300)!.expected, 180);
  });

  it("headroom grows with the square root of the load up to its cap: a quiet night keeps one bridge, a busy fleet the whole cap", () => {
    // The square-root rule alone (no learning from the fleet's own misses: that has its own case).
    const D = resolveBridgePolicy({ headroomLearnS: 0 });
    const night = state([bridge("a", 25)], flat(25));
    // 25 on one bridge: room for 5 × √25 = 25 more, 50 in all, still one bridge at the target (a fixed 80 kept two).
    assert.equal(forecastParticipants(night, D, 300)!.expected, 25 + D.headroomScale * 5);
    assert.equal(decideBridgeCapacity(night, D, NOW).estimate.wantBridges, 1);
    assert.equal(decideBridgeCapacity(night, resolveBridgePolicy({ ...D, headroomScale: 1000, headroomParticipants: 80 }), NOW).estimate.wantBridges, 2);
    // 400 on six bridges: 5 × 20 = 100 is above the cap, so the cap (60) is kept.
    const busy = state(["a", "b", "c", "d", "e", "f"].map((id) => bridge(id, 400 / 6)), flat(400));
    assert.equal(forecastParticipants(busy, D, 300)!.expected, 400 + D.headroomParticipants);
    // Once previous days are known, the smaller cap.
    const known = state(["a", "b", "c", "d", "e", "f"].map((id) => bridge(id, 400 / 6)), flat(400), { previousDaysUpcomingPeak: [400], previousDaysLevel: [400] });
    assert.equal(forecastParticipants(known, D, 300)!.expected, 400 + D.headroomWithHistoryParticipants);
    // Nobody on a bridge: no headroom, so a fleet with min 0 can still go to zero.
    assert.equal(forecastParticipants(state([bridge("a", 0)], flat(0)), D, 300)!.expected, 0);
  });

  it("seasonal rise: the serving horizon takes the biggest of the previous cycles, the group horizon a recent-weighted mean", () => {
    // 60 and 30 minutes ago the total rose 100 -> 110 (+10 %) and 100 -> 160 (+60 %) within the lead; now it is 100.
    const series = [100, 110, ...flat(100, 28), 100, 160, ...flat(100, 28), 100];
    assert.equal(seasonalRise(series, 120, 1800, 2, 80, "max"), 60);
    // 2/3 of the last cycle's +60 % and 1/3 of the one before's +10 %: +43.3 %.
    assert.ok(Math.abs(seasonalRise(series, 120, 1800, 2, 80, "recent") - (2 * 60 + 10) / 3) < 1e-9);
    const s = state([bridge("a", 50), bridge("b", 50)], series);
    const p = resolveBridgePolicy({ ...P0, trendMinutes: 1 });
    assert.equal(forecastParticipants(s, p, 120, "serving")!.expected, 160);
    assert.ok(Math.abs(forecastParticipants(s, p, 120, "group")!.expected - (100 + 130 / 3)) < 1e-9);
  });

  it("growth: the slope of the last trendMinutes is projected for at most trendMinutes more, not for the whole boot lead", () => {
    // +100 per minute over the last 3 minutes; a 5-minute lead expects 3 more minutes of it (+300), not 5 (+500).
    const series = [...flat(100, 37), 200, 300, 400];
    const s = state([bridge("a", 200), bridge("b", 200)], series);
    const p = resolveBridgePolicy({ ...P0, seasonalPeriodS: 0, trendMinutes: 3 });
    assert.equal(forecastParticipants(s, p, 300)!.expected, 700);
    assert.equal(forecastParticipants(s, p, 120)!.expected, 600, "a 2-minute lead: 2 minutes of it");
  });
});

describe("decideBridgeCapacity: helpers", () => {
  it("seasonalRise applies the rise seen one period ago at this phase, scaled to today's level", () => {
    // Period 30 min: 30 minutes ago the total went 100 -> 150 within the lead (ratio 0.5); now it is 200: +100.
    const series = [100, ...flat(150, 29), 200];
    assert.equal(seasonalRise(series, 300, 1800, 1, 80), 100);
    assert.equal(seasonalRise(flat(100, 31), 300, 0, 1, 80), 0, "period 0 turns it off");
  });

  it("recentRise is the biggest rise within the lead in the memory window", () => {
    assert.equal(recentRise([10, 10, 50, 60, 20, 25], 120, 600), 50);
    assert.equal(recentRise([10, null, 50], 60, 600), 0);
  });

  it("learned headroom: the fleet's own forecast replayed over the last headroomLearnS — a calm fleet keeps none, a surprise keeps 1.2 × its size", () => {
    const D = DEFAULT_BRIDGE_POLICY;
    // 200 minutes at 100, then 130 from minute 100 on: replayed at minute 99 the forecast said 100 (no growth, no
    // earlier cycle rose), and within the 2-minute lead the total reached 130: a miss of 30. Every later replay saw
    // the rise coming (growth, then the seasonal cycles), so 30 is the biggest.
    const stepped = [...flat(100, 100), ...flat(130, 100)];
    assert.equal(biggestMiss(stepped, D, 120, "serving"), 30);
    // Two bridges and a prepared instance in the warm pool (the next launch a warm start).
    const two = [bridge("a", 65), bridge("b", 65), { instanceId: "w", lifecycleState: "Warmed:Stopped", protectedFromScaleIn: false, launchTimeS: NOW - 7200 } as BridgeInstance];
    // Room for 1.2 × 30 = 36 more (below 5 × √130 ≈ 57 and the cap 100).
    assert.equal(forecastParticipants(state(two, stepped), D, 120)!.expected, 130 + 36);
    // Three calm hours: nothing beat the forecast, so no room beyond it: 130 fits two bridges at 0.8.
    const calm = flat(130, 200);
    assert.equal(biggestMiss(calm, D, 120, "serving"), 0);
    assert.equal(forecastParticipants(state(two, calm), D, 120)!.expected, 130);
    assert.equal(decideBridgeCapacity(state(two, calm), D, NOW).estimate.wantBridges, 2);
    // Without learning the square-root rule keeps 57 more: a third bridge for the same calm fleet.
    const unlearned = resolveBridgePolicy({ headroomLearnS: 0 });
    assert.equal(biggestMiss(calm, unlearned, 120, "serving"), undefined);
    assert.equal(decideBridgeCapacity(state(two, calm), unlearned, NOW).estimate.wantBridges, 3);
    // So does a cold launch (no prepared instance): a boot's longer lead keeps the square-root rule (at 0.76: 3 bridges).
    assert.equal(decideBridgeCapacity(state(two.slice(0, 2), calm), D, NOW).estimate.wantBridges, 3);
    // A big miss is bounded by the learned cap: 600 → 800 in one minute, 1.2 × 200 and 5 × √800 ≈ 141 above 100.
    const surge = [...flat(600, 100), ...flat(800, 100)];
    assert.equal(forecastParticipants(state(two, surge), D, 120)!.expected, 800 + D.headroomLearnedParticipants);
    assert.ok(D.headroomLearnedParticipants > D.headroomParticipants);
    // A miss older than the window is forgotten: the step at minute 10 of 200 is more than 3 h + a lead back.
    assert.equal(biggestMiss([...flat(100, 10), ...flat(130, 190)], D, 120, "serving"), 0);
    // Too short a series to replay anything: the square-root rule alone.
    assert.equal(biggestMiss([130, 130], D, 120, "serving"), undefined);
    assert.equal(forecastParticipants(state(two, [130, 130]), D, 120)!.expected, 130 + Math.min(D.headroomParticipants, 5 * Math.sqrt(130)));
  });

  it("live read: a crowd the bridges hold now, which CloudWatch shows only a minute later, launches at this run; leads use liveDelayS", () => {
    const D = DEFAULT_BRIDGE_POLICY;
    const warm = { instanceId: "w", lifecycleState: "Warmed:Stopped", protectedFromScaleIn: false, launchTimeS: NOW - 7200 } as BridgeInstance;
    // Three calm hours at 130 on two bridges: CloudWatch's newest minute (a minute old) still says 130, and the learned
    // headroom is 0, so 130 fits the two bridges at 0.8 and nothing happens.
    const calm = flat(130, 200);
    const two = [bridge("a", 65), bridge("b", 65), warm];
    const blind = decideBridgeCapacity(state(two, calm), D, NOW);
    assert.equal(blind.change, "hold");
    assert.equal(blind.estimate.leadTimeS, D.warmStartS + D.metricDelayS + D.scheduleS);
    // The bridges answer 175 now: the newest minute becomes 175, the forecast replayed two minutes back missed it by
    // 45, so the room is 1.2 × 45 = 54 (below 5 × √175 ≈ 66): 229 needs a third bridge at 0.8, launched now.
    const seen = decideBridgeCapacity(state(two, calm, { liveParticipants: 175 }), D, NOW);
    assert.equal(seen.change, "out");
    assert.equal(seen.desiredCapacity, 3);
    assert.equal(seen.estimate.forecastParticipants, 175 + 54);
    assert.equal(seen.estimate.leadTimeS, D.warmStartS + D.liveDelayS + D.scheduleS);
    // A live count equal to CloudWatch's changes nothing but the leads.
    assert.equal(decideBridgeCapacity(state(two, calm, { liveParticipants: 130 }), D, NOW).change, "hold");
  });

  it("withLiveMinute: the live count is the newest minute, after the minutes CloudWatch cannot show yet; the series keeps its length", () => {
    const s = state([bridge("a", 10)], [1, 2, 3], { liveParticipants: 9 });
    assert.deepEqual(withLiveMinute(s, DEFAULT_BRIDGE_POLICY).fleetParticipantsPerMinute, [2, 3, 9]);
    // A 3-minute metric delay leaves two minutes unseen between CloudWatch's newest and now.
    assert.deepEqual(withLiveMinute(s, resolveBridgePolicy({ metricDelayS: 180 })).fleetParticipantsPerMinute, [null, null, 9]);
    // No live read, or a nonsensical one: the state as it was.
    const none = state([bridge("a", 10)], [1, 2, 3]);
    assert.equal(withLiveMinute(none, DEFAULT_BRIDGE_POLICY), none);
    assert.deepEqual(withLiveMinute({ ...s, liveParticipants: -1 }, DEFAULT_BRIDGE_POLICY).fleetParticipantsPerMinute, [1, 2, 3]);
    assert.deepEqual(withLiveMinute({ ...s, liveParticipants: NaN }, DEFAULT_BRIDGE_POLICY).fleetParticipantsPerMinute, [1, 2, 3]);
    // ... and decide() plans such a run over the metric delay, as without a live read.
    const d = decideBridgeCapacity({ ...s, liveParticipants: -1 }, DEFAULT_BRIDGE_POLICY, NOW);
    assert.equal(d.estimate.leadTimeS, DEFAULT_BRIDGE_POLICY.bootS + DEFAULT_BRIDGE_POLICY.metricDelayS + DEFAULT_BRIDGE_POLICY.scheduleS);
  });

  it("fleetHistoryMinutes covers the seasonal cycles, the surge memory, the scale-in window and the replayed forecasts", () => {
    // Learning over 3 h: 180 replayed minutes from a lead (5) ago, each reading two half-hour cycles (60) before it.
    assert.equal(fleetHistoryMinutes(DEFAULT_BRIDGE_POLICY), 180 + 5 + 60 + 1);
    assert.equal(fleetHistoryMinutes(resolveBridgePolicy({ headroomLearnS: 0 })), Math.max(5, 30 + 5, 4, 60) + 1);
  });

  it("chooseVictims skips bridges without a fresh sample", () => {
    const v = chooseVictims([bridge("a", 1, { sample: undefined }), bridge("b", 9), bridge("c", 4)], P, NOW, 2);
    assert.deepEqual(v.map((b) => b.instanceId), ["c", "b"]);
  });

  it("chooseVictims ranks by conferences first when every bridge reports them (a bridge empties with its last meeting)", () => {
    const few = bridge("few", 40, { sample: { timestampS: NOW - 60, participants: 40, conferences: 1 } });
    const many = bridge("many", 20, { sample: { timestampS: NOW - 60, participants: 20, conferences: 6 } });
    assert.deepEqual(chooseVictims([many, few], P, NOW, 1).map((b) => b.instanceId), ["few"]);
    const unknown = bridge("unknown", 30);
    assert.deepEqual(chooseVictims([many, few, unknown], P, NOW, 1).map((b) => b.instanceId), ["many"], "mixed fleet: fewest participants");
  });

  it("undrainOrder: most conferences first when reported (they would take longest to empty), else most room", () => {
    const c = (id: string, participants: number, conferences?: number): BridgeInstance =>
      bridge(id, participants, { drainStartedS: NOW - 600, sample: { timestampS: NOW - 60, participants, conferences } });
    assert.deepEqual(undrainOrder([c("near-empty", 3, 1), c("busy", 40, 7), c("mid", 20, 3)]).map((b) => b.instanceId), ["busy", "mid", "near-empty"]);
    assert.deepEqual(undrainOrder([c("x", 30), c("y", 5), c("z", 50, 4)]).map((b) => b.instanceId), ["y", "x", "z"]);
  });

  it("resolveBridgePolicy names every bad field and what is allowed", () => {
    assert.throws(() => resolveBridgePolicy({ targetStress: 2, minBridges: -1 }), (e: unknown) => {
      assert.ok(e instanceof BridgePolicyError);
      assert.match(e.message, /targetStress must be a number from 0.05 to 1, got 2/);
      assert.match(e.message, /minBridges must be a whole number from 0 to 1000, got -1/);
      return true;
    });
    assert.throws(() => resolveBridgePolicy({ scaleInStress: 0.9 }), /scaleInStress must be below targetStress \(0.8\)/);
    assert.throws(() => resolveBridgePolicy({ coldTargetStress: 0.9 }), /coldTargetStress must be at most targetStress \(0.8\)/);
    // A target set alone caps the cold one and moves scale-in with it (no error about a field the operator did not set).
    assert.equal(resolveBridgePolicy({ targetStress: 0.72 }).coldTargetStress, 0.72);
    assert.ok(Math.abs(resolveBridgePolicy({ targetStress: 0.72 }).scaleInStress - 0.666) < 1e-9);
    assert.throws(() => resolveBridgePolicy({ targetStress: 0.72, scaleInStress: 0.74 }), /scaleInStress must be below targetStress \(0.72\)/);
    assert.equal(resolveBridgePolicy({ targetStress: 0.9 }).coldTargetStress, DEFAULT_BRIDGE_POLICY.coldTargetStress);
    assert.throws(() => resolveBridgePolicy({ minBridges: 5, maxBridges: 2 }), /minBridges must be at most maxBridges/);
    // Undrain between scale-in and the target: below scale-in a bridge drained at one run would be undrained at the next.
    assert.throws(() => resolveBridgePolicy({ undrainStress: 0.7 }), /undrainStress must be from scaleInStress \(0.74\) to targetStress \(0.8\), got 0.7/);
    assert.throws(() => resolveBridgePolicy({ undrainStress: 0.85 }), /undrainStress must be from scaleInStress \(0.74\) to targetStress \(0.8\), got 0.85/);
    assert.ok(Math.abs(resolveBridgePolicy({ targetStress: 0.72 }).undrainStress - 0.684) < 1e-9);
  });
});

describe("decideBridgeCapacity: invariants (fast-check)", () => {
  const arbBridge = fc.record({
    participants: fc.integer({ min: 0, max: 120 }),
    sampleAge: fc.integer({ min: 0, max: 400 }),
    hasSample: fc.boolean(),
    drainAge: fc.option(fc.integer({ min: 0, max: 20000 }), { nil: undefined }),
    state: fc.constantFrom("InService", "InService", "InService", "Pending", "Terminating:Wait", "Warmed:Stopped"),
  });
  const arbFleet = fc.record({
    bridges: fc.array(arbBridge, { maxLength: 12 }),
    series: fc.array(fc.option(fc.integer({ min: 0, max: 1500 }), { nil: null }), { maxLength: 70 }),
    min: fc.integer({ min: 0, max: 4 }),
  });

  it("never terminates a bridge with more than a few participants before its cap; stale metrics never drain; desired stays within max", () => {
    fc.assert(
      fc.property(arbFleet, ({ bridges, series, min }) => {
        const policy = resolveBridgePolicy({ minBridges: min, maxBridges: 15 });
        const instances: BridgeInstance[] = bridges.map((b, i) => ({
          instanceId: `i${i}`,
          lifecycleState: b.state as BridgeInstance["lifecycleState"],
          protectedFromScaleIn: true,
          launchTimeS: NOW - 5000,
          sample: b.hasSample ? { timestampS: NOW - b.sampleAge, participants: b.participants } : undefined,
          drainStartedS: b.drainAge === undefined ? undefined : NOW - b.drainAge,
        }));
        const s = state(instances, series);
        const d = decideBridgeCapacity(s, policy, NOW);
        const byId = new Map(instances.map((b) => [b.instanceId, b]));
        for (const t of d.terminate) {
          const b = byId.get(t.instanceId)!;
          assert.ok(b.drainStartedS !== undefined, "only drained bridges are terminated");
          if (t.reason === "empty") {
            assert.equal(b.sample?.participants, 0);
            assert.ok(b.sample!.timestampS >= b.drainStartedS!);
          } else if (t.reason === "consolidate") {
            // Only a few participants, seen after the drain began, after a long drain: JVB hands them to Jicofo.
            assert.ok(b.sample!.participants >= 1 && b.sample!.participants <= policy.consolidateMaxParticipants);
            assert.ok(b.sample!.timestampS >= b.drainStartedS! && NOW - b.drainStartedS! >= policy.consolidateAfterS);
          } else assert.ok(NOW - b.drainStartedS! >= policy.drainCapS);
        }
        const serving = instances.filter((b) => b.lifecycleState === "InService" && b.drainStartedS === undefined);
        const stale = serving.some((b) => !b.sample || NOW - b.sample.timestampS > policy.maxSampleAgeS);
        if (stale) assert.equal(d.drain.length === 0 || serving.length > policy.maxBridges, true, "stale metrics never scale in");
        if (d.change === "out") assert.ok(d.desiredCapacity <= policy.maxBridges + instances.filter((b) => b.drainStartedS !== undefined).length);
      }),
      { numRuns: 400 },
    );
  });

  it("a bridge drained at one run is not undrained at the next when nothing changed (undrainStress from scaleInStress up)", () => {
    const arbSteady = fc.record({
      loads: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 2, maxLength: 10 }),
      warm: fc.boolean(),
      undrainStress: fc.constantFrom(0.74, 0.76, 0.78, 0.8),
    });
    let drains = 0;
    fc.assert(
      fc.property(arbSteady, ({ loads, warm, undrainStress }) => {
        const policy = resolveBridgePolicy({ maxBridges: 20, undrainStress });
        const total = loads.reduce((a, b) => a + b, 0);
        const pool: BridgeInstance[] = warm ? [{ instanceId: "w", lifecycleState: "Warmed:Stopped", protectedFromScaleIn: false, launchTimeS: NOW - 9000 }] : [];
        const first = loads.map((p, i) => bridge(`b${i}`, p));
        const d1 = decideBridgeCapacity(state([...first, ...pool], flat(total, 70)), policy, NOW);
        if (d1.drain.length === 0) return;
        drains++;
        // The handler tags the victims; a minute later the samples and the fleet total are the same.
        const second = first.map((b) => (d1.drain.includes(b.instanceId) ? { ...b, drainStartedS: NOW } : b));
        const d2 = decideBridgeCapacity(state([...second, ...pool], flat(total, 70)), policy, NOW + 60);
        assert.deepEqual(d2.undrain, [], `drained ${d1.drain.join(",")} at ${d1.reason}; undrained at ${d2.reason}`);
      }),
      { numRuns: 300 },
    );
    assert.ok(drains > 20, `the property saw ${drains} drains`);
  });
});
