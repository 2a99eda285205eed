/** User data of the grid (render/torture-boot.ts): shellcheck, cloud-init's schema, EC2's size limit, wiring. */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { USER_DATA_LIMIT_BYTES } from "../../render/cloud-config";
import { renderHubBoot, renderNodeBoot } from "../../render/torture-boot";
import { renderTortureRunner } from "../../render/torture-runner";
import { requireBinary } from "../helpers/env";

const runner = renderTortureRunner({
  malleus: { conferences: 5, participants: 8, senders: 2, durationSeconds: 600, roomPrefix: "lt-us-east-1", clientRegions: [], maxDisruptedBridgesPct: 0, loadTestMode: true, participantsPerTab: 1, targetDomain: "meet.example.com", hubUrl: "http://127.0.0.1:4444/wd/hub" },
  allowedDomains: ["meet.example.com"],
  tortureRepo: "https://github.com/jitsi/jitsi-meet-torture.git",
  tortureRef: "c0efd48326b09526389a755bf5530b55035ce667",
  region: "us-east-1",
  loadTestName: "lt",
  bucket: "lt-reports",
  expectedNodes: 40,
  nodeWaitSeconds: 900,
});
const hub = renderHubBoot({ seleniumVersion: "4.27.0", runner, autoStart: true });
const node = renderNodeBoot({ seleniumVersion: "4.27.0", hubHost: "10.90.0.12", maxSessions: 2, tortureRepo: "https://github.com/jitsi/jitsi-meet-torture.git", tortureRef: "c0efd48326b09526389a755bf5530b55035ce667" });

function tmp(name: string, text: string): string {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "torture-boot-")), name);
  fs.writeFileSync(f, text);
  return f;
}

describe("load test grid: boot scripts", () => {
  it("boot scripts pass shellcheck", function () {
    const sc = requireBinary(this, "shellcheck");
    for (const [what, text] of [["hub", hub.files["boot.sh"]], ["node", node.files["boot.sh"]]]) {
      const r = spawnSync(sc, ["-s", "bash", tmp(`${what}.sh`, text)], { encoding: "utf8" });
      assert.strictEqual(r.status, 0, `${what}: ${r.stdout}${r.stderr}`);
    }
  });

  it("user data is valid cloud-config and under EC2's 16 KB", function () {
    const ci = requireBinary(this, "cloud-init");
    for (const [what, text] of [["hub", hub.userData], ["node", node.userData]]) {
      assert.ok(Buffer.byteLength(text) < USER_DATA_LIMIT_BYTES, `${what}: ${Buffer.byteLength(text)} bytes`);
      const r = spawnSync(ci, ["schema", "--config-file", tmp(`${what}.yaml`, text)], { encoding: "utf8" });
      assert.strictEqual(r.status, 0, `${what}: ${r.stdout}${r.stderr}`);
    }
  });

  it("the node registers with the hub's private address and runs the sessions its size allows", () => {
    assert.match(node.files["selenium-node.service"], /node --hub http:\/\/10\.90\.0\.12:4444 --max-sessions 2 /);
    // Chrome from Google's signed repository; the torture's fake media where Malleus points Chrome.
    assert.match(node.files["boot.sh"], /signed-by=\/etc\/apt\/keyrings\/google-chrome\.gpg/);
    assert.match(node.files["boot.sh"], /fetch -q --depth 1 'https:\/\/github\.com\/jitsi\/jitsi-meet-torture\.git' 'c0efd48326b09526389a755bf5530b55035ce667'/);
    assert.match(node.files["boot.sh"], /\/usr\/share\/jitsi-meet-torture/);
  });

  it("the hub installs the runner and starts it only when autoStart is on", () => {
    assert.ok(hub.userData.includes("/opt/loadtest/run-torture.sh"));
    assert.match(hub.files["boot.sh"], /systemctl start --no-block torture-runner\.service/);
    const manual = renderHubBoot({ seleniumVersion: "4.27.0", runner, autoStart: false });
    assert.ok(!/systemctl start --no-block torture-runner/.test(manual.files["boot.sh"]));
    assert.match(hub.files["boot.sh"], /selenium-server-4\.27\.0\.jar/);
    assert.throws(() => renderHubBoot({ seleniumVersion: "latest", runner, autoStart: true }), /seleniumVersion must look like 4\.27\.0/);
  });
});
