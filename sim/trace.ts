/**
 * Conference traces: one CSV row per conference (../shared/traces/README.md):
 * `conference_id,region,start_s,duration_s,participants,record_start_s,record_duration_s`.
 */
import * as fs from "fs";

export interface Conference {
  readonly id: string;
  readonly region: string;
  /** Seconds from the trace start (t = 0 is 00:00 local time of the first region). */
  readonly startS: number;
  /** Seconds from the first join to the end. */
  readonly durationS: number;
  /** Peak participants (2 = a two-party call P2P can carry). */
  readonly participants: number;
  /** Seconds after the conference start at which a recording starts (meaningful only when recordDurationS > 0). */
  readonly recordStartS: number;
  /** Length of the recording; 0 = not recorded. */
  readonly recordDurationS: number;
}

export const TRACE_HEADER = "conference_id,region,start_s,duration_s,participants,record_start_s,record_duration_s";

/** Parses trace text; every bad row is reported with its line number, column and what is allowed. */
export function parseTrace(text: string, source = "trace"): Conference[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? "").trim();
  if (header !== TRACE_HEADER) throw new Error(`${source}: line 1 must be the header "${TRACE_HEADER}", got "${header}"`);
  const out: Conference[] = [];
  const problems: string[] = [];
  const ids = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const f = line.split(",");
    if (f.length !== 7) {
      problems.push(`line ${i + 1}: expected 7 columns, got ${f.length}`);
      continue;
    }
    const num = (col: number, name: string, min: number): number => {
      const v = Number(f[col]);
      if (f[col].trim() === "" || !Number.isFinite(v) || v < min) {
        problems.push(`line ${i + 1}: ${name} must be a number >= ${min}, got "${f[col]}"`);
        return min;
      }
      return v;
    };
    const c: Conference = {
      id: f[0].trim(),
      region: f[1].trim(),
      startS: num(2, "start_s", 0),
      durationS: num(3, "duration_s", 1),
      participants: Math.round(num(4, "participants", 1)),
      recordStartS: num(5, "record_start_s", 0),
      recordDurationS: num(6, "record_duration_s", 0),
    };
    if (c.id === "") problems.push(`line ${i + 1}: conference_id must not be empty`);
    else if (ids.has(c.id)) problems.push(`line ${i + 1}: conference_id "${c.id}" appears twice`);
    ids.add(c.id);
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(c.region)) problems.push(`line ${i + 1}: region must look like an AWS region (us-east-1), got "${c.region}"`);
    out.push(c);
    if (problems.length > 20) break;
  }
  if (problems.length > 0) throw new Error(`${source}: ${problems.slice(0, 20).join("; ")}`);
  return out.sort((a, b) => a.startS - b.startS || a.id.localeCompare(b.id));
}

export function readTrace(file: string): Conference[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`--trace ${file}: cannot read it (${(e as Error).message})`);
  }
  return parseTrace(text, file);
}

/** Writes conferences back as trace CSV (used by the generator). */
export function formatTrace(confs: readonly Conference[]): string {
  const rows = confs.map((c) => [c.id, c.region, c.startS, c.durationS, c.participants, c.recordStartS, c.recordDurationS].join(","));
  return [TRACE_HEADER, ...rows].join("\n") + "\n";
}

/** Regions in order of first appearance. */
export function regionsOf(confs: readonly Conference[]): string[] {
  return [...new Set(confs.map((c) => c.region))];
}
