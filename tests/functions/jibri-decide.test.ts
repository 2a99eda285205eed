/**
 * Table tests of the Jibri pool decision (functions/jibri-replenisher/decide.ts): what a user of the pool would
 * notice — a recorder is launched as soon as one is taken, busy/uploading recorders are never shut down, the
 * pool is trimmed one longest-idle recorder at a time, and max is honoured.
 */
import * as assert from "assert";
import * as fc from "fast-check";
import {
  decideJibriPool,
  idleBufferFor,
  PoolAction,
  PoolSnapshot,
  RecorderInstance,
  RecorderPhase,
  REPLENISH_DEFAULTS,
  resolveReplenishTarget,
  ReplenishTarget,
  ReplenishTargetError,
  meetingHistorySeconds,
  meetingStartRate,
  MIN_MEETINGS_FOR_SHARE,
  startHistorySeconds,
  startRate,
  trimFloor,
} from "../../functions/jibri-replenisher/decide";

const NOW = 100_000;

function rec(id: string, phase: RecorderPhase, o: Partial<RecorderInstance> = {}): RecorderInstance {
  const prot = phase === "busy" || phase === "uploading";
  return { id, phase, launchedAt: NOW - 7200, phaseSince: NOW - 3600, protectedFromScaleIn: prot, ...o };
}

function pool(recorders: RecorderInstance[], o: Partial<PoolSnapshot> = {}): PoolSnapshot {
  const inService = recorders.filter((r) => r.phase !== "warm" && r.phase !== "leaving").length;
  return { desiredCapacity: inService, minSize: 0, maxSize: 50, recorders, recentStarts: [], ...o };
}

/** A constant buffer of 3 (no rate term), so the table rows read plainly. */
const FLAT: ReplenishTarget = resolveReplenishTarget({ idleTarget: 3, burstFactor: 0, maxInstances: 20 });

const idleN = (n: number, o: Partial<RecorderInstance> = {}): RecorderInstance[] =>
  Array.from({ length: n }, (_, i) => rec(`idle-${i}`, "idle", o));
const busyN = (n: number): RecorderInstance[] => Array.from({ length: n }, (_, i) => rec(`busy-${i}`, "busy"));

interface Row {
  name: string;
  pool: PoolSnapshot;
  target?: ReplenishTarget;
  expect: Array<{ kind: PoolAction["kind"]; desired?: number; instanceId?: string; decrementDesired?: boolean }>;
}

const rows: Row[] = [
  { name: "3 idle, target 3: nothing to do", pool: pool(idleN(3)), expect: [] },
  { name: "one taken (2 idle + 1 busy): launch one at once", pool: pool([...idleN(2), ...busyN(1)]), expect: [{ kind: "setDesired", desired: 4 }] },
  { name: "three taken at once: launch three in one step", pool: pool([...busyN(3)]), expect: [{ kind: "setDesired", desired: 6 }] },
  {
    name: "a booting recorder counts as coming capacity",
    pool: pool([...idleN(2), ...busyN(1), rec("boot-0", "booting", { launchedAt: NOW - 30, phaseSince: NOW - 30 })]),
    expect: [],
  },
  {
    name: "launches requested but not yet listed by the ASG count as coming",
    pool: pool([...idleN(2), ...busyN(1)], { desiredCapacity: 4 }),
    expect: [],
  },
  {
    name: "stopped warm-pool recorders are not ready capacity: raise desired (ASG resumes them)",
    pool: pool([...idleN(2), ...busyN(1), rec("warm-0", "warm", { protectedFromScaleIn: false })]),
    expect: [{ kind: "setDesired", desired: 4 }],
  },
  {
    name: "max honoured: 20 in service, 2 idle, no launch above maxInstances",
    pool: pool([...idleN(2), ...busyN(18)]),
    expect: [],
  },
  {
    name: "max honoured partly: raises only up to maxInstances",
    pool: pool([...idleN(0), ...busyN(18)]),
    expect: [{ kind: "setDesired", desired: 20 }],
  },
  {
    name: "pool.maxSize below maxInstances wins",
    pool: pool([...busyN(4)], { maxSize: 5 }),
    expect: [{ kind: "setDesired", desired: 5 }],
  },
  {
    name: "5 idle (2 above target): trim ONE, the longest idle",
    pool: pool([
      rec("a", "idle", { phaseSince: NOW - 900 }),
      rec("b", "idle", { phaseSince: NOW - 4000 }),
      rec("c", "idle", { phaseSince: NOW - 2000 }),
      rec("d", "idle", { phaseSince: NOW - 800 }),
      rec("e", "idle", { phaseSince: NOW - 700 }),
    ]),
    expect: [{ kind: "terminate", instanceId: "b", decrementDesired: true }],
  },
  {
    name: "equal idle time: the oldest launch goes first",
    pool: pool([
      rec("young", "idle", { launchedAt: NOW - 1000, phaseSince: NOW - 700 }),
      rec("old", "idle", { launchedAt: NOW - 9000, phaseSince: NOW - 700 }),
      ...idleN(3),
    ].map((r) => (r.id.startsWith("idle") ? { ...r, phaseSince: NOW - 650 } : r))),
    expect: [{ kind: "terminate", instanceId: "old", decrementDesired: true }],
  },
  {
    name: "3 idle + 2 booting (demand fell): no trim yet, the idle ones are exactly the buffer",
    pool: pool([...idleN(3), rec("b1", "booting", { launchedAt: NOW - 60, phaseSince: NOW - 60, protectedFromScaleIn: false }), rec("b2", "booting", { launchedAt: NOW - 60, phaseSince: NOW - 60, protectedFromScaleIn: false })]),
    expect: [],
  },
  {
    name: "surplus idle but none idle for scaleInIdleSeconds yet: keep them",
    pool: pool(idleN(6, { phaseSince: NOW - 60 })),
    expect: [],
  },
  {
    name: "busy and uploading recorders are never trimmed, even with surplus",
    pool: pool([...busyN(5), rec("up-0", "uploading"), ...idleN(3)]),
    expect: [],
  },
  {
    name: "a protected idle recorder is not a victim: unprotect it, trim an unprotected one",
    pool: pool([rec("p", "idle", { phaseSince: NOW - 5000, protectedFromScaleIn: true }), ...idleN(3)]),
    expect: [{ kind: "unprotect", instanceId: "p" }, { kind: "terminate", instanceId: "idle-0", decrementDesired: true }],
  },
  {
    name: "busy but unprotected (agent missed it): protect",
    pool: pool([rec("b", "busy", { protectedFromScaleIn: false }), ...idleN(3)]),
    expect: [{ kind: "protect", instanceId: "b" }],
  },
  {
    name: "minSize honoured when trimming",
    pool: pool(idleN(5), { minSize: 5 }),
    expect: [],
  },
  {
    name: "stuck booting: terminated, and a fresh one launched in the same decision",
    pool: pool([...idleN(2), rec("stuck", "booting", { launchedAt: NOW - 5000, phaseSince: NOW - 5000, protectedFromScaleIn: false })]),
    expect: [{ kind: "terminate", instanceId: "stuck", decrementDesired: true }, { kind: "setDesired", desired: 3 }],
  },
  {
    name: "a recorder restarting Jibri after a recording (old launch, booting since 20 s) is coming capacity, not stuck",
    pool: pool([...idleN(2), rec("restart", "booting", { launchedAt: NOW - 50_000, phaseSince: NOW - 20, protectedFromScaleIn: false })]),
    expect: [],
  },
  {
    name: "failed recorder at MinSize: the ASG replaces it (no decrement) and it counts as coming",
    pool: pool([...idleN(2), rec("stuck", "booting", { launchedAt: NOW - 5000, phaseSince: NOW - 5000, protectedFromScaleIn: false })], { minSize: 3 }),
    expect: [{ kind: "terminate", instanceId: "stuck", decrementDesired: false }],
  },
  {
    name: "unhealthy idle recorder is replaced; unhealthy protected one (holding a recording) is left alone",
    pool: pool([...idleN(3), rec("sick", "unhealthy", { protectedFromScaleIn: false }), rec("sick-data", "unhealthy", { protectedFromScaleIn: true })]),
    expect: [{ kind: "terminate", instanceId: "sick", decrementDesired: true }],
  },
  {
    name: "unhealthy for 30 s only (a blip): not replaced yet, and not counted as capacity",
    pool: pool([...idleN(2), rec("blip", "unhealthy", { phaseSince: NOW - 30, protectedFromScaleIn: false })]),
    expect: [{ kind: "setDesired", desired: 4 }],
  },
  {
    name: "leaving instances are ignored",
    pool: pool([...idleN(3), rec("bye", "leaving", { protectedFromScaleIn: false })], { desiredCapacity: 3 }),
    expect: [],
  },
  {
    name: "max lowered below desired: trim idle only",
    pool: pool([...idleN(3), ...busyN(20)]),
    expect: [{ kind: "terminate", instanceId: "idle-0", decrementDesired: true }],
  },
];

describe("jibri-replenisher decideJibriPool (table)", () => {
  for (const row of rows) {
    it(row.name, () => {
      const d = decideJibriPool(row.pool, row.target ?? FLAT, NOW);
      const got = d.actions.map((a) => {
        const o: Record<string, unknown> = { kind: a.kind };
        if (a.kind === "setDesired") o.desired = a.desired;
        if (a.kind !== "setDesired") o.instanceId = a.instanceId;
        if (a.kind === "terminate") o.decrementDesired = a.decrementDesired;
        return o;
      });
      assert.deepStrictEqual(got, row.expect);
    });
  }

  it("reports the counts it decided on", () => {
    const d = decideJibriPool(pool([...idleN(1), ...busyN(2), rec("u", "uploading"), rec("w", "warm", { protectedFromScaleIn: false })]), FLAT, NOW);
    assert.deepStrictEqual(
      { idle: d.summary.idle, busy: d.summary.busy, uploading: d.summary.uploading, warm: d.summary.warm, coming: d.summary.coming, wantIdle: d.summary.wantIdle },
      { idle: 1, busy: 2, uploading: 1, warm: 1, coming: 0, wantIdle: 3 },
    );
  });

  it("flags capped when max stops the buffer", () => {
    assert.strictEqual(decideJibriPool(pool(busyN(20)), FLAT, NOW).summary.capped, true);
    assert.strictEqual(decideJibriPool(pool(busyN(2)), FLAT, NOW).summary.capped, false);
  });
});

describe("jibri-replenisher idle buffer follows the start rate", () => {
  const t = resolveReplenishTarget({ idleTarget: 3, leadTimeSeconds: 300, demandWindowSeconds: 900, burstFactor: 2, maxIdle: 30 });

  it("quiet: the floor N", () => {
    assert.strictEqual(idleBufferFor(0, t), 3);
  });
  it("12 starts in 15 min over a 5 min lead: λ=4 → ceil(4 + 2·2) = 8", () => {
    const starts = Array.from({ length: 12 }, (_, i) => NOW - 890 + i * 75);
    assert.strictEqual(idleBufferFor(startRate(starts, NOW, t), t), 8);
  });
  it("a burst in the last lead time is not diluted by a quiet window", () => {
    const burst = Array.from({ length: 10 }, (_, i) => NOW - 100 + i * 5); // 10 starts in the last 100 s
    assert.ok(Math.abs(startRate(burst, NOW, t) - 10 / 300) < 1e-12);
  });
  it("starts in the future or older than the window are ignored", () => {
    assert.strictEqual(startRate([NOW + 10, NOW - 901, NOW - 5000], NOW, t), 0);
  });
  it("calendar effect: starts seen 30 min ago in the coming lead time raise the buffer before the next burst", () => {
    const lastHalfHour = Array.from({ length: 8 }, (_, i) => NOW - 1800 + 10 + i * 20); // a burst at the last :00
    assert.ok(Math.abs(startRate(lastHalfHour, NOW, t) - 8 / 300) < 1e-12);
    assert.ok(idleBufferFor(startRate(lastHalfHour, NOW, t), t) > 3);
    const off = resolveReplenishTarget({ ...t, seasonalPeriodsSeconds: [] });
    assert.strictEqual(startRate(lastHalfHour, NOW, off), 0);
  });
  it("calendar effect on a ramp: the burst seen a period ago is scaled by the growth since, at most seasonalGrowthCap", () => {
    const p = resolveReplenishTarget({ ...t, seasonalPeriodsSeconds: [1800], seasonalGrowthCap: 2 });
    const burst = Array.from({ length: 6 }, (_, i) => NOW - 1800 + 10 + i * 20); // 6 starts at the last :00
    const before = Array.from({ length: 3 }, (_, i) => NOW - 1800 - 600 + i * 100); // 3 in the window before it
    const lately = Array.from({ length: 9 }, (_, i) => NOW - 850 + i * 60); // 9 in the last 15 min: 3x busier
    // The burst (6 in a lead) counts double (growth 3, capped at 2); the last window alone would be 12/900 s.
    assert.ok(Math.abs(startRate([...before, ...burst, ...lately], NOW, p) - 12 / 300) < 1e-12);
    // A quieter day is not scaled down (growth floored at 1): the burst counts as it was.
    assert.ok(Math.abs(startRate([...before, ...burst], NOW, p) - 6 / 300) < 1e-12);
    const off = resolveReplenishTarget({ ...p, seasonalGrowthCap: 1 });
    assert.ok(Math.abs(startRate([...before, ...burst, ...lately], NOW, off) - 6 / 300) < 1e-12);
    assert.throws(() => resolveReplenishTarget({ seasonalGrowthCap: 0.5 }), /seasonalGrowthCap must be a number >= 1, got 0.5/);
  });
  it("capped at maxIdle", () => {
    assert.strictEqual(idleBufferFor(10, t), 30);
  });
  it("a crowd of new meetings raises the buffer before their recordings start: recorded share × meetings of the last lead", () => {
    // The last 2 h: 12 recordings and 120 meetings (10 % recorded), 40 of the meetings in the last 5 published minutes.
    const through = NOW - 60;
    const older = Array.from({ length: 80 }, (_, i) => through - 7000 + i * 80);
    const crowd = Array.from({ length: 40 }, (_, i) => through - 290 + i * 7);
    const recordings = Array.from({ length: 12 }, (_, i) => NOW - 7000 + i * 500);
    const snap = { recentStarts: recordings, meetingStarts: { times: [...older, ...crowd], throughS: through } };
    const m = resolveReplenishTarget({ ...t, meetingStartWeight: 1.5 });
    // 1.5 × 10 % × 40 meetings / 300 s = 0.02 starts a second: λ = 6 per lead, + 2√6 → 11 idle.
    assert.ok(Math.abs(meetingStartRate(snap, m) - 0.02) < 1e-12);
    const d = decideJibriPool(pool(idleN(3), snap), m, NOW);
    assert.strictEqual(d.summary.wantIdle, 11);
    assert.ok(d.actions.some((a) => a.kind === "setDesired" && a.desired === 11), JSON.stringify(d.actions));
    // Not without meeting data, with the weight at 0, or with too few meetings to know the recorded share.
    assert.strictEqual(meetingStartRate({ recentStarts: recordings }, m), 0);
    assert.strictEqual(meetingStartRate(snap, resolveReplenishTarget({ ...m, meetingStartWeight: 0 })), 0);
    const few = { recentStarts: recordings, meetingStarts: { times: crowd.slice(0, MIN_MEETINGS_FOR_SHARE - 1), throughS: through } };
    assert.strictEqual(meetingStartRate(few, m), 0);
    // Meetings after the newest published minute are not counted (they are not in CloudWatch yet).
    assert.strictEqual(meetingStartRate({ ...snap, meetingStarts: { times: [...older, ...crowd.map((x) => x + 400)], throughS: through } }, m), 0);
    assert.throws(() => resolveReplenishTarget({ meetingStartWeight: -1, recordShareWindowSeconds: 10 }), /meetingStartWeight must be a number >= 0, got -1; recordShareWindowSeconds must be a number >= 600, got 10/);
  });
  it("a trim waits until the buffer wanted has stayed low for trimHoldSeconds (no trim in a dip before the next burst)", () => {
    // 4 starts 310–330 s ago: a minute ago they were in the last lead time (λ = 4 → 8 wanted); now only in the demand
    // window (λ = 4/900 × 300 → 4 wanted). 5 recorders idle for an hour.
    const burst = Array.from({ length: 4 }, (_, i) => NOW - 330 + i * 5);
    const idle5 = pool(idleN(5), { recentStarts: burst });
    const held = resolveReplenishTarget({ ...t, trimHoldSeconds: 300 });
    const d = decideJibriPool(idle5, held, NOW);
    assert.deepStrictEqual([d.summary.wantIdle, trimFloor(idle5, held, NOW), d.actions], [4, 8, []]);
    // Without the hold the pool trims to the 4 wanted now.
    const none = decideJibriPool(idle5, resolveReplenishTarget({ ...t, trimHoldSeconds: 0 }), NOW);
    assert.deepStrictEqual(none.actions.map((a) => a.kind), ["terminate"]);
    // Once every minute of the hold wanted 4, the surplus goes (one per run).
    const later = decideJibriPool(idle5, held, NOW + 300);
    assert.deepStrictEqual([trimFloor(idle5, held, NOW + 300), later.actions.map((a) => a.kind)], [4, ["terminate"]]);
    // The hold reads its minutes from the same history: it is part of how far back the handler reads.
    const unheld = resolveReplenishTarget({ ...t, trimHoldSeconds: 0 });
    assert.strictEqual(startHistorySeconds(held) - startHistorySeconds(unheld), 300);
    assert.strictEqual(meetingHistorySeconds(held) - meetingHistorySeconds(unheld), 300);
    assert.throws(() => resolveReplenishTarget({ trimHoldSeconds: -1 }), /trimHoldSeconds must be a number >= 0, got -1/);
    assert.throws(() => resolveReplenishTarget({ trimHoldSeconds: 7200 }), /trimHoldSeconds must be at most 3600, got 7200/);
  });
  it("a burst of starts raises desired within the same decision", () => {
    const starts = Array.from({ length: 10 }, (_, i) => NOW - 60 + i * 5);
    const d = decideJibriPool(pool([...idleN(3), ...busyN(10)], { recentStarts: starts }), t, NOW);
    const set = d.actions.find((a) => a.kind === "setDesired");
    assert.ok(set && set.kind === "setDesired", "expected a setDesired action");
    assert.strictEqual(set.desired, 13 + d.summary.wantIdle - 3);
    assert.ok(d.summary.wantIdle > 3);
  });
});

describe("jibri-replenisher target validation", () => {
  it("defaults are valid and documented values", () => {
    assert.deepStrictEqual(resolveReplenishTarget(), REPLENISH_DEFAULTS);
  });
  it("names every bad field and the allowed range", () => {
    assert.throws(
      () => resolveReplenishTarget({ idleTarget: -1, maxInstances: 0.5, leadTimeSeconds: 0 }),
      (e: unknown) =>
        e instanceof ReplenishTargetError &&
        /idleTarget must be a whole number >= 0, got -1/.test(e.message) &&
        /maxInstances must be a whole number >= 1, got 0.5/.test(e.message) &&
        /leadTimeSeconds must be a number >= 1, got 0/.test(e.message),
    );
  });
  it("rejects seasonal periods outside 60..86400 s", () => {
    assert.throws(() => resolveReplenishTarget({ seasonalPeriodsSeconds: [30] }), /seasonalPeriodsSeconds must be a list of whole seconds from 60 to 86400, got \[30\]/);
  });
  it("rejects maxIdle below idleTarget", () => {
    assert.throws(() => resolveReplenishTarget({ idleTarget: 5, maxIdle: 2 }), /maxIdle must be >= idleTarget \(5\), got 2/);
  });
});

describe("jibri-replenisher decide invariants (fast-check)", () => {
  const phases: RecorderPhase[] = ["booting", "warm", "idle", "busy", "uploading", "unhealthy", "leaving"];
  const arbRec = fc.record({
    phase: fc.constantFrom(...phases),
    age: fc.integer({ min: 0, max: 20_000 }),
    idleFor: fc.integer({ min: 0, max: 5_000 }),
    prot: fc.boolean(),
  });
  const arbCase = fc.record({
    recs: fc.array(arbRec, { maxLength: 40 }),
    extraDesired: fc.integer({ min: 0, max: 5 }),
    maxSize: fc.integer({ min: 1, max: 60 }),
    minSize: fc.integer({ min: 0, max: 5 }),
    starts: fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 40 }),
    idleTarget: fc.integer({ min: 0, max: 6 }),
    burst: fc.constantFrom(0, 1, 2, 3),
  });

  it("never terminates a busy, uploading or protected recorder; one trim at most; desired within [.., max]", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const recorders = c.recs.map((r, i) =>
          rec(`i${i}`, r.phase, { launchedAt: NOW - r.age, phaseSince: NOW - Math.min(r.idleFor, r.age), protectedFromScaleIn: r.prot }),
        );
        const inService = recorders.filter((r) => r.phase !== "warm" && r.phase !== "leaving").length;
        // The ASG keeps minSize <= desired <= maxSize; the generated snapshot does too.
        const desiredCapacity = Math.max(c.minSize, inService + c.extraDesired);
        const p: PoolSnapshot = {
          desiredCapacity,
          minSize: c.minSize,
          maxSize: Math.max(c.maxSize, desiredCapacity),
          recorders,
          recentStarts: c.starts.map((s) => NOW - s),
        };
        const t = resolveReplenishTarget({ idleTarget: c.idleTarget, burstFactor: c.burst, maxInstances: 40 });
        const d = decideJibriPool(p, t, NOW);
        const byId = new Map(recorders.map((r) => [r.id, r]));
        let trims = 0;
        const decremented = d.actions.filter((a) => a.kind === "terminate" && a.decrementDesired).length;
        for (const a of d.actions) {
          if (a.kind === "terminate") {
            const r = byId.get(a.instanceId)!;
            assert.ok(!["busy", "uploading"].includes(r.phase), `terminated a ${r.phase} recorder`);
            assert.ok(!r.protectedFromScaleIn, "terminated a protected recorder");
            if (a.decrementDesired && r.phase === "idle") trims++;
          }
          if (a.kind === "setDesired") {
            assert.ok(a.desired > p.desiredCapacity - decremented, "setDesired must raise the (decremented) capacity");
            assert.ok(a.desired <= Math.min(40, p.maxSize), `desired ${a.desired} above max`);
            assert.ok(a.desired >= p.minSize, `desired ${a.desired} below minSize`);
          }
        }
        assert.ok(trims <= 1);
        const kinds = new Set(d.actions.map((a) => a.kind));
        assert.ok(!(kinds.has("setDesired") && trims > 0), "scaled out and trimmed in one decision");
      }),
      { numRuns: 500 },
    );
  });
});
