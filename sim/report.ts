/** Formats simulation results: the table operators read and the JSON object scripts read. */
import { SimResult } from "./engine";

const COLUMNS: [string, (p: SimResult["policies"][number]) => string][] = [
  ["policy", (p) => p.name],
  ["bridge h", (p) => p.bridgeInstanceHours.toFixed(1)],
  ["÷ oracle", (p) => p.oracleRatio.toFixed(2)],
  ["draining h", (p) => p.drainingBridgeHours.toFixed(1)],
  ["overload %", (p) => p.overloadedPct.toFixed(3)],
  ["overload p·min", (p) => p.overloadedParticipantMinutes.toFixed(0)],
  ["cut", (p) => String(p.cutConferences)],
  ["moved", (p) => String(p.movedConferences)],
  ["redistributed", (p) => String(p.redistributedParticipants)],
  ["fault-hit", (p) => String(p.faultHitConferences)],
  ["actions", (p) => String(p.scalingActions)],
  ["recorder h", (p) => p.recorderInstanceHours.toFixed(1)],
  ["failed rec", (p) => String(p.failedRecordingStarts)],
  ["peak TURN", (p) => String(p.peakTurnAllocations)],
  ["to-capacity p50/p95 s", (p) => `${p.timeToCapacityP50S.toFixed(0)}/${p.timeToCapacityP95S.toFixed(0)}`],
];

/** A Markdown table, one row per policy. */
export function formatTable(r: SimResult): string {
  const rows = r.policies.map((p) => COLUMNS.map(([, f]) => f(p)));
  const head = COLUMNS.map(([h]) => h);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|")}|`, ...rows.map(line)].join("\n");
}

/** The `--json` object (issue #9's field names). */
export function toJson(trace: string, r: SimResult): object {
  return {
    trace,
    regions: r.regions,
    conferences: r.conferences,
    days: +(r.endS / 86400).toFixed(2),
    policies: r.policies.map((p) => ({
      name: p.name,
      bridgeInstanceHours: round(p.bridgeInstanceHours, 2),
      oracleRatio: round(p.oracleRatio, 3),
      overloadedPct: round(p.overloadedPct, 4),
      cutConferences: p.cutConferences,
      faultHitConferences: p.faultHitConferences,
      scalingActions: p.scalingActions,
      recorderInstanceHours: round(p.recorderInstanceHours, 2),
      failedRecordingStarts: p.failedRecordingStarts,
      peakTurnAllocations: p.peakTurnAllocations,
      timeToCapacityP95S: p.timeToCapacityP95S,
      timeToCapacityP50S: p.timeToCapacityP50S,
      overloadedParticipantMinutes: round(p.overloadedParticipantMinutes, 1),
      overloadedMinutesByDay: p.overloadedMinutesByDay.map((v) => round(v ?? 0, 1)),
      drainingBridgeHours: round(p.drainingBridgeHours, 2),
      movedConferences: p.movedConferences,
      movedParticipants: p.movedParticipants,
      redistributedParticipants: p.redistributedParticipants,
      peakBridges: p.peakBridges,
      peakRecorders: p.peakRecorders,
    })),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
