/**
 * Test 7 of the EdgeProxy issue: every haproxy.cfg of the prod plan passes the real `haproxy -c`, and so does the
 * config each proxy renders on its host once it knows its peers (agents/edge-peers.ts, from haproxy-input.json).
 * Also: the edge user data passes the cloud-init schema and the boot scripts pass shellcheck.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EdgeHostInput, renderHostConfig } from "../../agents/edge-peers";
import { PlannedFile } from "../../tools/plan/run";
import { requireBinary, run } from "../helpers/env";
import { prodPlan } from "../helpers/prod-plan";
import { decodeUserData } from "../helpers/user-data";

/** Warnings that only mean "not on the proxy's host": no state file before the first reload, private names. */
const BENIGN = [/Can't open global server state file '\/var\/lib\/haproxy\/server-state'/, /could not resolve address '[a-z0-9-]+\.[a-z0-9-]+\.prod\.jitsi\.internal', disabling server/];

function haproxyCheck(bin: string, dir: string, label: string, text: string): string[] {
  const file = path.join(dir, `${label}.cfg`);
  fs.writeFileSync(file, text);
  const r = spawnSync(bin, ["-c", "-f", file], { encoding: "utf8" });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, `${label}: haproxy -c failed:\n${out}`);
  assert.match(out, /Configuration file is valid/);
  return out.split("\n").filter((l) => /WARNING|ALERT/.test(l) && !BENIGN.some((b) => b.test(l)));
}

describe("EdgeProxy files of the prod plan pass their real validators", function () {
  this.timeout(180_000);
  let tmp: string;
  let edgeFiles: PlannedFile[];
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "edge-configs-"));
    edgeFiles = (await prodPlan()).files.filter((f) => f.component.endsWith("-edge"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("7. haproxy -c accepts every rendered haproxy.cfg (one per region) with no unexpected warning", function () {
    const bin = requireBinary(this, "haproxy");
    const cfgs = edgeFiles.filter((f) => f.path === "haproxy.cfg");
    assert.deepEqual(cfgs.map((f) => f.region).sort(), ["eu-west-1", "us-east-1"]);
    for (const f of cfgs) assert.deepEqual(haproxyCheck(bin, tmp, `${f.component}`, f.content), [], f.component);
    console.log(`      figure: test 7: ${cfgs.length}/${cfgs.length} plan haproxy.cfg files pass haproxy -c`);
  });

  it("7b. haproxy -c accepts the config each proxy renders on its host with its peers (1 to 3 proxies)", function () {
    const bin = requireBinary(this, "haproxy");
    const inputs = edgeFiles.filter((f) => f.path === "haproxy-input.json");
    assert.equal(inputs.length, 2);
    let checked = 0;
    for (const f of inputs) {
      const input = JSON.parse(f.content) as EdgeHostInput;
      for (const members of [[], ["10.10.2.7"], ["10.10.2.7", "10.10.3.9"]]) {
        const text = renderHostConfig(input, "10.10.1.5", members);
        assert.match(text, /localpeer edge-10-10-1-5\n/);
        assert.deepEqual(haproxyCheck(bin, tmp, `${f.component}-peers-${members.length}`, text), []);
        checked++;
      }
    }
    console.log(`      figure: test 7b: ${checked} host-rendered configs pass haproxy -c`);
  });

  it("haproxy -c rejects a broken config (the check can fail)", function () {
    const bin = requireBinary(this, "haproxy");
    const cfg = edgeFiles.find((f) => f.path === "haproxy.cfg") as PlannedFile;
    const file = path.join(tmp, "broken.cfg");
    fs.writeFileSync(file, cfg.content.replace("balance hash var(txn.room)", "balance hash-of-nothing"));
    assert.notEqual(spawnSync(bin, ["-c", "-f", file]).status, 0);
  });

  it("cloud-init schema accepts each edge launch template's user data, which stays under 16 KB", async function () {
    const cloudInit = requireBinary(this, "cloud-init");
    const lts = (await prodPlan()).resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && r.name.endsWith("-edge-lt"));
    assert.equal(lts.length, 2);
    for (const lt of lts) {
      const b64 = (lt.inputs as { userData: string }).userData;
      assert.ok(Buffer.from(b64, "base64").length <= 16 * 1024);
      const file = path.join(tmp, `${lt.name}.yaml`);
      fs.writeFileSync(file, decodeUserData(b64));
      assert.match(run(cloudInit, ["schema", "--config-file", file]), /Valid schema|Valid cloud-config/);
    }
  });

  it("shellcheck passes the edge boot script and the pre-reload script", function () {
    const shellcheck = requireBinary(this, "shellcheck");
    const scripts = edgeFiles.filter((f) => f.path === "boot.sh" || f.path === "haproxy-pre-reload");
    assert.equal(scripts.length, 4);
    for (const s of scripts) {
      const file = path.join(tmp, `${s.component}-${s.path}`);
      fs.writeFileSync(file, s.content);
      const r = spawnSync(shellcheck, ["-S", "style", file], { encoding: "utf8" });
      assert.equal(r.status, 0, `${s.component}/${s.path}: ${r.stdout}`);
    }
  });
});
