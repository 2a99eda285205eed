/**
 * The load-test runner on the Selenium hub: fetches jitsi-meet-torture at a pinned commit, waits for the browser
 * nodes, runs `scripts/malleus.sh` with the typed parameters, uploads the JUnit reports and logs to S3 and
 * publishes a summary (joined, failed, ICE failures, run time) to CloudWatch under the catalogue's
 * LOADTEST_METRICS. Pure: typed input → bash text. Malleus options as read in scripts/malleus.sh of
 * jitsi/jitsi-meet-torture (`--name=value` form; flags such as --use-load-test take an optional `=true|false`).
 */
import { LOADTEST_METRICS, NAMESPACE } from "../metrics/catalog";
import { shQuote } from "./boot-common";

export interface MalleusParams {
  /** Conferences this grid runs. */
  readonly conferences: number;
  /** Participants per conference. */
  readonly participants: number;
  /** Video senders per conference. */
  readonly senders: number;
  readonly durationSeconds: number;
  readonly roomPrefix: string;
  /** userRegion hints, round-robin over participants (malleus --regions, comma separated). */
  readonly clientRegions: readonly string[];
  readonly maxDisruptedBridgesPct: number;
  readonly loadTestMode: boolean;
  /** Participants per tab (load-test mode only). */
  readonly participantsPerTab: number;
  /** https://<domain> of the deployment under test. */
  readonly targetDomain: string;
  /** Selenium hub URL malleus drives (on the hub itself). */
  readonly hubUrl: string;
}

export interface TortureRunnerInput {
  readonly malleus: MalleusParams;
  readonly allowedDomains: readonly string[];
  readonly tortureRepo: string;
  readonly tortureRef: string;
  readonly region: string;
  /** LoadTest dimension value (the load-test stack's deployment name). */
  readonly loadTestName: string;
  readonly bucket: string;
  /** Browser nodes to wait for before starting. */
  readonly expectedNodes: number;
  /** How long to wait for them (seconds). */
  readonly nodeWaitSeconds: number;
}

/** Thrown for bad runner parameters; each problem names the parameter. */
export class RunnerParamsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid load-test runner parameters: ${problems.join("; ")}`);
    this.name = "RunnerParamsError";
  }
}

const DNS = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function validateMalleusParams(p: MalleusParams, allowedDomains: readonly string[]): void {
  const problems: string[] = [];
  const int = (field: keyof MalleusParams, min: number, max: number) => {
    const v = p[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) problems.push(`${field} must be a whole number from ${min} to ${max}, got ${String(v)}`);
  };
  int("conferences", 1, 1000);
  int("participants", 2, 500);
  int("senders", 0, 500);
  int("durationSeconds", 30, 4 * 3600);
  int("participantsPerTab", 1, 20);
  if (typeof p.senders === "number" && p.senders > p.participants) problems.push(`senders must be at most participants (${p.participants}), got ${p.senders}`);
  if (!(p.maxDisruptedBridgesPct >= 0 && p.maxDisruptedBridgesPct <= 100)) problems.push(`maxDisruptedBridgesPct must be a number from 0 to 100, got ${p.maxDisruptedBridgesPct}`);
  if (!/^[a-z][a-z0-9-]{0,60}$/.test(p.roomPrefix)) problems.push(`roomPrefix must be lower-case letters, digits and dashes, got ${JSON.stringify(p.roomPrefix)}`);
  for (const r of p.clientRegions) if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(r)) problems.push(`clientRegions must be AWS region names, got ${JSON.stringify(r)}`);
  if (p.participantsPerTab > 1 && !p.loadTestMode) problems.push("participantsPerTab must be 1 unless loadTestMode is true (malleus.sh: per-tab options require the load-test client)");
  if (!DNS.test(p.targetDomain)) problems.push(`targetDomain must be a DNS name, got ${JSON.stringify(p.targetDomain)}`);
  else if (!allowedDomains.includes(p.targetDomain)) problems.push(`targetDomain ${p.targetDomain} is not in allowedDomains (${allowedDomains.join(", ") || "empty"})`);
  if (!/^http:\/\/[\w.-]+:\d+\/wd\/hub$/.test(p.hubUrl)) problems.push(`hubUrl must look like http://host:4444/wd/hub, got ${JSON.stringify(p.hubUrl)}`);
  if (problems.length > 0) throw new RunnerParamsError(problems);
}

/** The malleus.sh arguments for these parameters, in a stable order (each a `--name=value` word). */
export function malleusArgs(p: MalleusParams, allowedDomains: readonly string[]): string[] {
  validateMalleusParams(p, allowedDomains);
  const args = [
    `--conferences=${p.conferences}`,
    `--participants=${p.participants}`,
    `--senders=${p.senders}`,
    // Everyone sends audio unless told otherwise (malleus' own default is all participants).
    `--audio-senders=${p.participants}`,
    `--duration=${p.durationSeconds}`,
    `--room-name-prefix=${p.roomPrefix}`,
    `--hub-url=${p.hubUrl}`,
    `--instance-url=https://${p.targetDomain}`,
    `--max-disrupted-bridges-pct=${p.maxDisruptedBridgesPct}`,
    `--use-load-test=${p.loadTestMode}`,
    "--headless=true",
    "--save-logs=true",
  ];
  if (p.clientRegions.length > 0) args.push(`--regions=${p.clientRegions.join(",")}`);
  if (p.loadTestMode && p.participantsPerTab > 1) args.push(`--senders-per-tab=${p.participantsPerTab}`, `--receivers-per-tab=${p.participantsPerTab}`);
  return args;
}

/** Metric names the summary step publishes, from the catalogue (never hard-coded in the script text). */
export function runnerMetricNames() {
  const m = LOADTEST_METRICS;
  return { planned: m.planned.name, joined: m.joined.name, failed: m.failed.name, iceFailures: m.iceFailures.name, runSeconds: m.runSeconds.name };
}

/** The summary parser (python3 is on every Debian cloud image: cloud-init needs it). Reads surefire XML. */
const SUMMARY_PY = `import glob, json, os, re, sys, xml.etree.ElementTree as ET
reports, out, planned, run_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
cases = failed = ice = 0
for path in sorted(glob.glob(os.path.join(reports, "*.xml"))):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        continue
    for case in root.iter("testcase"):
        if case.find("skipped") is not None:
            continue
        cases += 1
        bad = [e for e in case if e.tag in ("failure", "error")]
        if bad:
            failed += 1
            text = " ".join((e.get("message") or "") + " " + (e.text or "") for e in bad)
            if re.search(r"\\bICE\\b|iceConnectionState|ice connection", text, re.I):
                ice += 1
joined = cases - failed
summary = {"planned": planned, "testCases": cases, "joined": joined, "failed": failed, "iceFailures": ice, "runSeconds": run_s}
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=2, sort_keys=True)
names = json.loads(os.environ["METRIC_NAMES"])
dims = [{"Name": "Region", "Value": os.environ["RUN_REGION"]}, {"Name": "LoadTest", "Value": os.environ["LOADTEST_NAME"]}]
data = [{"MetricName": names[k], "Value": summary[k], "Unit": "Seconds" if k == "runSeconds" else "Count", "Dimensions": dims}
        for k in ("planned", "joined", "failed", "iceFailures", "runSeconds")]
with open(os.path.join(out, "metrics.json"), "w") as f:
    json.dump(data, f, indent=2)
print("planned=%d joined=%d failed=%d ice_failures=%d run_seconds=%d" % (planned, joined, failed, ice, run_s))
`;

/** The runner script (bash). Every value comes in quoted; the operator may override only RUN_ID and LOADTEST_WORKDIR. */
export function renderTortureRunner(i: TortureRunnerInput): string {
  const args = malleusArgs(i.malleus, i.allowedDomains);
  if (!/^[0-9a-f]{40}$/.test(i.tortureRef)) throw new RunnerParamsError([`tortureRef must be a full 40-character commit id, got ${JSON.stringify(i.tortureRef)}`]);
  if (!Number.isInteger(i.expectedNodes) || i.expectedNodes < 1) throw new RunnerParamsError([`expectedNodes must be a whole number >= 1, got ${i.expectedNodes}`]);
  const planned = i.malleus.conferences * i.malleus.participants;
  // Malleus itself should end after the duration; the margin covers Maven's build and the joins.
  const runTimeout = i.malleus.durationSeconds + 900;
  return `#!/bin/bash
# Jitsi Torture (Malleus) load-test runner, rendered by render/torture-runner.ts. Do not edit on the host.
# Usage: run-torture.sh   (RUN_ID=<name> to label the run; reports go to s3://<bucket>/runs/<RUN_ID>/)
set -euo pipefail

WORKDIR="\${LOADTEST_WORKDIR:-/opt/loadtest}"
RUN_ID="\${RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)}"
TORTURE_REPO=${shQuote(i.tortureRepo)}
TORTURE_REF=${shQuote(i.tortureRef)}
TARGET_DOMAIN=${shQuote(i.malleus.targetDomain)}
ALLOWED_DOMAINS=(${i.allowedDomains.map(shQuote).join(" ")})
REGION=${shQuote(i.region)}
BUCKET=${shQuote(i.bucket)}
HUB_STATUS_URL="\${HUB_STATUS_URL:-http://127.0.0.1:4444/status}"
EXPECTED_NODES=${i.expectedNodes}
NODE_WAIT_SECONDS=${i.nodeWaitSeconds}
RUN_TIMEOUT_SECONDS=${runTimeout}
PLANNED_PARTICIPANTS=${planned}
MALLEUS_ARGS=(
${args.map((a) => `  ${shQuote(a)}`).join("\n")}
)
export RUN_REGION="\${REGION}"
export LOADTEST_NAME=${shQuote(i.loadTestName)}
export METRIC_NAMES=${shQuote(JSON.stringify(runnerMetricNames()))}

log() { echo "run-torture: $*" >&2; }

# Guard rail: never load-test a domain that is not on the stack's allow-list.
allowed=false
for d in "\${ALLOWED_DOMAINS[@]}"; do
  if [ "\${d}" = "\${TARGET_DOMAIN}" ]; then allowed=true; fi
done
if [ "\${allowed}" != true ]; then
  log "refusing to target \${TARGET_DOMAIN}: not in the allow-list (\${ALLOWED_DOMAINS[*]})"
  exit 2
fi

OUT="\${WORKDIR}/runs/\${RUN_ID}"
mkdir -p "\${OUT}/reports"

# 1. jitsi-meet-torture at the pinned commit (a shallow fetch of exactly that commit).
SRC="\${WORKDIR}/jitsi-meet-torture"
if [ ! -d "\${SRC}/.git" ]; then
  git init -q "\${SRC}"
  git -C "\${SRC}" remote add origin "\${TORTURE_REPO}"
fi
git -C "\${SRC}" fetch -q --depth 1 origin "\${TORTURE_REF}"
git -C "\${SRC}" checkout -q --detach FETCH_HEAD

# 2. Wait (bounded) until every browser node has registered with the hub.
ready=0
deadline=$((SECONDS + NODE_WAIT_SECONDS))
while [ "\${SECONDS}" -lt "\${deadline}" ]; do
  ready=$(curl -fsS "\${HUB_STATUS_URL}" 2>/dev/null | jq '[.value.nodes[]? | select(.availability == "UP")] | length' 2>/dev/null || echo 0)
  if [ "\${ready}" -ge "\${EXPECTED_NODES}" ]; then break; fi
  sleep 10
done
log "\${ready} of \${EXPECTED_NODES} browser nodes ready"
if [ "\${ready}" -lt "\${EXPECTED_NODES}" ]; then
  log "starting anyway: participants beyond the grid's sessions will queue and may time out"
fi

# 3. Malleus. Its exit status is recorded, not fatal: failed participants are what we measure.
started=\${SECONDS}
rc=0
(cd "\${SRC}" && timeout "\${RUN_TIMEOUT_SECONDS}" ./scripts/malleus.sh "\${MALLEUS_ARGS[@]}") >"\${OUT}/malleus.log" 2>&1 || rc=$?
run_seconds=$((SECONDS - started))
log "malleus exited with \${rc} after \${run_seconds} s"
echo "\${rc}" >"\${OUT}/malleus.exit-code"
if [ -d "\${SRC}/target/surefire-reports" ]; then
  cp -r "\${SRC}/target/surefire-reports/." "\${OUT}/reports/"
fi

# 4. Summary (JUnit XML -> summary.json, metrics.json), reports to S3, summary to CloudWatch.
python3 - "\${OUT}/reports" "\${OUT}" "\${PLANNED_PARTICIPANTS}" "\${run_seconds}" <<'PY'
${SUMMARY_PY}PY
aws s3 cp --only-show-errors --recursive --region "\${REGION}" "\${OUT}" "s3://\${BUCKET}/runs/\${RUN_ID}/"
aws cloudwatch put-metric-data --region "\${REGION}" --namespace ${shQuote(NAMESPACE)} --metric-data "file://\${OUT}/metrics.json"
log "reports: s3://\${BUCKET}/runs/\${RUN_ID}/"
exit "\${rc}"
`;
}
