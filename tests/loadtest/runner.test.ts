/**
 * The Malleus runner (render/torture-runner.ts): argument building against malleus.sh's real options, parameter
 * errors naming the parameter, shellcheck, and a run of the rendered script against stub git/curl/aws with a
 * fake malleus.sh that writes surefire JUnit XML — the summary, the S3 upload and the CloudWatch call it makes.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LOADTEST_METRICS, NAMESPACE } from "../../metrics/catalog";
import { MalleusParams, malleusArgs, renderTortureRunner, RunnerParamsError, TortureRunnerInput } from "../../render/torture-runner";
import { requireBinary } from "../helpers/env";

const P: MalleusParams = {
  conferences: 3,
  participants: 4,
  senders: 2,
  durationSeconds: 120,
  roomPrefix: "loadtest-us-east-1",
  clientRegions: ["us-east-1", "eu-west-1"],
  maxDisruptedBridgesPct: 0,
  loadTestMode: true,
  participantsPerTab: 2,
  targetDomain: "meet.example.com",
  hubUrl: "http://127.0.0.1:4444/wd/hub",
};
const ALLOWED = ["meet.example.com"];
const INPUT: TortureRunnerInput = {
  malleus: P,
  allowedDomains: ALLOWED,
  tortureRepo: "https://github.com/jitsi/jitsi-meet-torture.git",
  tortureRef: "c0efd48326b09526389a755bf5530b55035ce667",
  region: "us-east-1",
  loadTestName: "lt",
  bucket: "lt-reports",
  expectedNodes: 2,
  nodeWaitSeconds: 30,
};

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof RunnerParamsError) return [...e.problems];
    throw e;
  }
  assert.fail("accepted");
}

describe("load test runner: malleus arguments", () => {
  it("builds the malleus.sh options from the typed parameters", () => {
    assert.deepStrictEqual(malleusArgs(P, ALLOWED), [
      "--conferences=3",
      "--participants=4",
      "--senders=2",
      "--audio-senders=4",
      "--duration=120",
      "--room-name-prefix=loadtest-us-east-1",
      "--hub-url=http://127.0.0.1:4444/wd/hub",
      "--instance-url=https://meet.example.com",
      "--max-disrupted-bridges-pct=0",
      "--use-load-test=true",
      "--headless=true",
      "--save-logs=true",
      "--regions=us-east-1,eu-west-1",
      "--senders-per-tab=2",
      "--receivers-per-tab=2",
    ]);
  });

  it("full-browser mode: no per-tab options, no regions option when none are given", () => {
    const a = malleusArgs({ ...P, loadTestMode: false, participantsPerTab: 1, clientRegions: [] }, ALLOWED);
    assert.ok(a.includes("--use-load-test=false"));
    assert.ok(!a.some((x) => x.startsWith("--regions") || x.includes("per-tab")));
  });

  it("every option is one scripts/malleus.sh parses (read from the upstream mirror when present)", function () {
    const git = "/work/.mirror/jitsi+jitsi-meet-torture/repo";
    if (!fs.existsSync(git)) this.skip();
    const script = execFileSync("git", ["--git-dir", git, "show", "HEAD:scripts/malleus.sh"], { encoding: "utf8" });
    const known = new Set([...script.matchAll(/^\s+(--[a-z-]+)\)/gm)].map((m) => m[1]));
    assert.ok(known.size > 15, `parsed ${known.size} options`);
    for (const arg of malleusArgs(P, ALLOWED)) assert.ok(known.has(arg.split("=")[0]), `${arg} is not a malleus.sh option`);
  });

  it("bad values: every problem named by its parameter", () => {
    const p = problems(() => malleusArgs({ ...P, participants: 1, senders: 3, durationSeconds: 5, roomPrefix: "Bad Prefix", maxDisruptedBridgesPct: 101, clientRegions: ["mars"] }, ALLOWED));
    for (const want of [/^participants must be a whole number from 2 to 500, got 1$/, /^senders must be at most participants \(1\), got 3$/, /^durationSeconds must be a whole number from 30 to 14400, got 5$/, /^roomPrefix must be/, /^maxDisruptedBridgesPct must be a number from 0 to 100, got 101$/, /^clientRegions must be AWS region names, got "mars"$/])
      assert.ok(p.some((x) => want.test(x)), `${want} not in ${p.join(" | ")}`);
    assert.deepStrictEqual(problems(() => malleusArgs({ ...P, targetDomain: "meet.jit.si" }, ALLOWED)), ["targetDomain meet.jit.si is not in allowedDomains (meet.example.com)"]);
    assert.match(problems(() => malleusArgs({ ...P, loadTestMode: false }, ALLOWED))[0], /^participantsPerTab must be 1 unless loadTestMode is true/);
    assert.match(problems(() => renderTortureRunner({ ...INPUT, tortureRef: "master" }))[0], /^tortureRef must be a full 40-character commit id/);
  });

  it("publishes only catalogue metric names, in the project namespace", () => {
    const text = renderTortureRunner(INPUT);
    for (const m of Object.values(LOADTEST_METRICS)) assert.ok(text.includes(m.name), m.name);
    assert.ok(text.includes(`--namespace '${NAMESPACE}'`));
  });

  it("passes shellcheck", function () {
    const sc = requireBinary(this, "shellcheck");
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "runner-")), "run-torture.sh");
    fs.writeFileSync(f, renderTortureRunner(INPUT));
    const r = spawnSync(sc, ["-s", "bash", "-S", "style", f], { encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
  });
});

describe("load test runner: a run against stubs", () => {
  const STUB_GIT = `#!/bin/bash
# git stub: init makes the folder; checkout drops a fake malleus.sh in it.
if [ "$1" = init ]; then mkdir -p "$3/.git"; exit 0; fi
dir="$2"; shift 2
echo "git $*" >>"$STUB_LOG"
if [ "$1" = checkout ]; then
  mkdir -p "$dir/scripts"
  cat >"$dir/scripts/malleus.sh" <<'EOS'
#!/bin/bash
echo "malleus $*" >>"$STUB_LOG"
mkdir -p target/surefire-reports
cat >target/surefire-reports/TEST-MalleusJitsificus.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="MalleusJitsificus" tests="6" failures="2" errors="1" skipped="1">
  <testcase name="testMain[0]"/>
  <testcase name="testMain[1]"/>
  <testcase name="testMain[2]"/>
  <testcase name="testMain[3]"><failure message="ICE connection failed for participant 3">iceConnectionState=failed</failure></testcase>
  <testcase name="testMain[4]"><failure message="timed out waiting for the conference to start"/></testcase>
  <testcase name="testMain[5]"><error message="WebDriverException: session not created"/></testcase>
  <testcase name="testMain[6]"><skipped/></testcase>
</testsuite>
XML
exit 1
EOS
  chmod +x "$dir/scripts/malleus.sh"
fi
exit 0
`;
  const STUB_CURL = `#!/bin/bash
echo '{"value":{"ready":true,"nodes":[{"availability":"UP"},{"availability":"UP"}]}}'
`;
  const STUB_AWS = `#!/bin/bash
echo "aws $*" >>"$STUB_LOG"
`;

  function setup(script: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runner-run-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    for (const [n, t] of Object.entries({ git: STUB_GIT, curl: STUB_CURL, aws: STUB_AWS })) fs.writeFileSync(path.join(bin, n), t, { mode: 0o755 });
    const runner = path.join(dir, "run-torture.sh");
    fs.writeFileSync(runner, script, { mode: 0o755 });
    const log = path.join(dir, "stub.log");
    fs.writeFileSync(log, "");
    const r = spawnSync("bash", [runner], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, STUB_LOG: log, LOADTEST_WORKDIR: path.join(dir, "work"), RUN_ID: "run1" },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { dir, r, log: fs.readFileSync(log, "utf8") };
  }

  it("fetches the pinned commit, runs malleus, summarises the JUnit XML, uploads to S3 and publishes the metrics", function () {
    requireBinary(this, "jq");
    requireBinary(this, "python3");
    const { dir, r, log } = setup(renderTortureRunner(INPUT));
    // Malleus' own exit status (1: failed participants) is the runner's, after the reports went out.
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(log, /git fetch -q --depth 1 origin c0efd48326b09526389a755bf5530b55035ce667/);
    assert.match(log, /malleus --conferences=3 --participants=4 .*--instance-url=https:\/\/meet\.example\.com/);
    const out = path.join(dir, "work", "runs", "run1");
    const summary = JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8"));
    assert.deepStrictEqual({ ...summary, runSeconds: 0 }, { planned: 12, testCases: 6, joined: 3, failed: 3, iceFailures: 1, runSeconds: 0 });
    assert.ok(fs.existsSync(path.join(out, "reports", "TEST-MalleusJitsificus.xml")));
    assert.ok(fs.existsSync(path.join(out, "malleus.log")));
    assert.match(log, new RegExp(`aws s3 cp --only-show-errors --recursive --region us-east-1 ${out.replace(/[/.]/g, "\\$&")} s3://lt-reports/runs/run1/`));
    assert.match(log, /aws cloudwatch put-metric-data --region us-east-1 --namespace JitsiAws --metric-data file:\/\/.*metrics\.json/);
    const metrics = JSON.parse(fs.readFileSync(path.join(out, "metrics.json"), "utf8")) as { MetricName: string; Value: number; Unit: string; Dimensions: { Name: string; Value: string }[] }[];
    const byName = Object.fromEntries(metrics.map((m) => [m.MetricName, m.Value]));
    assert.deepStrictEqual({ ...byName, [LOADTEST_METRICS.runSeconds.name]: 0 }, {
      [LOADTEST_METRICS.planned.name]: 12,
      [LOADTEST_METRICS.joined.name]: 3,
      [LOADTEST_METRICS.failed.name]: 3,
      [LOADTEST_METRICS.iceFailures.name]: 1,
      [LOADTEST_METRICS.runSeconds.name]: 0,
    });
    // The dimension set is one the catalogue declares.
    for (const m of metrics) assert.deepStrictEqual(m.Dimensions, [{ Name: "Region", Value: "us-east-1" }, { Name: "LoadTest", Value: "lt" }]);
  });

  it("refuses a target that is not on its allow-list before fetching anything", () => {
    const tampered = renderTortureRunner(INPUT).replace("TARGET_DOMAIN='meet.example.com'", "TARGET_DOMAIN='meet.jit.si'");
    const { r, log } = setup(tampered);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /refusing to target meet\.jit\.si: not in the allow-list/);
    assert.strictEqual(log, "", "nothing fetched, run or uploaded");
  });
});
