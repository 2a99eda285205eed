import * as assert from "assert";
import { ownsGlobalDashboard, peerDashboardInput } from "../../components/global-dashboard";
import { resolveMonitoringArgs } from "../../components/monitoring";
import { ConfigError, parseConfig } from "../../config/parse";
import { ALARM_DEFAULTS } from "../../metrics/alarms";
import { dashboardSeries, renderGlobalDashboard } from "../../render/dashboard";

const base = { deployment: "jitsi", region: "eu-west-1", shardIds: ["eu-west-1-s1"] };

describe("components/monitoring: arguments", () => {
  it("resolves defaults in one place (retention 30, TURN on, default thresholds)", () => {
    const a = resolveMonitoringArgs(base);
    assert.strictEqual(a.logRetentionDays, 30);
    assert.strictEqual(a.turnEnabled, true);
    assert.deepStrictEqual(a.thresholds, ALARM_DEFAULTS);
    assert.deepStrictEqual(resolveMonitoringArgs({ ...base, alarmThresholds: { bridgeStress: 0.7 } }).thresholds.bridgeStress, 0.7);
  });

  it("reports every bad field together, naming it and what is allowed", () => {
    try {
      resolveMonitoringArgs({ ...base, shardIds: [], logRetentionDays: 10, alarmEmails: ["oncall"], bridgeFleets: [{ name: "Main Fleet", autoScalingGroupName: "g" }], alarmThresholds: { shardDownMinutes: 0 } });
      assert.fail("should throw");
    } catch (e) {
      const errors = (e as { errors?: { propertyPath: string; reason: string }[] }).errors ?? [];
      const paths = errors.map((x) => x.propertyPath).sort();
      assert.deepStrictEqual(paths, ["alarmEmails[0]", "alarmThresholds.shardDownMinutes", "bridgeFleets[0]", "logRetentionDays", "shardIds"]);
      assert.match(errors.find((x) => x.propertyPath === "logRetentionDays")!.reason, /must be one of 1, 3, 5, 7, 14, 30/);
    }
  });
});

describe("config: jitsi:monitoring.alarms", () => {
  const cfg = (monitoring: unknown) => ({ domain: "meet.example.com", regions: [{ name: "us-east-1", vpcCidr: "10.10.0.0/16" }], monitoring });
  it("defaults to ALARM_DEFAULTS (minus the stress threshold, which follows shard.stressThreshold)", () => {
    const { bridgeStress, ...rest } = ALARM_DEFAULTS;
    assert.ok(bridgeStress > 0);
    assert.deepStrictEqual(parseConfig(cfg({})).monitoring.alarms, rest);
  });
  it("names a bad alarm setting and the allowed range", () => {
    assert.throws(() => parseConfig(cfg({ alarms: { shardDownMinutes: 0 } })), (e: Error) => e instanceof ConfigError && /jitsi:monitoring\.alarms\.shardDownMinutes: must be an integer from 1 to 60 \(got 0\)/.test(e.message));
    assert.throws(() => parseConfig(cfg({ alarms: { bridgeStress: 0.5 } })), /jitsi:monitoring\.alarms: unknown key 'bridgeStress'/);
  });
});

describe("components/global-dashboard", () => {
  it("exactly one stack owns the global dashboard: the one deploying the first region by name", () => {
    assert.strictEqual(ownsGlobalDashboard(["us-east-1"], ["eu-west-1"]), false);
    assert.strictEqual(ownsGlobalDashboard(["eu-west-1"], ["us-east-1"]), true);
    assert.strictEqual(ownsGlobalDashboard(["us-east-1", "eu-west-1"], []), true);
  });
  it("a region of another stack shows its own metrics but no ASG series with an empty name", () => {
    const series = dashboardSeries(renderGlobalDashboard([peerDashboardInput("us-east-1", ["us-east-1-s1"], true)], "eu-west-1"));
    assert.ok(series.some((s) => s.name === "ShardParticipants" && s.region === "us-east-1"));
    assert.ok(series.some((s) => s.name === "BridgeStress" && s.dimensions.Fleet === "us-east-1-bridges"));
    assert.ok(!series.some((s) => s.namespace === "AWS/AutoScaling"), "no ASG series without a name");
  });
});
