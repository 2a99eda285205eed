/**
 * Monitoring in the prod plan: per region a dashboard, >= 6 alarms that all notify the region's SNS topic,
 * e-mail subscriptions from config, log groups with the configured retention, the agent config per role in
 * SSM; one global dashboard. Rendered bodies are checked series by series against the emitters.
 */
import * as assert from "assert";
import { allCustomMetrics, AWS_NAMESPACES, HOST_NAMESPACE } from "../../metrics/catalog";
import { LOG_METRIC_FILTERS } from "../../metrics/log-filters";
import { dashboardSeries } from "../../render/dashboard";
import { PlanResult, PlannedResource, runPlan } from "../../tools/plan/run";
import { prodPlan } from "../helpers/prod-plan";

let plan: PlanResult;
const byType = (t: string) => plan.resources.filter((r) => r.type === t);
const inputs = (r: PlannedResource) => r.inputs as Record<string, any>;
const childrenOf = (r: PlannedResource) => plan.resources.filter((c) => c.parent === r.urn);

describe("plan of the prod stack: monitoring", function () {
  before(async () => {
    plan = await prodPlan();
  });

  it("has one Monitoring component per region and one global dashboard", () => {
    assert.deepStrictEqual(byType("jitsi:index:Monitoring").map((r) => r.name).sort(), plan.config.regions.map((r) => `${r.name}-monitoring`).sort());
    assert.deepStrictEqual(byType("jitsi:index:GlobalDashboard").map((r) => r.name), ["global"]);
    const dashboards = byType("aws:cloudwatch/dashboard:Dashboard").map((d) => inputs(d).dashboardName).sort();
    assert.deepStrictEqual(dashboards, [...plan.config.regions.map((r) => `${plan.config.deployment}-${r.name}`), `${plan.config.deployment}-global`].sort());
  });

  for (const kind of ["region", "global"] as const)
    it(`every series of the ${kind} dashboard body sent to AWS is a catalogue, agent or AWS metric`, () => {
      const ds = byType("aws:cloudwatch/dashboard:Dashboard").filter((d) => (kind === "global") === inputs(d).dashboardName.endsWith("-global"));
      assert.ok(ds.length >= 1);
      const custom = new Set(allCustomMetrics().map((m) => m.name));
      for (const d of ds) {
        const series = dashboardSeries(inputs(d).dashboardBody);
        assert.ok(series.length > 5, `${inputs(d).dashboardName}: ${series.length} series`);
        for (const s of series) assert.ok(custom.has(s.name) || s.namespace === HOST_NAMESPACE || AWS_NAMESPACES.includes(s.namespace), `${inputs(d).dashboardName}: ${s.namespace}/${s.name}`);
        // Real names reached the body: no unresolved Output text.
        assert.ok(!/Calling \[toString\]|undefined/.test(inputs(d).dashboardBody), inputs(d).dashboardName);
      }
    });

  it("per region: >= 6 alarms, each notifying (alarm and OK) that region's SNS topic, each with a missing-data treatment", () => {
    for (const mon of byType("jitsi:index:Monitoring")) {
      const kids = childrenOf(mon);
      const topics = kids.filter((c) => c.type === "aws:sns/topic:Topic");
      assert.strictEqual(topics.length, 1, mon.name);
      const alarms = kids.filter((c) => c.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
      assert.ok(alarms.length >= 6, `${mon.name}: ${alarms.length} alarms`);
      const region = mon.name.replace(/-monitoring$/, "");
      const topicArn = `arn:aws:sns:${region}:`;
      for (const a of alarms) {
        const i = inputs(a);
        assert.strictEqual(i.alarmActions.length, 1, a.name);
        assert.ok(String(i.alarmActions[0]).startsWith(topicArn), `${a.name}: ${i.alarmActions[0]}`);
        assert.deepStrictEqual(i.okActions, i.alarmActions, a.name);
        assert.ok(["breaching", "notBreaching", "ignore", "missing"].includes(i.treatMissingData), a.name);
        assert.match(i.alarmDescription, /Missing data: \w+, because .{20,}/, a.name);
        const ns: string[] = i.namespace ? [i.namespace] : i.metricQueries.filter((q: any) => q.metric).map((q: any) => q.metric.namespace);
        for (const n of ns) assert.ok(n === "JitsiAws" || AWS_NAMESPACES.includes(n), `${a.name}: ${n}`);
      }
      const names = alarms.map((a) => inputs(a).name as string);
      for (const key of ["bridge-stress", "shard-down", "edge-5xx-rate", "bridge-scaler-errors", "bridge-scaler-throttles", "metrics-missing-haproxy"])
        assert.ok(names.some((n) => n.includes(key)), `${mon.name} lacks ${key}: ${names.join(", ")}`);
    }
  });

  it("subscribes the configured e-mail addresses to each region's topic", () => {
    const subs = byType("aws:sns/topicSubscription:TopicSubscription").filter((s) => s.parent?.includes("jitsi:index:Monitoring"));
    assert.strictEqual(subs.length, plan.config.regions.length * plan.config.monitoring.alarmEmails.length);
    for (const s of subs) {
      assert.strictEqual(inputs(s).protocol, "email");
      assert.ok(plan.config.monitoring.alarmEmails.includes(inputs(s).endpoint));
    }
  });

  it("creates the log groups the agent configs write to, with the configured retention", () => {
    const groups = byType("aws:cloudwatch/logGroup:LogGroup").filter((g) => g.parent && g.parent.includes("Monitoring"));
    assert.ok(groups.length >= plan.config.regions.length * 5, `${groups.length} log groups`);
    for (const g of groups) assert.strictEqual(inputs(g).retentionInDays, plan.config.monitoring.logRetentionDays, g.name);
    for (const mon of byType("jitsi:index:Monitoring")) {
      // Monitoring's own groups, plus the access-log group its region's EdgeProxy creates.
      const region = plan.resources.find((r) => r.urn === mon.parent)!;
      const edgeGroups = byType("aws:cloudwatch/logGroup:LogGroup").filter((g) => plan.resources.some((e) => e.urn === g.parent && e.type === "jitsi:index:EdgeProxy" && e.parent === region.urn));
      const own = new Set([...childrenOf(mon), ...edgeGroups].filter((c) => c.type === "aws:cloudwatch/logGroup:LogGroup").map((g) => inputs(g).name));
      for (const p of childrenOf(mon).filter((c) => c.type === "aws:ssm/parameter:Parameter")) {
        const cfg = JSON.parse(inputs(p).insecureValue);
        for (const f of cfg.logs.logs_collected.files.collect_list) assert.ok(own.has(f.log_group_name), `${p.name} writes to ${f.log_group_name}, which ${mon.name} does not create`);
        assert.strictEqual(inputs(p).type, "String");
        assert.match(inputs(p).name, /^\/jitsi\/[a-z0-9-]+\/cloudwatch-agent\/(shard|bridge|jibri|turn|edge)$/);
      }
    }
  });

  it("stores an agent config in SSM for every host role (shard, edge, bridge, jibri, turn), so every host finds its own at boot", () => {
    for (const mon of byType("jitsi:index:Monitoring")) {
      const roles = childrenOf(mon).filter((c) => c.type === "aws:ssm/parameter:Parameter").map((p) => inputs(p).name.split("/").pop()).sort();
      assert.deepStrictEqual(roles, ["bridge", "edge", "jibri", "shard", "turn"], mon.name);
    }
  });

  it("puts the TURN allocation metric filters (granted, refused) on the coturn log group", () => {
    const filters = byType("aws:cloudwatch/logMetricFilter:LogMetricFilter");
    assert.strictEqual(filters.length, plan.config.regions.length * LOG_METRIC_FILTERS.length);
    for (const f of filters) {
      const def = LOG_METRIC_FILTERS.find((d) => d.metric.name === inputs(f).metricTransformation.name);
      assert.ok(def, `unexpected filter ${f.name}`);
      assert.strictEqual(inputs(f).pattern, def.pattern);
      assert.match(inputs(f).logGroupName, /\/coturn$/);
    }
    const names = new Set(filters.map((f) => inputs(f).metricTransformation.name));
    assert.deepStrictEqual([...names].sort(), ["TurnAllocationFailures", "TurnAllocationsCreated"]);
  });

  it("writes the dashboard bodies, alarm list and agent configs under files/<region>/<monitoring>/", () => {
    for (const r of plan.config.regions) {
      const mine = plan.files.filter((f) => f.region === r.name && f.component === `${r.name}-monitoring`).map((f) => f.path);
      for (const want of ["dashboard.json", "alarms.json", "cloudwatch-agent-shard.json", "cloudwatch-agent-bridge.json", "cloudwatch-agent-edge.json"]) assert.ok(mine.includes(want), `${r.name}: ${mine}`);
    }
    assert.ok(plan.files.some((f) => f.region === "global" && f.path === "dashboard.json"));
  });
});

describe("stack-per-region mode: the global dashboard", function () {
  it("exactly one stack creates it (the one deploying the first region by name) and it shows both regions", async () => {
    const [us, eu] = [await runPlan({ stack: "prod-us-east-1" }), await runPlan({ stack: "prod-eu-west-1" })];
    const globals = (p: PlanResult) => p.resources.filter((r) => r.type === "aws:cloudwatch/dashboard:Dashboard" && (r.inputs as any).dashboardName.endsWith("-global"));
    assert.strictEqual(globals(us).length, 0, "us-east-1 sorts after eu-west-1: not the owner");
    assert.strictEqual(globals(eu).length, 1);
    const series = dashboardSeries((globals(eu)[0].inputs as any).dashboardBody);
    assert.deepStrictEqual([...new Set(series.filter((s) => s.widget === "Users by region").map((s) => s.region))].sort(), ["eu-west-1", "us-east-1"]);
    // Each stack still has its own region's dashboard and alarms.
    for (const p of [us, eu]) assert.strictEqual(p.resources.filter((r) => r.type === "jitsi:index:Monitoring").length, 1);
  });
});
