/**
 * The simulator end to end: tiny hand-computed traces through every policy, faults, the CLI (table, JSON, chart,
 * bad input), and the issue #9 targets on the shared traces and on generated traces it has never seen.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveBridgePolicy } from "../../functions/bridge-scaler/decide";
import { REPLENISH_DEFAULTS } from "../../functions/jibri-replenisher/decide";
import { DEFAULT_SIM_CONFIG, SIM_WARM_POOL, simPolicies } from "../../sim/config";
import { perfectForecaster } from "../../sim/bridge-policies";
import { POLICY_NAMES, PolicyName, PolicyResult, simulate, SimResult } from "../../sim/engine";
import { faultSchedule, NO_FAULTS, parseFaults } from "../../sim/faults";
import { Fleet } from "../../sim/fleet";
import { EventQueue } from "../../sim/heap";
import { generateTrace, resampleTrace } from "../../sim/generate";
import { targetProblems } from "../../sim/targets";
import { Conference, formatTrace, parseTrace, readTrace, TRACE_HEADER } from "../../sim/trace";
import { main } from "../../tools/simulate";
import { captureCli } from "../helpers/capture";
import { requireShared } from "../helpers/env";

const opts = (policies: readonly PolicyName[] = POLICY_NAMES, faults = NO_FAULTS, bridge = {}, warmPool?: number, cfg = DEFAULT_SIM_CONFIG) => ({
  cfg, ...simPolicies(bridge), faults, policies, warmPool,
});
/** The scaler on CloudWatch's minutes alone (a BridgeFleet without scalerSubnetIds). */
const NO_LIVE = { ...DEFAULT_SIM_CONFIG, liveRead: false };
const row = (r: SimResult, name: PolicyName): PolicyResult => r.policies.find((p) => p.name === name)!;
const trace = (rows: string[]): Conference[] => parseTrace([TRACE_HEADER, ...rows].join("\n"));

/** Captures stdout/stderr of the CLI's main(). */
const cli = (args: string[]) => captureCli(() => main(args));

describe("simulate: tiny hand-computed traces", () => {
  it("one 5-person meeting for an hour: oracle 1.05 h (boot + use), static 2 h, nobody overloaded", () => {
    const r = simulate(trace(["c1,us-east-1,3600,3600,5,0,0"]), opts());
    assert.equal(row(r, "oracle").bridgeInstanceHours, (7200 - 3420) / 3600);
    assert.equal(row(r, "static-peak").bridgeInstanceHours, 2);
    // min 1 bridge all along; 5 people and their headroom (5 × √5 ≈ 11) fit on it: 2 h, plus the warm pool's fill
    // (4 instances, each billed for its 180 s boot before it stops): 2.2 h.
    const d = row(r, "default").bridgeInstanceHours;
    assert.ok(Math.abs(d - (2 + (SIM_WARM_POOL * 180) / 3600)) < 1e-9, `default ${d} h`);
    // Without a warm pool, a fixed one-bridge headroom (not learned from the fleet's own misses) adds a second bridge
    // from a boot after the meeting starts until it ends: 2 h + ~59 min.
    const fixed = row(simulate(trace(["c1,us-east-1,3600,3600,5,0,0"]), opts(["default"], NO_FAULTS, { headroomScale: 1000, headroomParticipants: 80, headroomLearnS: 0 }, 0)), "default");
    assert.ok(fixed.bridgeInstanceHours > 2.9 && fixed.bridgeInstanceHours < 3.05, `fixed headroom ${fixed.bridgeInstanceHours} h`);
    for (const p of r.policies) {
      assert.equal(p.overloadedPct, 0, p.name);
      assert.equal(p.cutConferences, 0, p.name);
    }
  });

  it("a meeting larger than a bridge overloads a lone bridge, and is counted in participant-minutes", () => {
    // 150 people on one bridge (static-peak is sized for the peak: 2 bridges, so no overload there). The scaler on
    // CloudWatch alone sees them a minute late (with the live read the second bridge is up before the 81st joins).
    const r = simulate(trace(["w1,us-east-1,0,3600,150,0,0"]), opts(["default", "static-peak"], NO_FAULTS, {}, undefined, NO_LIVE));
    assert.ok(row(r, "default").overloadedParticipantMinutes > 0);
    assert.equal(row(r, "static-peak").overloadedParticipantMinutes, 0, "80 per conference per bridge: the webinar spills over two bridges");
  });

  it("min 0: the fleet goes to zero at night and wakes for the first meeting (Jicofo's count), which waits about a boot, or a warm start", () => {
    // Nobody until 03:00, then a 6-person meeting for an hour; the fleet starts at min 0 bridges.
    const r = simulate(trace(["b,us-east-1,10800,3600,6,0,0"]), opts(["default"], NO_FAULTS, { minBridges: 0 }, 0));
    const d = row(r, "default");
    // Served: each of the 6 waits for the launch (metric delay + schedule + boot, under 6 min), not for the hour.
    const waitedMinutes = d.overloadedParticipantMinutes / 6;
    assert.ok(waitedMinutes > 2 && waitedMinutes < 6, `waited ${waitedMinutes.toFixed(1)} min`);
    // With the warm pool the launch is a 30 s warm start: the early joiners wait about a minute, the later ones not at all.
    const warm = row(simulate(trace(["b,us-east-1,10800,3600,6,0,0"]), opts(["default"], NO_FAULTS, { minBridges: 0 })), "default");
    const warmWait = warm.overloadedParticipantMinutes / 6;
    assert.ok(warmWait > 0 && warmWait < 1.5, `waited ${warmWait.toFixed(1)} min with a warm pool`);
    // No bridge in the 3 hours before: the meeting's hour (less the wait) on one bridge, its 6 people and their
    // headroom (5 × √6 ≈ 12) fitting on it, plus boot; a fleet kept at one bridge would bill 3 h before the meeting.
    assert.ok(d.bridgeInstanceHours > 0.9 && d.bridgeInstanceHours < 1.2, `${d.bridgeInstanceHours} h`);
    assert.equal(d.cutConferences, 0);
  });

  it("two-party calls need no bridge: the oracle stays at zero bridges", () => {
    const r = simulate(trace(Array.from({ length: 50 }, (_, i) => `p${i},us-east-1,${i * 10},1800,2,0,0`)), opts(["oracle"]));
    assert.equal(row(r, "oracle").bridgeInstanceHours, 0);
    assert.ok(row(r, "oracle").peakTurnAllocations > 0);
  });

  it("recordings: static provisioning at the peak never fails; a recording needs an idle recorder at its start", () => {
    const rows = Array.from({ length: 6 }, (_, i) => `r${i},us-east-1,${600 + i * 5},3600,4,0,1200`);
    const r = simulate(trace(rows), opts(["static-peak", "oracle", "default"]));
    assert.equal(row(r, "static-peak").failedRecordingStarts, 0);
    // The shipped replenisher starts with 3 idle: 6 simultaneous starts 5 s apart at 600 s exceed it.
    assert.ok(row(r, "default").failedRecordingStarts > 0);
    // Oracle: 6 recorders from 600 s (launched at 420) for 1200 s + upload (30 + 18) + restart 60.
    assert.ok(Math.abs(row(r, "oracle").recorderInstanceHours - 6 * (180 + 1200 + 48 + 60) / 3600) < 6 * 30 / 3600);
  });

  it("a drain cap shorter than the meetings cuts conferences; the default cap does not", () => {
    const rows: string[] = [];
    for (let i = 0; i < 60; i++) rows.push(`m${i},us-east-1,${i * 20},${i % 3 === 0 ? 10000 : 1500},12,0,0`);
    const confs = trace(rows);
    const short = simulate(confs, opts(["default"], NO_FAULTS, { drainCapS: 600 }));
    assert.ok(row(short, "default").cutConferences > 0, "cut with a 10-minute cap");
    const safe = simulate(confs, opts(["default"]));
    assert.equal(row(safe, "default").cutConferences, 0);
  });

  it("faults: crashes and an AZ loss hit conferences; the same trace without faults has none", () => {
    const confs = generateTrace({ seed: 5, days: 1, regions: ["eu-west-1"], conferencesPerDay: 1500, shape: "office", recordShare: 0 });
    const clean = simulate(confs, opts(["default"]));
    const faulty = simulate(confs, opts(["default"], parseFaults("crash=0.05,az=2")));
    assert.equal(row(clean, "default").faultHitConferences, 0);
    assert.ok(row(faulty, "default").faultHitConferences > 0);
    assert.throws(() => parseFaults("crash=-1"), /crash must be a number from 0 to 10, got "-1"/);
    assert.throws(() => parseFaults("meteor=1"), /unknown key "meteor"/);
  });

  it("faults: seed= draws other fault schedules; `default,seed=N` keeps the default mix; seed 0 is the reference draw", () => {
    const f = parseFaults("default,seed=3");
    assert.deepEqual({ ...f, seed: undefined }, { ...parseFaults("default"), seed: undefined });
    assert.equal(f.seed, 3);
    const azs = (seed: number) => faultSchedule({ ...parseFaults("az=4"), seed }, "us-east-1", 3 * 86400, 2).azLosses.map((o) => o.fromS);
    assert.deepEqual(azs(0), faultSchedule(parseFaults("az=4"), "us-east-1", 3 * 86400, 2).azLosses.map((o) => o.fromS));
    assert.notDeepEqual(azs(1), azs(0));
    assert.deepEqual(azs(1), azs(1), "a draw is reproducible");
    assert.throws(() => parseFaults("default,seed=1.5"), /seed must be a whole number from 0 to 1000000, got "1.5"/);
  });
});

describe("simulate: generated traces", () => {
  /** Share of 08–18 h meetings that start in the first 90 s of a half hour (5 % by chance). */
  const crowdShare = (confs: readonly Conference[]): number => {
    const day = confs.filter((c) => c.startS % 86400 >= 8 * 3600 && c.startS % 86400 < 18 * 3600);
    return day.filter((c) => c.startS % 1800 < 90).length / day.length;
  };

  it("flash snaps the share measured in top-of-hour.csv to :00/:30 by default; snap= sets a harsher crowd", () => {
    const g = (flashSnapShare?: number) => generateTrace({ seed: 3, days: 1, regions: ["us-east-1"], conferencesPerDay: 4000, shape: "flash", recordShare: 0, flashSnapShare });
    const dflt = crowdShare(g());
    assert.ok(dflt > 0.2 && dflt < 0.28, `default ${dflt}`); // top-of-hour.csv: 0.236
    assert.ok(crowdShare(g(0.7)) > 0.65, "snap 0.7");
    const office = crowdShare(generateTrace({ seed: 3, days: 1, regions: ["us-east-1"], conferencesPerDay: 4000, shape: "office", recordShare: 0 }));
    assert.ok(office < 0.07, `office ${office}`);
    assert.throws(() => g(1.5), /snap must be a share from 0 to 1, got 1.5/);
  });

  it("meetings stay within one bridge's 80 like the shared traces; webinars= adds larger ones", () => {
    const g = (webinarShare?: number) => generateTrace({ seed: 4, days: 1, regions: ["us-east-1"], conferencesPerDay: 3000, shape: "office", recordShare: 0, webinarShare });
    assert.ok(Math.max(...g().map((c) => c.participants)) <= 80);
    const big = g(0.02).filter((c) => c.participants > 80);
    assert.ok(big.length > 20 && big.every((c) => c.participants <= 170), `${big.length} webinars`);
    assert.throws(() => g(0.9), /webinars must be a share from 0 to 0.5, got 0.9/);
  });
});

describe("simulate: resampled traces (--resample)", () => {
  const base = generateTrace({ seed: 21, days: 1, regions: ["us-east-1"], conferencesPerDay: 800, shape: "flash", recordShare: 0.2 });
  it("draws the input's meetings with replacement, volume × as many, each start moved by at most ±jitter; seeded", () => {
    const r = resampleTrace(base, { seed: 4, volume: 1.25, jitterS: 300 });
    assert.equal(r.length, Math.round(base.length * 1.25));
    const byId = new Map(base.map((c) => [c.id, c]));
    for (const c of r) {
      const from = byId.get(c.id.split("~")[0])!;
      assert.ok(from, `${c.id} comes from the input`);
      assert.deepEqual([c.durationS, c.participants, c.recordStartS, c.recordDurationS, c.region], [from.durationS, from.participants, from.recordStartS, from.recordDurationS, from.region]);
      assert.ok(Math.abs(c.startS - from.startS) <= 300 || c.startS === 0);
    }
    assert.equal(new Set(r.map((c) => c.id)).size, r.length, "ids stay unique");
    assert.ok(r.every((c, i) => i === 0 || r[i - 1].startS <= c.startS), "sorted by start");
    assert.deepEqual(resampleTrace(base, { seed: 4, volume: 1.25, jitterS: 300 }), r, "same seed, same trace");
    assert.notDeepEqual(resampleTrace(base, { seed: 5, volume: 1.25, jitterS: 300 }).map((c) => c.id), r.map((c) => c.id));
  });

  it("the CLI runs a resampled trace and can write it out", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sim-resample-"));
    try {
      const src = path.join(dir, "in.csv");
      fs.writeFileSync(src, formatTrace(base));
      const out = path.join(dir, "out.csv");
      const { code, out: stdout } = await cli(["--trace", src, "--resample", "seed=2,volume=0.5,jitter=60", "--policy", "default,oracle", "--write-trace", out, "--json"]);
      assert.equal(code, 0);
      const json = JSON.parse(stdout);
      assert.equal(json.conferences, Math.round(base.length * 0.5));
      assert.match(json.trace, /in\.csv resampled\(seed=2,volume=0\.5,jitter=60\)/);
      assert.equal(readTrace(out).length, json.conferences);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("simulate: reserves (reserveLaunches)", () => {
  it("a booting bridge tagged as a reserve comes up in drain mode: no new conference until it is undrained", () => {
    const END = 3600;
    const f = new Fleet("us-east-1", DEFAULT_SIM_CONFIG, new EventQueue(), NO_FAULTS, faultSchedule(NO_FAULTS, "us-east-1", END, 2), END);
    f.startWith(1);
    f.setDesired(2, 0, { releaseWhenEmpty: true, capS: 3600 });
    const booting = f.bridges.find((b) => b.state === "booting")!;
    f.reserve(booting, 60);
    for (let t = f.queue.peekTime(); t <= DEFAULT_SIM_CONFIG.bootS; t = f.queue.peekTime()) f.queue.pop()!.run();
    assert.equal(booting.state, "draining", "in the group, in drain mode");
    f.join(7, 200);
    assert.equal(booting.participants, 0, "Jicofo put the new conference on the serving bridge");
    f.undrain(booting);
    f.join(8, 210);
    assert.equal(booting.participants, 1, "undrained: the least-loaded bridge takes the next conference");
  });

  it("on top-of-hour.csv, in a group that boots cold (no warm pool, as on Spot), reserves cut bridge cost without overloading anyone", function () {
    const confs = readTrace(requireShared(this, "traces", "top-of-hour.csv"));
    const on = row(simulate(confs, opts(["default"], NO_FAULTS, {}, 0)), "default");
    const off = row(simulate(confs, opts(["default"], NO_FAULTS, { reserveLaunches: 0 }, 0)), "default");
    assert.ok(on.bridgeInstanceHours < off.bridgeInstanceHours * 0.98, `${on.bridgeInstanceHours.toFixed(1)} h vs ${off.bridgeInstanceHours.toFixed(1)} h without reserves`);
    assert.equal(on.overloadedPct, 0);
  });
});

describe("simulate: undrainStress under Jicofo's draining rule", () => {
  // On CloudWatch's minutes alone (the scaler outside the VPC, or a run some bridge did not answer): the live read
  // leaves the surge less time to land on the serving bridges.
  it("on top-of-hour.csv, undraining only at the target overloads the serving bridges while draining ones idle; at 0.76 nobody is overloaded", function () {
    const confs = readTrace(requireShared(this, "traces", "top-of-hour.csv"));
    assert.equal(DEFAULT_SIM_CONFIG.drainingJoins, "none-while-active");
    const atTarget = row(simulate(confs, opts(["default"], NO_FAULTS, { undrainStress: 0.8 }, undefined, NO_LIVE)), "default");
    const early = row(simulate(confs, opts(["default"], NO_FAULTS, {}, undefined, NO_LIVE)), "default");
    assert.equal(resolveBridgePolicy().undrainStress, 0.76);
    assert.ok(atTarget.overloadedPct > 0.02, `undraining at 0.8: ${atTarget.overloadedPct.toFixed(3)} % overloaded`);
    assert.equal(early.overloadedPct, 0);
    assert.ok(early.oracleRatio <= 1.3, `${early.oracleRatio.toFixed(3)} × oracle`);
  });
});

describe("simulate: headroom learned from the fleet's own forecast misses (headroomLearnS)", () => {
  // The previous release's rule: the square root of the load up to 60, learned from nothing.
  const SQRT_ONLY = { headroomLearnS: 0, headroomParticipants: 60 };
  const day = (seed: number, conferencesPerDay: number, shape: "flat" | "flash") =>
    generateTrace({ seed, days: 1, regions: ["us-east-1"], conferencesPerDay, shape, recordShare: 0.15 });

  it("a calm small fleet (1500 meetings, 2–7 bridges) keeps less room than the square-root rule: cheaper, nobody overloaded", () => {
    const confs = day(8103, 1500, "flat");
    const learned = row(simulate(confs, opts(["default"])), "default");
    const sqrt = row(simulate(confs, opts(["default"], NO_FAULTS, SQRT_ONLY)), "default");
    assert.ok(learned.oracleRatio < sqrt.oracleRatio - 0.04, `${learned.oracleRatio.toFixed(3)} vs ${sqrt.oracleRatio.toFixed(3)} × oracle`);
    assert.ok(learned.oracleRatio <= 1.3, `${learned.oracleRatio.toFixed(3)} × oracle`);
    assert.equal(learned.overloadedPct, 0);
    assert.equal(sqrt.overloadedPct, 0);
  });

  it("on a flash-crowd day whose crowds beat the forecast, the learned room goes past the old cap of 60: nobody overloaded", () => {
    // On CloudWatch's minutes alone: the live read sees these crowds a minute sooner, under either rule.
    const confs = day(2534, 2000, "flash");
    const learned = row(simulate(confs, opts(["default"], NO_FAULTS, {}, undefined, NO_LIVE)), "default");
    const sqrt = row(simulate(confs, opts(["default"], NO_FAULTS, SQRT_ONLY, undefined, NO_LIVE)), "default");
    assert.ok(sqrt.overloadedPct > 0.005, `square-root rule: ${sqrt.overloadedPct.toFixed(3)} % overloaded`);
    assert.equal(learned.overloadedPct, 0);
    assert.ok(learned.oracleRatio <= 1.3, `${learned.oracleRatio.toFixed(3)} × oracle`);
  });
});

describe("simulate: the scaler's live read of the bridges (BridgeFleetState.liveParticipants)", () => {
  it("a flash crowd CloudWatch shows a minute late overloads a bridge without the live read; with it nobody, at less cost", () => {
    const confs = generateTrace({ seed: 2500, days: 1, regions: ["us-east-1"], conferencesPerDay: 2000, shape: "flash", recordShare: 0.15 });
    const live = simulate(confs, opts(["default", "jitsi-autoscaler", "jitsi-aws-template"]));
    const blind = row(simulate(confs, opts(["default"], NO_FAULTS, {}, undefined, NO_LIVE)), "default");
    assert.ok(blind.overloadedPct > 0.005, `CloudWatch alone: ${blind.overloadedPct.toFixed(4)} % overloaded`);
    assert.equal(row(live, "default").overloadedPct, 0);
    assert.ok(row(live, "default").oracleRatio < blind.oracleRatio, `${row(live, "default").oracleRatio.toFixed(3)} vs ${blind.oracleRatio.toFixed(3)} × oracle`);
    assert.deepEqual(targetProblems(live), [], "every target, the baselines' overload included");
  });

  it("reads what the running bridges held liveStaleS (JVB's 5 s stats interval) before the run, and nothing while a crashed bridge is still listed", () => {
    const q = new EventQueue();
    const f = new Fleet("us-east-1", DEFAULT_SIM_CONFIG, q, NO_FAULTS, faultSchedule(NO_FAULTS, "us-east-1", 3600, 2), 3600);
    f.startWith(2);
    f.startLiveSnapshots();
    for (let i = 0; i < 30; i++) f.join(1, 10);
    // The snapshot for the run at 60 is taken at 55; whoever joins at 57 is not in it yet.
    assert.equal(q.peekTime(), 60 - DEFAULT_SIM_CONFIG.liveStaleS);
    q.pop()!.run();
    for (let i = 0; i < 5; i++) f.join(2, 57);
    assert.equal(f.liveParticipants(60), 30);
    f.crash(f.live()[0], 20);
    assert.equal(f.liveParticipants(20 + DEFAULT_SIM_CONFIG.replaceAfterS - 1), undefined);
    assert.ok(f.liveParticipants(20 + DEFAULT_SIM_CONFIG.replaceAfterS)! >= 0);
  });
});

describe("simulate: Jicofo load redistribution (jicofo.bridge.load-redistribution)", () => {
  const END = 3600;
  const fleetOf = (n: number, cfg = DEFAULT_SIM_CONFIG): Fleet => {
    const f = new Fleet("us-east-1", cfg, new EventQueue(), NO_FAULTS, faultSchedule(NO_FAULTS, "us-east-1", END, 2), END);
    f.startWith(n);
    return f;
  };

  it("moves 20 endpoints of the largest conferences off a bridge at 0.9, then waits out the timeout", () => {
    const f = fleetOf(2);
    const [a, b] = f.bridges;
    f.softDrain(b, 0); // everything lands on a
    for (let i = 0; i < 60; i++) f.join(1, 0);
    for (let i = 0; i < 35; i++) f.join(2, 0);
    f.undrain(b);
    assert.deepEqual([a.participants, b.participants], [95, 0]);
    f.redistribute(100); // recent-join stress has expired: a is at 0.95, b at 0
    assert.deepEqual([a.participants, b.participants, f.redistributedEndpoints], [75, 20, 20]);
    assert.equal(a.perConf.get(1), 40, "taken from the conference with the most endpoints on the bridge");
    for (let i = 0; i < 20; i++) f.join(3, 130);
    f.redistribute(150); // a is back at 0.95 (75 + 20 new), but moved 50 s ago: in its timeout
    assert.equal(f.redistributedEndpoints, 20);
  });

  it("with Jicofo's rule under relays, a draining bridge below 0.8 lets it run (upstream counts every bridge) and gets nobody", () => {
    const f = fleetOf(3, { ...DEFAULT_SIM_CONFIG, drainingJoins: "none-while-active" });
    const [a, b, c] = f.bridges;
    f.softDrain(c, 0);
    for (let i = 0; i < 190; i++) f.join(i % 19, 0);
    assert.deepEqual([a.participants, b.participants, c.participants], [95, 95, 0]);
    f.redistribute(100);
    assert.equal(f.redistributedEndpoints, 40, "20 off each bridge at 0.95: the draining one is below 0.8");
    assert.equal(c.participants, 0, "re-invited endpoints go to the active bridges, never the draining one");
    const looser = fleetOf(3, { ...DEFAULT_SIM_CONFIG, drainingJoins: "own-conferences" });
    looser.softDrain(looser.bridges[2], 0);
    for (let i = 0; i < 190; i++) looser.join(i % 19, 0);
    looser.redistribute(100);
    assert.equal(looser.redistributedEndpoints, 0, "the looser model waits for a serving bridge below 0.8");
  });

  it("does nothing while no serving bridge is below Jicofo's 0.8 (nowhere to go), and not when turned off", () => {
    const f = fleetOf(2);
    for (let i = 0; i < 190; i++) f.join(i % 19, 0);
    f.redistribute(100);
    assert.equal(f.redistributedEndpoints, 0);
    const off = fleetOf(2, { ...DEFAULT_SIM_CONFIG, redistribution: { ...DEFAULT_SIM_CONFIG.redistribution, intervalS: 0 } });
    off.startRedistribution();
    assert.equal(off.queue.peekTime(), Infinity, "no Jicofo task scheduled");
  });
});

describe("simulate: consolidation (JVB hands its last participants to Jicofo)", () => {
  const END = 7200;
  const fleet = (cfg = DEFAULT_SIM_CONFIG): Fleet => {
    const f = new Fleet("us-east-1", cfg, new EventQueue(), NO_FAULTS, faultSchedule(NO_FAULTS, "us-east-1", END, 2), END);
    f.startWith(2);
    return f;
  };
  const run = (f: Fleet, untilS: number): void => {
    for (let t = f.queue.peekTime(); t <= untilS; t = f.queue.peekTime()) f.queue.pop()!.run();
  };

  it("a bridge shut down with at most graceful-shutdown-min-participants left: they move on, nobody is cut, it leaves a minute later", () => {
    const f = fleet();
    const [a, b] = f.bridges;
    for (let i = 0; i < 3; i++) f.join(1, 10);
    for (let i = 0; i < 3; i++) f.join(2, 10);
    const onB = b.participants > 0 ? b : a;
    const other = onB === b ? a : b;
    f.softDrain(onB, 100);
    f.shutDownMoving(onB, 1300, 10, 100 + 14400);
    assert.equal(onB.participants, 0);
    assert.equal(other.participants, 6, "Jicofo re-invited them on the serving bridge");
    assert.deepEqual([f.movedConferences.size, f.movedEndpoints, f.desired], [1, 3, 1]);
    run(f, 1300 + DEFAULT_SIM_CONFIG.shuttingDownDelayS);
    assert.equal(onB.state, "gone");
    assert.equal(onB.endS, 1360, "billed through the shutting-down delay");
    assert.equal(f.cutConferences.size, 0);
  });

  it("with more left (someone joined since the sample) it stays in graceful shutdown until few enough are left", () => {
    // Late joiners reach a draining bridge only under the looser placement model (Jicofo's own sends them elsewhere).
    const f = fleet({ ...DEFAULT_SIM_CONFIG, drainingJoins: "own-conferences" });
    const [a, b] = f.bridges;
    f.softDrain(b, 0);
    for (let i = 0; i < 12; i++) f.join(1, 10); // conference 1 is on a (b is draining)
    f.undrain(b);
    f.softDrain(a, 20);
    for (let i = 0; i < 12; i++) f.join(1, 30); // late joiners of conference 1 stay with it on the draining a
    assert.equal(a.participants, 24);
    f.shutDownMoving(a, 1300, 10, 14400);
    assert.equal(a.participants, 24, "still in graceful shutdown");
    f.leave(1, 13, 2000);
    assert.equal(a.participants, 11, "11 left: still more than 10");
    f.leave(1, 1, 2100);
    assert.equal(a.participants, 0, "10 left: SHUTTING_DOWN, handed over");
    assert.equal(f.movedEndpoints, 10);
    assert.equal(f.cutConferences.size, 0);
  });

  it("on the shared traces it keeps bridge cost within 1.30 × oracle without cutting anyone; off, it does not", function () {
    const confs = readTrace(requireShared(this, "traces", "top-of-hour.csv"));
    const on = row(simulate(confs, opts(["default", "oracle"])), "default");
    const off = row(simulate(confs, opts(["default", "oracle"], NO_FAULTS, { consolidateAfterS: 0 })), "default");
    assert.ok(on.oracleRatio <= 1.3 && off.oracleRatio > 1.3, `${on.oracleRatio.toFixed(3)} with, ${off.oracleRatio.toFixed(3)} without`);
    assert.equal(on.cutConferences, 0);
    assert.equal(off.movedConferences, 0);
    assert.ok(on.movedConferences > 0 && on.movedConferences < 0.03 * confs.length, `${on.movedConferences} of ${confs.length} conferences moved`);
  });
});

describe("simulate: the perfect-forecast reference", () => {
  it("forecasts the true peak of the coming lead, counted from the newest datapoint (one metric delay ago)", () => {
    const load: [number, number][] = [[0, 10], [100, 50], [200, 30], [400, 90]];
    const f = (nowS: number, leadS: number) => perfectForecaster(load, 60, nowS)(undefined as never, undefined as never, leadS, "group");
    assert.deepEqual(f(160, 120), { expected: 50, surge: 50 }, "window 100..220: the step at 100 and the fall at 200");
    assert.deepEqual(f(160, 30), { expected: 50, surge: 50 }, "window 100..130 starts at 50");
    assert.deepEqual(f(100, 30), { expected: 10, surge: 10 }, "window 40..70: still 10");
    assert.deepEqual(f(300, 120), { expected: 30, surge: 30 }, "window 240..360: the step at 400 is beyond it");
    assert.deepEqual(f(400, 120), { expected: 90, surge: 90 }, "window 340..460 holds the step at 400");
  });

  it("runs the shipped rules with the true load only when named; `all` stays the issue's five", () => {
    // A crowd of 60 joining an idle fleet at 10:00: knowing it, the rules launch a boot ahead and nobody waits.
    const rows = ["q1,us-east-1,600,3600,4,0,0", ...Array.from({ length: 12 }, (_, i) => `c${i},us-east-1,36000,3600,5,0,0`)];
    const r = simulate(trace(rows), opts(["default", "perfect-forecast"]));
    assert.deepEqual(r.policies.map((p) => p.name), ["default", "perfect-forecast"]);
    const d = row(r, "default");
    const pf = row(r, "perfect-forecast");
    assert.equal(pf.overloadedPct, 0);
    assert.ok(pf.timeToCapacityP95S <= d.timeToCapacityP95S, `perfect ${pf.timeToCapacityP95S} s vs default ${d.timeToCapacityP95S} s`);
    assert.equal(pf.cutConferences, 0);
    assert.ok(!(POLICY_NAMES as readonly string[]).includes("perfect-forecast"));
  });
});

describe("simulate CLI", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sim-"));
  const file = path.join(tmp, "t.csv");
  fs.writeFileSync(file, [TRACE_HEADER, "c1,us-east-1,0,1800,6,60,600", "c2,us-east-1,300,1800,2,0,0"].join("\n") + "\n");

  it("--json prints one object with the issue's fields for each policy", async () => {
    const { code, out } = await cli(["--trace", file, "--json"]);
    assert.equal(code, 0);
    const j = JSON.parse(out);
    assert.equal(j.trace, "t.csv");
    assert.deepEqual(j.policies.map((p: { name: string }) => p.name), [...POLICY_NAMES]);
    for (const k of ["name", "bridgeInstanceHours", "oracleRatio", "overloadedPct", "cutConferences", "faultHitConferences", "scalingActions", "recorderInstanceHours", "failedRecordingStarts", "peakTurnAllocations", "timeToCapacityP95S"])
      assert.ok(k in j.policies[0], k);
  });

  it("runs uncapped unless told a group maximum, and reports the peaks a stack's maxima must allow", async () => {
    // 200 recordings of 4 h starting 3 a minute: 200 at once by the end, more than the decisions' default maximum (100).
    const many = path.join(tmp, "rec200.csv");
    fs.writeFileSync(many, [TRACE_HEADER, ...Array.from({ length: 200 }, (_, i) => `r${i},us-east-1,${600 + i * 20},14400,3,0,14000`)].join("\n") + "\n");
    const run = async (extra: string[]) => {
      const { code, out } = await cli(["--trace", many, "--policy", "default,static-peak", "--json", ...extra]);
      assert.equal(code, 0);
      return JSON.parse(out).policies as { name: string; failedRecordingStarts: number; peakRecorders: number; recorderInstanceHours: number }[];
    };
    const [open, staticPeak] = await run([]);
    assert.equal(staticPeak.peakRecorders, 200);
    assert.ok(open.peakRecorders > 200, `buffer on top of 200 busy: ${open.peakRecorders}`);
    // Only the first minutes' ramp from the 3 idle recorders a pool starts with can miss.
    assert.ok(open.failedRecordingStarts <= 10, `failed ${open.failedRecordingStarts}`);
    assert.ok(open.recorderInstanceHours < staticPeak.recorderInstanceHours);
    const [capped] = await run(["--recorder", "maxInstances=100"]);
    assert.equal(capped.peakRecorders, 100);
    assert.ok(capped.failedRecordingStarts >= 100, `capped: ${capped.failedRecordingStarts}`);
  });

  it("prints a table and writes a readable SVG chart", async () => {
    const svg = path.join(tmp, "c.svg");
    const { code, out } = await cli(["--trace", file, "--policy", "default,oracle", "--chart", svg]);
    assert.equal(code, 0);
    assert.match(out, /\| default +\|/);
    const text = fs.readFileSync(svg, "utf8");
    assert.match(text, /^<svg/);
    assert.match(text, /hours since trace start/);
    assert.match(text, />default</);
    assert.match(text, />oracle</);
  });

  it("rejects bad input with the option and what is allowed, exit code 2", async () => {
    const cases: [string[], RegExp][] = [
      [["--policy", "magic", "--trace", file], /--policy: unknown policy "magic" \(allowed: default, static-peak/],
      [[], /give exactly one of --trace FILE or --generate SPEC/],
      [["--trace", path.join(tmp, "missing.csv")], /--trace .*missing.csv: cannot read it/],
      [["--trace", file, "--bridge", "targetStress=7"], /targetStress must be a number from 0.05 to 1, got 7/],
      [["--trace", file, "--faults", "gaps=2"], /gaps must be a number from 0 to 0.9/],
      [["--trace", file, "--chart", "x.png"], /--chart: the file name must end in .svg/],
      [["--generate", "shape=square"], /shape must be one of office, flash, evening, flat/],
      [["--trace", file, "--resample", "jitter=-5"], /--resample: jitter must be seconds from 0 to 86400, got -5/],
      [["--trace", file, "--resample", "speed=2"], /--resample: unknown key "speed" \(allowed: seed, volume, jitter\)/],
      [["--trace", file, "--write-trace", "x.csv"], /--write-trace needs --generate or --resample/],
      [["--trace", file, "--warm-pool", "-1"], /--warm-pool must be a whole number from 0 \(no warm pool\) to 100, got "-1"/],
      [["--trace", file, "--jibri-warm-pool", "x"], /--jibri-warm-pool must be a whole number from 0 \(no warm pool\) to 100, got "x"/],
      [["--trace", file, "--jicofo-draining", "strict"], /--jicofo-draining must be one of own-conferences, none-while-active, got "strict"/],
      [["--trace", file, "--live-read", "yes"], /--live-read must be on or off, got "yes"/],
    ];
    for (const [args, re] of cases) {
      const { code, err } = await cli(args);
      assert.equal(code, 2, args.join(" "));
      assert.match(err, re);
    }
  });
});

describe("simulate: the recorder pool foresees recordings from meetings created (Jicofo's conferences created)", function () {
  this.timeout(30_000);
  it("an evening's first crowd: recordings start minutes into new meetings, and a pool that boots cold is ready for them", () => {
    // 19:00 on a quiet-afternoon evening trace: 13 recordings start within 4 minutes, 10 recorders were idle. Without a
    // warm pool a launch takes a whole boot, so the crowd must be foreseen.
    const confs = generateTrace({ seed: 4500, days: 1, regions: ["us-east-1"], conferencesPerDay: 4000, shape: "evening", recordShare: 0.15 });
    const run = (meetingStartWeight: number) =>
      row(simulate(confs, { ...opts(["default"]), ...simPolicies({}, { meetingStartWeight }, 0) }), "default");
    const blind = run(0);
    const shipped = run(REPLENISH_DEFAULTS.meetingStartWeight);
    assert.ok(blind.failedRecordingStarts > 0, "without the meeting signal some recording finds no idle recorder");
    assert.equal(shipped.failedRecordingStarts, 0);
    assert.ok(shipped.recorderInstanceHours < blind.recorderInstanceHours * 1.05, `${shipped.recorderInstanceHours} vs ${blind.recorderInstanceHours} h`);
  });
});

describe("simulate: issue #9 targets", function () {
  this.timeout(60_000);
  // Asserted: what holds today. Logged: every target that does not hold yet (docs/simulator.md says why).
  const check = (name: string, r: SimResult, strict: boolean): void => {
    const d = row(r, "default");
    assert.equal(d.cutConferences, 0, `${name}: conferences cut by scale-in`);
    for (const b of ["static-peak", "jitsi-autoscaler", "jitsi-aws-template"] as const)
      assert.ok(d.bridgeInstanceHours < row(r, b).bridgeInstanceHours, `${name}: default must cost less than ${b}`);
    // Overload holds on shared and generated traces alike (generated: calibrated to the shared ones, sim/generate.ts).
    assert.ok(d.overloadedPct <= 0.1, `${name}: overloaded ${d.overloadedPct} %`);
    for (const b of ["jitsi-autoscaler", "jitsi-aws-template"] as const)
      assert.ok(d.overloadedPct <= row(r, b).overloadedPct, `${name}: more overload than ${b}`);
    if (strict) {
      assert.ok(d.oracleRatio <= 1.3, `${name}: bridge cost ${d.oracleRatio.toFixed(3)} × oracle > 1.30`);
      assert.equal(d.failedRecordingStarts, 0, `${name}: failed recording starts`);
      assert.ok(d.recorderInstanceHours < row(r, "static-peak").recorderInstanceHours, `${name}: recorders not cheaper than static`);
    }
    const problems = targetProblems(r);
    if (problems.length > 0) console.log(`      ${name}: targets not met: ${problems.map((p) => p.text).join("; ")}`);
  };

  for (const t of ["weekday", "top-of-hour", "recording-heavy"]) {
    it(`shared trace ${t}: bridge cost <= 1.30 × oracle, no cut, overload <= 0.1 % and <= both Jitsi baselines, cheaper than every baseline, recorders OK`, function () {
      const file = requireShared(this, "traces", `${t}.csv`);
      check(t, simulate(readTrace(file), opts()), true);
    });
  }

  for (const [seed, shape, regions] of [[11, "office", 2], [12, "flash", 1], [13, "evening", 1], [14, "flat", 1]] as const) {
    it(`generated trace seed ${seed}, ${shape}, 2 days, ${regions} region(s): no cut, overload <= 0.1 % and <= both Jitsi baselines, cheaper than every baseline`, () => {
      const confs = generateTrace({ seed, days: 2, regions: ["us-east-1", "eu-west-1"].slice(0, regions), conferencesPerDay: 2500, shape, recordShare: 0.15 });
      check(`generated ${shape}`, simulate(confs, opts()), false);
    });
  }
});
