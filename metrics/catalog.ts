/**
 * The metric catalogue: the one place that names jitsi-aws's CloudWatch namespace, metric names, units and
 * dimensions. Publishers (agents/), scalers (functions/), dashboards and alarms import it, so a renamed metric
 * cannot silently leave a dead widget or a blind scaler behind.
 *
 * Publishing convention (agents/publish-metrics): one value per series per minute, stamped with the start of
 * the minute (StorageResolution 60). So for a dimension set without InstanceId, the `Sum` statistic over a
 * 60 s period is the total over all hosts (e.g. all participants of a fleet) and `Average` is the mean.
 */

/** CloudWatch namespace of every custom metric this project publishes. */
export const NAMESPACE = "JitsiAws";

/**
 * Namespace the CloudWatch agent writes host metrics (cpu, mem, disk, net, diskio) to: the agent's own
 * default, which the host role's PutMetricData condition (components/host.ts) already allows.
 */
export const HOST_NAMESPACE = "CWAgent";

/** Dimension names. Region is always set; the others narrow it. */
export const DIM = {
  Region: "Region",
  Shard: "Shard",
  Fleet: "Fleet",
  Pool: "Pool",
  InstanceId: "InstanceId",
  /** Which local source a publisher polled (jvb, jicofo, jibri, coturn, haproxy). */
  Source: "Source",
  /** Name of a load-test stack (its jitsi:deployment), for LOADTEST_METRICS. */
  LoadTest: "LoadTest",
} as const;
export type DimensionName = (typeof DIM)[keyof typeof DIM];

/** CloudWatch standard units used here (a subset of the API's StandardUnit enum). */
export type Unit = "Count" | "None" | "Percent" | "Seconds" | "Bytes" | "Kilobits/Second" | "Count/Second";

export interface MetricDef {
  readonly namespace: string;
  readonly name: string;
  readonly unit: Unit;
  /** Dimension sets the metric is published with (each set is one CloudWatch series family). */
  readonly dimensions: readonly (readonly DimensionName[])[];
  /**
   * Who emits it, then in parentheses from what: "agents/publish-metrics (jvb /colibri/stats ...)",
   * "functions/<name> (...)", "metrics/log-filters (a log metric filter ...)". The first word is the
   * emitting program's path; see emitterOf().
   */
  readonly source: string;
  readonly description: string;
}

function def(m: Omit<MetricDef, "namespace">): MetricDef {
  return { namespace: NAMESPACE, ...m };
}

/** The program that emits a metric: the first word of its `source` (e.g. "agents/publish-metrics"). */
export function emitterOf(m: Pick<MetricDef, "source">): string {
  return m.source.split(/\s/)[0];
}

/** The metrics publisher on every host; dashboards and alarms mostly read what it emits. */
export const PUBLISHER = "agents/publish-metrics";

const PER_BRIDGE = [["Region", "Fleet", "InstanceId"], ["Region", "Fleet"]] as const;
const PER_RECORDER = [["Region", "Pool", "InstanceId"], ["Region", "Pool"]] as const;
const PER_SHARD = [["Region", "Shard"], ["Region"]] as const;
const PER_EDGE = [["Region", "InstanceId"], ["Region"]] as const;

/** Per-bridge metrics from the JVB colibri stats (published by agents/publish-metrics). */
export const BRIDGE_METRICS = {
  stress: def({ name: "BridgeStress", unit: "None", dimensions: PER_BRIDGE, source: "agents/publish-metrics (jvb /colibri/stats stress_level)", description: "JVB stress level (load / threshold); 1.0 = overloaded" }),
  participants: def({ name: "BridgeParticipants", unit: "Count", dimensions: PER_BRIDGE, source: "agents/publish-metrics (jvb /colibri/stats participants)", description: "Endpoints on the bridge" }),
  conferences: def({ name: "BridgeConferences", unit: "Count", dimensions: PER_BRIDGE, source: "agents/publish-metrics (jvb /colibri/stats conferences)", description: "Conferences on the bridge" }),
  draining: def({ name: "BridgeDraining", unit: "Count", dimensions: [["Region", "Fleet", "InstanceId"]], source: "agents/publish-metrics (jvb /colibri/stats drain / graceful_shutdown)", description: "1 while the bridge is in graceful shutdown or drain mode" }),
  bitrateDownload: def({ name: "BridgeBitrateDownload", unit: "Kilobits/Second", dimensions: PER_BRIDGE, source: "agents/publish-metrics (jvb /colibri/stats bit_rate_download)", description: "Incoming RTP bit rate" }),
  bitrateUpload: def({ name: "BridgeBitrateUpload", unit: "Kilobits/Second", dimensions: PER_BRIDGE, source: "agents/publish-metrics (jvb /colibri/stats bit_rate_upload)", description: "Outgoing RTP bit rate" }),
  packetRateDownload: def({ name: "BridgePacketRateDownload", unit: "Count/Second", dimensions: PER_BRIDGE, source: "agents/publish-metrics (jvb /colibri/stats packet_rate_download)", description: "Incoming RTP packets per second" }),
  packetRateUpload: def({ name: "BridgePacketRateUpload", unit: "Count/Second", dimensions: PER_BRIDGE, source: "agents/publish-metrics (jvb /colibri/stats packet_rate_upload)", description: "Outgoing RTP packets per second" }),
  relayEndpoints: def({ name: "BridgeRelayEndpoints", unit: "Count", dimensions: PER_BRIDGE, source: "agents/publish-metrics (jvb /colibri/stats octo_endpoints)", description: "Endpoints seen through relays (bridges in other regions)" }),
  relayConferences: def({ name: "BridgeRelayConferences", unit: "Count", dimensions: PER_BRIDGE, source: "agents/publish-metrics (jvb /colibri/stats octo_conferences)", description: "Conferences using a relay to another bridge" }),
  drainCuts: def({ name: "BridgeDrainCuts", unit: "Count", dimensions: [["Region"]], source: "agents/jvb-drain (a drain that reached its cap with participants still on the bridge)", description: "Conferences cut by scale-in: drains forced at maxDrainSeconds with participants left" }),
} as const;

/** Per-recorder metrics (published by agents on Jibri hosts). */
export const JIBRI_METRICS = {
  idle: def({ name: "JibriIdle", unit: "Count", dimensions: PER_RECORDER, source: "agents/publish-metrics (jibri health busyStatus IDLE)", description: "1 when the recorder is idle and healthy" }),
  busy: def({ name: "JibriBusy", unit: "Count", dimensions: PER_RECORDER, source: "agents/publish-metrics (jibri health busyStatus BUSY)", description: "1 while the recorder records or streams" }),
  healthy: def({ name: "JibriHealthy", unit: "Count", dimensions: PER_RECORDER, source: "agents/publish-metrics (jibri health health.healthStatus)", description: "1 when Jibri reports HEALTHY" }),
  uploading: def({ name: "JibriUploading", unit: "Count", dimensions: [["Region", "Pool"]], source: "functions/jibri-replenisher (pool summary, every run)", description: "Recorders whose finished recording is being uploaded to S3 (not available, never scaled in)" }),
  recordingStarts: def({ name: "JibriRecordingStarts", unit: "Count", dimensions: [["Region", "Pool"]], source: "functions/jibri-replenisher (busy status messages it handled)", description: "Recordings/streams started (recorders turning busy); the replenisher reads it back as start history" }),
  idleWanted: def({ name: "JibriIdleWanted", unit: "Count", dimensions: [["Region", "Pool"]], source: "functions/jibri-replenisher (decide summary.wantIdle)", description: "Idle buffer the replenisher aims at (floor N, raised with the recording start rate)" }),
  uploadFailures: def({ name: "JibriUploadFailures", unit: "Count", dimensions: PER_RECORDER, source: "agents/jibri-finalize (1 per session whose upload failed after all retries; the local copy is kept)", description: "Recordings not uploaded to S3" }),
  recordingStartFailures: def({ name: "JibriRecordingStartFailures", unit: "Count", dimensions: [["Region", "Shard"], ["Region"]], source: "agents/publish-metrics (jicofo /stats jibri.total_recording_failures + total_live_streaming_failures, delta per minute)", description: "Recording or streaming requests Jicofo could not start (no idle recorder, or the recorder failed)" }),
} as const;

/** Per-shard metrics from Jicofo's /stats (published on the shard's signalling node). */
export const SHARD_METRICS = {
  conferences: def({ name: "ShardConferences", unit: "Count", dimensions: PER_SHARD, source: "agents/publish-metrics (jicofo /stats conferences)", description: "Conferences Jicofo hosts on the shard" }),
  conferencesCreated: def({ name: "ShardConferencesCreated", unit: "Count", dimensions: PER_SHARD, source: "agents/publish-metrics (jicofo /stats total_conferences_created, delta per minute)", description: "Meetings Jicofo created in the last minute (Sum over [Region]: the region's new meetings; the Jibri replenisher foresees recordings from them)" }),
  participants: def({ name: "ShardParticipants", unit: "Count", dimensions: PER_SHARD, source: "agents/publish-metrics (jicofo /stats participants)", description: "Participants on the shard (Sum over [Region] = users of the region)" }),
  bridges: def({ name: "ShardBridges", unit: "Count", dimensions: PER_SHARD, source: "agents/publish-metrics (jicofo /stats bridge_selector.bridge_count)", description: "Bridges Jicofo knows" }),
  bridgesOperational: def({ name: "ShardBridgesOperational", unit: "Count", dimensions: PER_SHARD, source: "agents/publish-metrics (jicofo /stats bridge_selector.operational_bridge_count)", description: "Bridges Jicofo can use" }),
  recordersAvailable: def({ name: "ShardRecordersAvailable", unit: "Count", dimensions: PER_SHARD, source: "agents/publish-metrics (jicofo /stats jibri_detector.available)", description: "Idle recorders registered in the shard's JibriBrewery" }),
  recordersBusy: def({ name: "ShardRecordersBusy", unit: "Count", dimensions: PER_SHARD, source: "agents/publish-metrics (jicofo /stats jibri_detector.count - available)", description: "Registered recorders that are not available" }),
  healthy: def({ name: "ShardHealthy", unit: "Count", dimensions: PER_SHARD, source: "agents/publish-metrics (jicofo /stats healthy; needs jicofo.health.enabled)", description: "1 when Jicofo's own health check passes" }),
} as const;

/** Edge (HAProxy) metrics from its stats CSV (`show stat`). */
export const EDGE_METRICS = {
  sessions: def({ name: "EdgeSessions", unit: "Count", dimensions: PER_EDGE, source: "agents/publish-metrics (haproxy show stat FRONTEND scur)", description: "Current client sessions on the edge proxies" }),
  http5xx: def({ name: "EdgeHttp5xx", unit: "Count", dimensions: PER_EDGE, source: "agents/publish-metrics (haproxy show stat FRONTEND hrsp_5xx, delta per minute)", description: "HTTP 5xx responses sent to clients in the last minute" }),
  requests: def({ name: "EdgeRequests", unit: "Count", dimensions: PER_EDGE, source: "agents/publish-metrics (haproxy show stat FRONTEND req_tot, delta per minute)", description: "HTTP requests received in the last minute" }),
  shardUp: def({ name: "EdgeShardUp", unit: "Count", dimensions: [["Region", "Shard"]], source: "agents/publish-metrics (haproxy show stat server status UP/DRAIN/NOLB)", description: "1 when HAProxy's health check sees the shard up (draining counts as up)" }),
  shardsDown: def({ name: "EdgeShardsDown", unit: "Count", dimensions: [["Region", "InstanceId"], ["Region"]], source: "agents/publish-metrics (haproxy show stat servers in status DOWN)", description: "Shards HAProxy marks DOWN (MAINT is deliberate and not counted)" }),
} as const;

/** TURN (coturn) metrics. */
export const TURN_METRICS = {
  allocations: def({ name: "TurnAllocations", unit: "Count", dimensions: PER_EDGE, source: "agents/publish-metrics (coturn CLI `ps`: Total sessions)", description: "Active TURN allocations (one coturn session holds one allocation)" }),
  // coturn runs with `no-cli` (issue 7: no admin interface on TURN hosts), so the deployed hosts count
  // allocations from their log rather than from the CLI's session list.
  allocationsCreated: def({ name: "TurnAllocationsCreated", unit: "Count", dimensions: [[]], source: "metrics/log-filters (a CloudWatch Logs metric filter components/monitoring puts on the coturn log group: 'ALLOCATE processed, success'; needs coturn's verbose option)", description: "Allocations granted (per period; refreshes are not counted)" }),
  allocationFailures: def({ name: "TurnAllocationFailures", unit: "Count", dimensions: [[]], source: "metrics/log-filters (a CloudWatch Logs metric filter components/monitoring puts on the coturn log group: 'ALLOCATE processed, error' except 401; needs coturn's verbose option)", description: "Refused allocations; the 401 challenge every client gets first is not a failure" }),
} as const;

/** The publisher's report on itself: the failure of one source is a metric, not a silent gap. */
export const PUBLISHER_METRICS = {
  sourceErrors: def({ name: "MetricsSourceErrors", unit: "Count", dimensions: [["Region", "Source", "InstanceId"], ["Region", "Source"]], source: "agents/publish-metrics (1 when polling a source failed, else 0)", description: "Failed polls of a local source; published every cycle so absence means the publisher itself is down" }),
} as const;

/** A Malleus run's summary, published once per run by the runner on the load-test hub (docs/loadtest.md). */
const PER_LOADTEST = [["Region", "LoadTest"]] as const;
const RUNNER = "render/torture-runner (aws cloudwatch put-metric-data by the hub's runner script, from Malleus' JUnit reports)";
export const LOADTEST_METRICS = {
  planned: def({ name: "LoadTestParticipantsPlanned", unit: "Count", dimensions: PER_LOADTEST, source: RUNNER, description: "Participants the run started (conferences × participants of this grid)" }),
  joined: def({ name: "LoadTestParticipantsJoined", unit: "Count", dimensions: PER_LOADTEST, source: RUNNER, description: "Participants whose Malleus test case passed (joined and stayed)" }),
  failed: def({ name: "LoadTestParticipantsFailed", unit: "Count", dimensions: PER_LOADTEST, source: RUNNER, description: "Participants whose test case failed or errored" }),
  iceFailures: def({ name: "LoadTestIceFailures", unit: "Count", dimensions: PER_LOADTEST, source: RUNNER, description: "Failed participants whose failure mentions ICE (no media connectivity)" }),
  runSeconds: def({ name: "LoadTestRunSeconds", unit: "Seconds", dimensions: PER_LOADTEST, source: RUNNER, description: "Wall-clock duration of the Malleus run" }),
} as const;

/** Every metric this project emits itself, by group. */
export const CUSTOM_METRIC_GROUPS = {
  bridge: BRIDGE_METRICS,
  jibri: JIBRI_METRICS,
  shard: SHARD_METRICS,
  edge: EDGE_METRICS,
  turn: TURN_METRICS,
  publisher: PUBLISHER_METRICS,
  loadtest: LOADTEST_METRICS,
} as const;

export function allCustomMetrics(): MetricDef[] {
  return Object.values(CUSTOM_METRIC_GROUPS).flatMap((g) => Object.values(g) as MetricDef[]);
}

/** Host metrics the CloudWatch agent publishes (render/cloudwatch-agent.ts writes exactly these). */
export interface HostMetricDef {
  readonly namespace: typeof HOST_NAMESPACE;
  /** The agent's plugin section (cpu, mem, disk, net, diskio). */
  readonly plugin: "cpu" | "mem" | "disk" | "net" | "diskio";
  /** Measurement inside the plugin; the CloudWatch name is `${plugin}_${measurement}`. */
  readonly measurement: string;
  readonly name: string;
  readonly unit: Unit;
  /**
   * The roll-up the dashboards read. Per-instance series also exist, with InstanceId plus the plugin's own
   * dimensions (cpu, path/fstype, interface, name), so they are not listed here.
   */
  readonly dimensions: readonly (readonly string[])[];
}
function host(plugin: HostMetricDef["plugin"], measurement: string, unit: Unit): HostMetricDef {
  // append_dimensions adds InstanceId and AutoScalingGroupName; aggregation_dimensions rolls up per group.
  return { namespace: HOST_NAMESPACE, plugin, measurement, name: `${plugin}_${measurement}`, unit, dimensions: [["AutoScalingGroupName"]] };
}
export const HOST_METRICS = {
  cpuActive: host("cpu", "usage_active", "Percent"),
  cpuIowait: host("cpu", "usage_iowait", "Percent"),
  memUsed: host("mem", "used_percent", "Percent"),
  diskUsed: host("disk", "used_percent", "Percent"),
  netBytesSent: host("net", "bytes_sent", "Bytes"),
  netBytesRecv: host("net", "bytes_recv", "Bytes"),
  diskioReadBytes: host("diskio", "read_bytes", "Bytes"),
  diskioWriteBytes: host("diskio", "write_bytes", "Bytes"),
  diskioIoTime: host("diskio", "io_time", "None"),
} as const;

/** Metrics AWS services emit by themselves; dashboards and alarms may use these without a publisher. */
export interface AwsMetricDef {
  readonly namespace: "AWS/Lambda" | "AWS/AutoScaling";
  readonly name: string;
  readonly dimensions: readonly (readonly string[])[];
  readonly source: string;
}
export const AWS_METRICS = {
  lambdaErrors: { namespace: "AWS/Lambda", name: "Errors", dimensions: [["FunctionName"]], source: "AWS Lambda (every invocation)" },
  lambdaThrottles: { namespace: "AWS/Lambda", name: "Throttles", dimensions: [["FunctionName"]], source: "AWS Lambda (every throttled invocation)" },
  lambdaInvocations: { namespace: "AWS/Lambda", name: "Invocations", dimensions: [["FunctionName"]], source: "AWS Lambda (every invocation)" },
  asgDesired: { namespace: "AWS/AutoScaling", name: "GroupDesiredCapacity", dimensions: [["AutoScalingGroupName"]], source: "EC2 Auto Scaling (needs the group's metrics collection enabled)" },
  asgInService: { namespace: "AWS/AutoScaling", name: "GroupInServiceInstances", dimensions: [["AutoScalingGroupName"]], source: "EC2 Auto Scaling (needs the group's metrics collection enabled)" },
} as const satisfies Record<string, AwsMetricDef>;

/** AWS namespaces a dashboard or alarm may reference without a publisher in this project. */
export const AWS_NAMESPACES: readonly string[] = ["AWS/Lambda", "AWS/AutoScaling"];
