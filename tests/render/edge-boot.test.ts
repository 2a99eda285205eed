import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderEdgeBootScript, renderHaproxyReloadDropIn, renderPreReloadScript } from "../../render/edge-boot";
import { requireBinary } from "../helpers/env";

describe("render/edge-boot", () => {
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "edge-boot-"))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("the pre-reload script waits until the peers finished their resync, then saves the servers' state", function () {
    const bash = requireBinary(this, "bash");
    // A fake socat answering like HAProxy's runtime API: twice "resync from remote not finished" (flags 0x11),
    // then finished (0x1103); "show servers state" prints a state line.
    const bin = path.join(tmp, "bin");
    fs.mkdirSync(bin);
    const counter = path.join(tmp, "calls");
    fs.writeFileSync(
      path.join(bin, "socat"),
      `#!/bin/bash
cmd=$(cat)
if [ "$cmd" = "show peers" ]; then
  n=$(cat "${counter}" 2>/dev/null || echo 0); echo $((n + 1)) > "${counter}"
  if [ "$n" -lt 2 ]; then f=0x11; else f=0x1103; fi
  echo "0x55: [26/Nov/2026:06:26:35] id=edge disabled=0 flags=$f resync_timeout=<PAST> task_calls=12"
else
  printf '1\\n# be_id be_name srv_id srv_name\\n5 be_shards 1 s1\\n'
fi
`,
      { mode: 0o755 },
    );
    const state = path.join(tmp, "server-state");
    const script = path.join(tmp, "pre-reload");
    fs.writeFileSync(script, renderPreReloadScript({ runtimeSocket: path.join(tmp, "admin.sock"), serverState: state, maxWaitSeconds: 5 }), { mode: 0o755 });
    const started = Date.now();
    const r = spawnSync(bash, [script], { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(counter, "utf8").trim(), "3", "asked until the flags said synced");
    assert.ok(Date.now() - started >= 1900, "slept between the polls");
    assert.match(fs.readFileSync(state, "utf8"), /^1\n# be_id/);
  });

  it("reload = check, pre-reload (failure tolerated), USR2; boot starts HAProxy only once it knows its peers", () => {
    assert.match(renderHaproxyReloadDropIn(), /ExecReload=\nExecReload=\/usr\/sbin\/haproxy -Ws -f \$CONFIG -c -q \$EXTRAOPTS\nExecReload=-\/usr\/local\/sbin\/haproxy-pre-reload\nExecReload=\/bin\/kill -USR2 \$MAINPID\n/);
    const boot = renderEdgeBootScript({ region: "us-east-1", stagingDir: "/etc/jitsi-aws/staged", agentInstall: "# agent\n", cloudWatchAgentInstall: "# cw\n", peersUnit: "jitsi-aws-edge-peers.service", metricsUnit: "jitsi-aws-metrics.service" });
    assert.ok(boot.indexOf("systemctl stop haproxy") < boot.indexOf("edge-peers --once"));
    assert.throws(() => renderEdgeBootScript({ region: "us-east-1", stagingDir: "/x", agentInstall: "", cloudWatchAgentInstall: "", peersUnit: "bad unit", metricsUnit: "jitsi-aws-metrics.service" }), /peersUnit must be a systemd service name/);
    assert.throws(() => renderPreReloadScript({ maxWaitSeconds: 0 }), /maxWaitSeconds must be 1-120/);
  });

  it("passes shellcheck", function () {
    const shellcheck = requireBinary(this, "shellcheck");
    const f = path.join(tmp, "check.sh");
    for (const text of [renderPreReloadScript(), renderEdgeBootScript({ region: "us-east-1", stagingDir: "/etc/jitsi-aws/staged", agentInstall: "true\n", cloudWatchAgentInstall: "true\n", peersUnit: "jitsi-aws-edge-peers.service", metricsUnit: "jitsi-aws-metrics.service" })]) {
      fs.writeFileSync(f, text);
      const r = spawnSync(shellcheck, ["-S", "style", f], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stdout);
    }
  });
});
