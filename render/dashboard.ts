/**
 * CloudWatch dashboard bodies (JSON), one per region and one global. Pure: every series comes from a
 * catalogue entry through metrics/refs.ts `ref`, so a widget cannot name a metric or dimension set that
 * nothing publishes; tests parse the body back and check each series against the emitters.
 */
import { AWS_METRICS, BRIDGE_METRICS, EDGE_METRICS, HOST_METRICS, PUBLISHER_METRICS, SHARD_METRICS, TURN_METRICS } from "../metrics/catalog";
import { type MetricRef, ref } from "../metrics/refs";

export interface AsgGroup {
  /** Fleet or Pool dimension value (what publish-metrics gets as --fleet / --pool). */
  readonly name: string;
  readonly autoScalingGroupName: string;
}

/** Mutable array types on purpose: the Pulumi schema analyzer (provider/components.ts) rejects ReadonlyArray. */
export interface RegionDashboardInput {
  readonly region: string;
  readonly shards: string[];
  readonly fleets: AsgGroup[];
  readonly pools: AsgGroup[];
  readonly turnEnabled: boolean;
  readonly scalerFunctionNames: string[];
  /** Every auto-scaling group of the region whose hosts run the CloudWatch agent (host metrics roll-up). */
  readonly hostAutoScalingGroupNames: string[];
}

export interface Widget {
  readonly title: string;
  readonly metrics: readonly MetricRef[];
  /** Default statistic shown in the legend; each series carries its own. */
  readonly width?: number;
  readonly stacked?: boolean;
}

const SOURCES_OF = (i: RegionDashboardInput) => ["haproxy", "jicofo", ...(i.fleets.length ? ["jvb"] : []), ...(i.pools.length ? ["jibri"] : []), ...(i.turnEnabled ? ["coturn"] : [])];

/** The widgets of one region's dashboard, in reading order. */
export function regionWidgets(i: RegionDashboardInput): Widget[] {
  const R = i.region;
  const w: Widget[] = [
    { title: "Users (participants on all shards)", metrics: [ref(SHARD_METRICS.participants, { Region: R }, "Sum", { label: "users" })] },
    { title: "Conferences", metrics: [ref(SHARD_METRICS.conferences, { Region: R }, "Sum", { label: "conferences" })] },
    { title: "Participants per shard", metrics: i.shards.map((s) => ref(SHARD_METRICS.participants, { Region: R, Shard: s }, "Sum", { label: s })) },
    {
      // One stress sample per bridge per minute: SampleCount is the number of bridges reporting.
      title: "Bridges (count reporting)",
      metrics: i.fleets.map((f) => ref(BRIDGE_METRICS.stress, { Region: R, Fleet: f.name }, "SampleCount", { label: `${f.name} bridges` })),
    },
    {
      title: "Bridge stress (avg / max)",
      metrics: i.fleets.flatMap((f) => [ref(BRIDGE_METRICS.stress, { Region: R, Fleet: f.name }, "Average", { label: `${f.name} avg` }), ref(BRIDGE_METRICS.stress, { Region: R, Fleet: f.name }, "Maximum", { label: `${f.name} max` })]),
    },
    {
      title: "Bridge media (kbit/s)",
      metrics: i.fleets.flatMap((f) => [ref(BRIDGE_METRICS.bitrateDownload, { Region: R, Fleet: f.name }, "Sum", { label: `${f.name} in` }), ref(BRIDGE_METRICS.bitrateUpload, { Region: R, Fleet: f.name }, "Sum", { label: `${f.name} out` })]),
    },
    {
      title: "Bridge packets/s and relays",
      metrics: i.fleets.flatMap((f) => [
        ref(BRIDGE_METRICS.packetRateDownload, { Region: R, Fleet: f.name }, "Sum", { label: `${f.name} pkt in` }),
        ref(BRIDGE_METRICS.packetRateUpload, { Region: R, Fleet: f.name }, "Sum", { label: `${f.name} pkt out` }),
        ref(BRIDGE_METRICS.relayEndpoints, { Region: R, Fleet: f.name }, "Sum", { label: `${f.name} relayed endpoints` }),
      ]),
    },
    {
      // Jicofo's view (its JibriBrewery), published by every shard: the recorders a recording can really get.
      title: "Recorders idle / busy (per Jicofo)",
      metrics: i.pools.length
        ? [
            ref(SHARD_METRICS.recordersAvailable, { Region: R }, "Minimum", { label: "idle (shard with fewest)" }),
            ref(SHARD_METRICS.recordersAvailable, { Region: R }, "Maximum", { label: "idle (shard with most)" }),
            ref(SHARD_METRICS.recordersBusy, { Region: R }, "Maximum", { label: "busy" }),
          ]
        : [],
    },
    {
      title: "Shard health (HAProxy / Jicofo)",
      metrics: [
        ref(EDGE_METRICS.shardsDown, { Region: R }, "Maximum", { label: "shards down" }),
        // The edge names each shard's HAProxy server by its shard id (render/haproxy.ts), so these line up.
        ...i.shards.map((s) => ref(EDGE_METRICS.shardUp, { Region: R, Shard: s }, "Minimum", { label: `${s} up (HAProxy)` })),
        ...i.shards.map((s) => ref(SHARD_METRICS.bridgesOperational, { Region: R, Shard: s }, "Minimum", { label: `${s} operational bridges` })),
      ],
    },
    {
      title: "Edge: sessions and 5xx",
      metrics: [ref(EDGE_METRICS.sessions, { Region: R }, "Sum", { label: "sessions" }), ref(EDGE_METRICS.http5xx, { Region: R }, "Sum", { label: "5xx / min" }), ref(EDGE_METRICS.requests, { Region: R }, "Sum", { label: "requests / min" })],
    },
    ...(i.turnEnabled
      ? [{ title: "TURN allocations (and refusals)", metrics: [ref(TURN_METRICS.allocationsCreated, {}, "Sum", { label: "allocations granted" }), ref(TURN_METRICS.allocationFailures, {}, "Sum", { label: "refused" })] }]
      : []),
    {
      title: "Scaling actions (desired vs in service)",
      metrics: [...i.fleets, ...i.pools].flatMap((g) => [
        ref(AWS_METRICS.asgDesired, { AutoScalingGroupName: g.autoScalingGroupName }, "Maximum", { label: `${g.name} desired` }),
        ref(AWS_METRICS.asgInService, { AutoScalingGroupName: g.autoScalingGroupName }, "Maximum", { label: `${g.name} in service` }),
      ]),
    },
    {
      title: "Scaling Lambdas: errors / throttles",
      metrics: i.scalerFunctionNames.flatMap((fn) => [ref(AWS_METRICS.lambdaErrors, { FunctionName: fn }, "Sum", { label: `${fn} errors` }), ref(AWS_METRICS.lambdaThrottles, { FunctionName: fn }, "Sum", { label: `${fn} throttles` })]),
    },
    { title: "Metrics sources failing", metrics: SOURCES_OF(i).map((s) => ref(PUBLISHER_METRICS.sourceErrors, { Region: R, Source: s }, "Sum", { label: s })) },
    { title: "Host CPU % (per group)", metrics: i.hostAutoScalingGroupNames.map((g) => ref(HOST_METRICS.cpuActive, { AutoScalingGroupName: g }, "Average", { label: g })) },
    { title: "Host memory % (per group)", metrics: i.hostAutoScalingGroupNames.map((g) => ref(HOST_METRICS.memUsed, { AutoScalingGroupName: g }, "Average", { label: g })) },
    { title: "Host network bytes (per group)", metrics: i.hostAutoScalingGroupNames.flatMap((g) => [ref(HOST_METRICS.netBytesSent, { AutoScalingGroupName: g }, "Sum", { label: `${g} sent` }), ref(HOST_METRICS.netBytesRecv, { AutoScalingGroupName: g }, "Sum", { label: `${g} received` })]) },
    {
      title: "Host disk % and IO (per group)",
      metrics: i.hostAutoScalingGroupNames.flatMap((g) => [
        ref(HOST_METRICS.diskUsed, { AutoScalingGroupName: g }, "Maximum", { label: `${g} disk used %` }),
        ref(HOST_METRICS.diskioReadBytes, { AutoScalingGroupName: g }, "Sum", { label: `${g} read bytes` }),
        ref(HOST_METRICS.diskioWriteBytes, { AutoScalingGroupName: g }, "Sum", { label: `${g} write bytes` }),
      ]),
    },
  ];
  // A widget with no series (e.g. no recorder pool in this region) would render as an empty box.
  return w.filter((x) => x.metrics.length > 0);
}

/** The global dashboard: one series per region in each widget (cross-region metrics carry their region). */
export function globalWidgets(regions: readonly RegionDashboardInput[]): Widget[] {
  const per = (title: string, f: (r: RegionDashboardInput) => MetricRef[]): Widget => ({ title, metrics: regions.flatMap(f) });
  return [
    per("Users by region", (r) => [ref(SHARD_METRICS.participants, { Region: r.region }, "Sum", { label: r.region, region: r.region })]),
    per("Conferences by region", (r) => [ref(SHARD_METRICS.conferences, { Region: r.region }, "Sum", { label: r.region, region: r.region })]),
    per("Bridges reporting by region", (r) => r.fleets.map((f) => ref(BRIDGE_METRICS.stress, { Region: r.region, Fleet: f.name }, "SampleCount", { label: `${r.region} ${f.name}`, region: r.region }))),
    per("Bridge stress (max) by region", (r) => r.fleets.map((f) => ref(BRIDGE_METRICS.stress, { Region: r.region, Fleet: f.name }, "Maximum", { label: `${r.region} ${f.name}`, region: r.region }))),
    per("Idle recorders by region (per Jicofo, fewest)", (r) => (r.pools.length ? [ref(SHARD_METRICS.recordersAvailable, { Region: r.region }, "Minimum", { label: r.region, region: r.region })] : [])),
    per("Busy recorders by region (per Jicofo)", (r) => (r.pools.length ? [ref(SHARD_METRICS.recordersBusy, { Region: r.region }, "Maximum", { label: r.region, region: r.region })] : [])),
    per("Shards down by region", (r) => [ref(EDGE_METRICS.shardsDown, { Region: r.region }, "Maximum", { label: r.region, region: r.region })]),
    per("TURN allocations by region", (r) => (r.turnEnabled ? [ref(TURN_METRICS.allocationsCreated, {}, "Sum", { label: r.region, region: r.region })] : [])),
    // A region of another stack has no ASG or Lambda names here (components/global-dashboard peerDashboardInput).
    per("Bridges desired by region", (r) => r.fleets.filter((f) => f.autoScalingGroupName !== "").map((f) => ref(AWS_METRICS.asgDesired, { AutoScalingGroupName: f.autoScalingGroupName }, "Maximum", { label: `${r.region} ${f.name}`, region: r.region }))),
    per("Scaling Lambda errors by region", (r) => r.scalerFunctionNames.map((fn) => ref(AWS_METRICS.lambdaErrors, { FunctionName: fn }, "Sum", { label: `${r.region} ${fn}`, region: r.region }))),
  ].filter((x) => x.metrics.length > 0);
}

/** CloudWatch's limit per graph widget (GetMetricWidgetImage / dashboards: 500 series). */
const MAX_SERIES_PER_WIDGET = 500;

/**
 * The dashboard body: a 3-column grid of time-series widgets (60 s periods, the publishers' resolution).
 * `homeRegion` is the region a widget queries unless a series names its own.
 */
export function renderDashboardBody(widgets: readonly Widget[], homeRegion: string): string {
  let x = 0;
  let y = 0;
  const out = widgets.map((wd) => {
    if (wd.metrics.length > MAX_SERIES_PER_WIDGET) throw new Error(`widget '${wd.title}' has ${wd.metrics.length} series; CloudWatch allows ${MAX_SERIES_PER_WIDGET}`);
    const width = wd.width ?? 8;
    if (x + width > 24) {
      x = 0;
      y += 6;
    }
    const widget = {
      type: "metric",
      x,
      y,
      width,
      height: 6,
      properties: {
        title: wd.title,
        view: "timeSeries",
        stacked: wd.stacked ?? false,
        region: homeRegion,
        period: 60,
        metrics: wd.metrics.map((m) => [m.namespace, m.name, ...Object.entries(m.dimensions).flat(), { stat: m.stat, ...(m.label ? { label: m.label } : {}), ...(m.region ? { region: m.region } : {}) }]),
      },
    };
    x += width;
    return widget;
  });
  return JSON.stringify({ start: "-PT6H", periodOverride: "inherit", widgets: out });
}

export function renderRegionDashboard(i: RegionDashboardInput): string {
  return renderDashboardBody(regionWidgets(i), i.region);
}

export function renderGlobalDashboard(regions: readonly RegionDashboardInput[], homeRegion: string): string {
  return renderDashboardBody(globalWidgets(regions), homeRegion);
}

/** Every series of a rendered body, read back from the JSON (what CloudWatch will query). */
export function dashboardSeries(body: string): { namespace: string; name: string; dimensions: Record<string, string>; stat: string; region: string; widget: string }[] {
  const parsed = JSON.parse(body) as { widgets: { type: string; properties: { title: string; region: string; metrics?: unknown[][] } }[] };
  return parsed.widgets.flatMap((w) =>
    (w.properties.metrics ?? []).map((row) => {
      const opts = row[row.length - 1] as { stat: string; region?: string };
      const pairs = row.slice(2, -1) as string[];
      const dimensions: Record<string, string> = {};
      for (let k = 0; k < pairs.length; k += 2) dimensions[pairs[k]] = pairs[k + 1];
      return { namespace: row[0] as string, name: row[1] as string, dimensions, stat: opts.stat, region: opts.region ?? w.properties.region, widget: w.properties.title };
    }),
  );
}
