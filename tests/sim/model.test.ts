/**
 * The simulator's building blocks on tiny hand-computed cases: billing, the oracle, Jicofo placement, the join
 * model, trace parsing.
 */
import { strict as assert } from "assert";
import { billedSeconds, instanceHours } from "../../sim/billing";
import { DEFAULT_SIM_CONFIG } from "../../sim/config";
import { newBridge, placeEndpoint, selectBridge, SimBridge } from "../../sim/jicofo";
import { bridgeNeed, concurrency, levelIntervals, oracleSchedule } from "../../sim/oracle";
import { parseTrace, TRACE_HEADER } from "../../sim/trace";
import { bridgeLoadSteps, buildWorkload, peakTurnAllocations } from "../../sim/workload";

const cfg = DEFAULT_SIM_CONFIG;
/** The looser reading of "draining bridges take no new conferences" (SimConfig.drainingJoins). */
const ownConferences = { ...cfg, drainingJoins: "own-conferences" as const };

describe("sim billing", () => {
  it("bills per second with a 60 s minimum", () => {
    assert.equal(billedSeconds(0, 10), 60);
    assert.equal(billedSeconds(100, 160), 60);
    assert.equal(billedSeconds(100, 161), 61);
    assert.equal(billedSeconds(0, 3600), 3600);
    assert.equal(instanceHours([[0, 3600], [0, 30]]), (3600 + 60) / 3600);
    assert.throws(() => billedSeconds(10, 5), /endS \(5\) is before launchS \(10\)/);
  });
});

describe("sim oracle", () => {
  it("splits a need step function into per-instance levels", () => {
    const need: [number, number][] = [[0, 1], [100, 3], [200, 1], [300, 0]];
    assert.deepEqual(levelIntervals(need, 1000), [[[0, 300]], [[100, 200]], [[100, 200]]]);
  });

  it("launches each instance one boot ahead and bills boot + use", () => {
    // One bridge needed 1000..4600: launched at 820 (boot 180), billed 3780 s.
    const r = oracleSchedule([[1000, 1], [4600, 0]], 180, 10000);
    assert.deepEqual(r.runs, [{ launchS: 820, readyS: 1000, endS: 4600 }]);
    assert.equal(r.instanceHours, 3780 / 3600);
    assert.equal(r.scalingActions, 2);
  });

  it("keeps an idle instance through a gap no longer than a boot, relaunches after a longer one", () => {
    const short = oracleSchedule([[1000, 1], [2000, 0], [2150, 1], [3000, 0]], 180, 5000);
    assert.equal(short.runs.length, 1);
    assert.equal(short.instanceHours, (3000 - 820) / 3600);
    const long = oracleSchedule([[1000, 1], [2000, 0], [2500, 1], [3000, 0]], 180, 5000);
    assert.equal(long.runs.length, 2);
    assert.equal(long.instanceHours, (2000 - 820 + (3000 - 2320)) / 3600);
  });

  it("needs ceil(load ÷ (capacity × 0.8)) bridges", () => {
    assert.deepEqual(bridgeNeed([[0, 0], [10, 80], [20, 81], [30, 160], [40, 161]], 100, 0.8), [[0, 0], [10, 1], [20, 2], [40, 3]]);
  });

  it("counts overlapping intervals", () => {
    assert.deepEqual(concurrency([[0, 10], [5, 15], [10, 20]]), [[0, 1], [5, 2], [10, 2], [15, 1], [20, 0]]);
  });
});

describe("sim Jicofo placement", () => {
  const serving = (id: string, participants: number, conf = 99): SimBridge => {
    const b = newBridge(id, 0, 0, 0);
    b.state = "serving";
    b.participants = participants;
    if (participants > 0) b.perConf.set(conf, participants);
    return b;
  };

  it("puts a new conference on the least-loaded bridge below stress 0.8", () => {
    const bs = [serving("a", 50), serving("b", 30), serving("c", 79)];
    assert.equal(selectBridge(bs, 1, 1000, cfg)?.id, "b");
  });

  it("adds 0.01 stress per endpoint that joined in the last 20 s (flash-crowd guard)", () => {
    const a = serving("a", 30);
    const b = serving("b", 35);
    for (let i = 0; i < 10; i++) placeEndpoint(a, 5, 995); // a: 40 now, +0.10 guard => 0.50 vs b 0.35
    assert.equal(selectBridge([a, b], 1, 1000, cfg)?.id, "b");
    // 21 s later the guard is gone: a (0.40) vs b (0.35) still b; with b at 45, a wins.
    b.participants = 45;
    assert.equal(selectBridge([a, b], 1, 1016, cfg)?.id, "a");
  });

  it("keeps a conference on its bridge while that bridge is below 0.8, else spills to another", () => {
    const a = serving("a", 60, 7);
    const b = serving("b", 10);
    assert.equal(selectBridge([a, b], 7, 1000, cfg)?.id, "a", "same bridge first, even if not the least loaded");
    a.participants = 80;
    a.perConf.set(7, 80);
    assert.equal(selectBridge([a, b], 7, 1000, cfg)?.id, "b", "overloaded for new joins: spill with a relay");
  });

  it("never puts more than 80 endpoints of one conference on a bridge while another bridge exists", () => {
    const a = serving("a", 80, 7);
    a.perConf.set(7, 80);
    a.participants = 0; // stress looks low, but the conference is at 80 here
    const b = serving("b", 70);
    assert.equal(selectBridge([a, b], 7, 1000, cfg)?.id, "b");
  });

  it("the issue's looser model (own-conferences): draining bridges take no new conferences but do take endpoints of their conferences", () => {
    const d = serving("d", 10, 3);
    d.state = "draining";
    const s = serving("s", 60);
    assert.equal(selectBridge([d, s], 4, 1000, ownConferences)?.id, "s");
    assert.equal(selectBridge([d, s], 3, 1000, ownConferences)?.id, "d");
  });

  it("with Jicofo's rule under relays (none-while-active, the default) a draining bridge takes nobody while an active bridge exists", () => {
    const strict = cfg;
    assert.equal(cfg.drainingJoins, "none-while-active");
    const d = serving("d", 10, 3);
    d.state = "draining";
    const s = serving("s", 60);
    assert.equal(selectBridge([d, s], 3, 1000, strict)?.id, "s", "the conference spans to the active bridge over a relay");
    assert.equal(selectBridge([d, s], 4, 1000, strict)?.id, "s");
    s.participants = 95;
    assert.equal(selectBridge([d, s], 3, 1000, strict)?.id, "s", "even an overloaded active bridge comes first");
    assert.equal(selectBridge([d], 4, 1000, strict)?.id, "d", "with no active bridge left, a draining one serves, new conferences too");
    assert.equal(selectBridge([d], 4, 1000, ownConferences), undefined, "the looser model: never a new conference on a draining bridge");
  });

  it("when every bridge is at 0.8 it still places on the least loaded (overload), and with none it places nowhere", () => {
    assert.equal(selectBridge([serving("a", 95), serving("b", 85)], 1, 1000, cfg)?.id, "b");
    const booting = newBridge("x", 0, 0, 100);
    assert.equal(selectBridge([booting], 1, 1000, cfg), undefined);
  });
});

describe("sim workload (join model, P2P, TURN)", () => {
  const trace = (rows: string[]): ReturnType<typeof parseTrace> => parseTrace([TRACE_HEADER, ...rows].join("\n"));

  it("two-party calls use no bridge; a share goes through TURN (2 allocations each)", () => {
    const confs = trace(Array.from({ length: 200 }, (_, i) => `p${i},us-east-1,0,600,2,0,0`));
    const w = buildWorkload(confs, cfg);
    assert.equal(w.events.length, 0);
    const peak = peakTurnAllocations(w);
    assert.equal(peak % 2, 0);
    assert.ok(peak >= 2 * 200 * 0.05 && peak <= 2 * 200 * 0.3, `about 15 % of 200 calls × 2, got ${peak}`);
  });

  it("participants join within the first minutes and all leave at the end; Jibri is one more endpoint", () => {
    const w = buildWorkload(trace(["c1,us-east-1,1000,3600,5,600,1200"]), cfg);
    const joins = w.events.filter((e) => e.delta > 0);
    assert.equal(joins.length, 6);
    assert.equal(joins[0].t, 1000);
    assert.ok(joins.every((e) => e.t >= 1000 && e.t <= 1000 + cfg.joinSpreadS + 600));
    const load = bridgeLoadSteps(w);
    assert.equal(load[load.length - 1][0], 4600);
    assert.equal(load[load.length - 1][1], 0);
    assert.equal(Math.max(...load.map(([, v]) => v)), 6);
    assert.deepEqual(w.recordings, [{ conf: 0, startS: 1600, durationS: 1200 }]);
  });

  it("a recorded two-party call leaves P2P while Jibri records it", () => {
    const w = buildWorkload(trace(["c1,us-east-1,0,3600,2,600,600"]), cfg);
    assert.deepEqual(bridgeLoadSteps(w), [[600, 3], [1200, 0]]);
  });

  it("rejects a bad trace row with its line number and field", () => {
    assert.throws(() => trace(["c1,us-east-1,abc,600,3,0,0"]), /line 2: start_s must be a number >= 0, got "abc"/);
    assert.throws(() => trace(["c1,mars,0,600,3,0,0"]), /line 2: region must look like an AWS region/);
    assert.throws(() => parseTrace("id,region\n"), /line 1 must be the header/);
  });
});
