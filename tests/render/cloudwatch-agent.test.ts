import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HOST_METRICS, HOST_NAMESPACE } from "../../metrics/catalog";
import { agentConfigParameterName, HOST_ROLES, LOG_SERVICES, logGroupName, logServicesOf, renderCloudWatchAgentConfig, renderCloudWatchAgentInstall } from "../../render/cloudwatch-agent";
import { requireBinary, run } from "../helpers/env";

interface AgentConfig {
  agent: { metrics_collection_interval: number };
  metrics: { namespace: string; append_dimensions: Record<string, string>; aggregation_dimensions: string[][]; metrics_collected: Record<string, { measurement: string[]; resources?: string[]; totalcpu?: boolean }> };
  logs: { logs_collected: { files: { collect_list: { file_path: string; log_group_name: string; log_stream_name: string }[] } } };
}
const cfg = (role: (typeof HOST_ROLES)[number]) => JSON.parse(renderCloudWatchAgentConfig({ deployment: "jitsi", role })) as AgentConfig;

describe("render/cloudwatch-agent", () => {
  it("collects CPU, memory, disk, network and disk IO on every role, exactly the catalogue's host metrics", () => {
    for (const role of HOST_ROLES) {
      const c = cfg(role).metrics;
      assert.equal(c.namespace, HOST_NAMESPACE);
      assert.deepEqual(Object.keys(c.metrics_collected).sort(), ["cpu", "disk", "diskio", "mem", "net"]);
      const collected = Object.entries(c.metrics_collected).flatMap(([p, v]) => v.measurement.map((m) => `${p}_${m}`)).sort();
      assert.deepEqual(collected, Object.values(HOST_METRICS).map((m) => m.name).sort());
      assert.equal(c.metrics_collected.cpu.totalcpu, true);
      assert.equal(c.metrics_collected.cpu.resources, undefined, "per-core series would multiply the cost");
      assert.deepEqual(c.append_dimensions, { InstanceId: "${aws:InstanceId}", AutoScalingGroupName: "${aws:AutoScalingGroupName}" });
      assert.deepEqual(c.aggregation_dimensions, [["AutoScalingGroupName"]]);
    }
  });

  it("ships each role's service logs to one log group per service, under /jitsi/<deployment>/", () => {
    const groups = (role: (typeof HOST_ROLES)[number]) => [...new Set(cfg(role).logs.logs_collected.files.collect_list.map((f) => f.log_group_name))].sort();
    assert.deepEqual(groups("shard"), ["/jitsi/jitsi/jicofo", "/jitsi/jitsi/nginx", "/jitsi/jitsi/system"]);
    assert.deepEqual(groups("bridge"), ["/jitsi/jitsi/jvb", "/jitsi/jitsi/system"]);
    assert.deepEqual(groups("jibri"), ["/jitsi/jitsi/jibri", "/jitsi/jitsi/system"]);
    assert.deepEqual(groups("turn"), ["/jitsi/jitsi/coturn", "/jitsi/jitsi/system"]);
    assert.deepEqual(groups("edge"), ["/jitsi/jitsi/haproxy", "/jitsi/jitsi/system"]);
    for (const role of HOST_ROLES)
      for (const f of cfg(role).logs.logs_collected.files.collect_list) {
        assert.ok(f.file_path.startsWith("/var/log/"), f.file_path);
        assert.match(f.log_stream_name, /^\{instance_id\}\/[\w.-]+$/);
      }
  });

  it("every log service is shipped by some role, and the union of roles' services is every service", () => {
    const shipped = new Set(HOST_ROLES.flatMap((r) => logServicesOf(r)));
    assert.deepEqual([...shipped].sort(), Object.keys(LOG_SERVICES).sort());
  });

  it("names log groups and SSM parameters CloudWatch Logs and SSM accept", () => {
    for (const svc of Object.keys(LOG_SERVICES) as (keyof typeof LOG_SERVICES)[]) assert.match(logGroupName("jitsi-prod", svc), /^[\w\-/.#]{1,512}$/);
    assert.equal(agentConfigParameterName("jitsi", "bridge"), "/jitsi/jitsi/cloudwatch-agent/bridge");
  });

  it("rejects bad input naming the field and what is allowed", () => {
    assert.throws(() => renderCloudWatchAgentConfig({ deployment: "jitsi", role: "bridge", intervalSeconds: 10 }), /intervalSeconds must be an integer from 60 to 86400, got 10/);
    assert.throws(() => renderCloudWatchAgentConfig({ deployment: "jitsi", role: "db" as never }), /role must be one of shard, bridge, jibri, turn, edge/);
    assert.throws(() => logGroupName("Jitsi Prod", "jvb"), /deployment must be a lower-case name/);
  });

  it("the config fits a standard SSM parameter (4 KB) for every role", () => {
    for (const role of HOST_ROLES) assert.ok(Buffer.byteLength(renderCloudWatchAgentConfig({ deployment: "a-twenty-char-name-x", role })) <= 4096, role);
  });

  it("the install snippet passes shellcheck", function () {
    const shellcheck = requireBinary(this, "shellcheck");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cwagent-"));
    try {
      const file = path.join(dir, "install.sh");
      fs.writeFileSync(file, `#!/bin/bash\nset -euo pipefail\n${renderCloudWatchAgentInstall({ region: "eu-west-1", parameterName: agentConfigParameterName("jitsi", "bridge") })}`);
      run(shellcheck, ["-s", "bash", "-S", "style", file]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
