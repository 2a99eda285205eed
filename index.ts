/**
 * jitsi-aws: auto-scaled Jitsi Meet on AWS as Pulumi components. This is the package root: everything a
 * consumer needs is exported here (docs/package.md shows how to use it from TypeScript and other languages).
 *
 * - The components, each with its Args and the types of its inputs and outputs.
 * - The region composition (`Region`) and the whole program (`jitsiProgram`), driven by the typed stack config.
 * - The config schema and its parser, naming helpers, ports, the AWS catalogue the config accepts.
 * - The TURN REST-API credential helper (the same formula coturn and Prosody use).
 *
 * tests/package/exports.test.ts fails when a component under components/ is not exported here.
 */

// Components (type tokens jitsi:index:<Class>; provider/components.ts lists those served to other languages).
export { JitsiShard } from "./components/jitsi-shard";
export type { JitsiShardArgs } from "./components/jitsi-shard";
export { AgentArtifacts } from "./components/agent-artifacts";
export type { AgentArtifactsArgs, AgentLocation } from "./components/agent-artifacts";
export { EdgeProxy } from "./components/edge-proxy";
export type { EdgeProxyArgs, EdgeShard } from "./components/edge-proxy";
export { BridgeFleet } from "./components/bridge-fleet";
export type { BridgeFleetArgs } from "./components/bridge-fleet";
export { JibriPool } from "./components/jibri-pool";
export type { JibriPoolArgs } from "./components/jibri-pool";
export { TurnCluster } from "./components/turn-cluster";
export type { TurnClusterArgs } from "./components/turn-cluster";
export { Monitoring } from "./components/monitoring";
export type { MonitoringArgs, MonitoredGroup, MonitoredFunction } from "./components/monitoring";
export { TortureGrid } from "./components/torture-grid";
export type { GridCostEstimate, TortureGridArgs } from "./components/torture-grid";
export { GlobalDashboard } from "./components/global-dashboard";
export type { GlobalDashboardArgs } from "./components/global-dashboard";
export type { RegionDashboardInput, AsgGroup } from "./render/dashboard";
export { resolveBridgePolicy } from "./functions/bridge-scaler/decide";
export type { BridgePolicy, BridgeFleetState } from "./functions/bridge-scaler/decide";
export type { AlarmThresholds } from "./metrics/alarms";

// Composition: one region, and the whole multi-region program.
export { Region } from "./stacks/region";
export type { RegionArgs, PeerRegion } from "./stacks/region";
export { jitsiProgram, configuredPeers } from "./stacks/program";
export type { ProgramOutputs } from "./stacks/program";
export type { PeerExport, RegionNetwork } from "./stacks/peers";

// Stack config: the zod schema, its parser and what it accepts.
export { configSchema, regionSchema, CONFIG_KEYS } from "./config/schema";
export type { JitsiConfig, JitsiConfigInput, RegionConfig } from "./config/schema";
export { parseConfig, configFromRuntime, ConfigError } from "./config/parse";
export { DEFAULTS } from "./config/defaults";
export { PORTS } from "./config/ports";
export { AWS_REGIONS, INSTANCE_TYPES, REGION_NAMES, INSTANCE_TYPE_NAMES } from "./config/aws-catalog";
export type { InstanceTypeInfo } from "./config/aws-catalog";
export {
  shardIds,
  shardEndpoint,
  shardHostname,
  privateZoneName,
  xmppDomains,
  breweries,
  shardSecretParameter,
  turnSecretParameter,
  turnHostname,
  XMPP_USERS,
} from "./config/naming";
export type { ShardEndpoint, ShardSecretParameters, XmppUser } from "./config/naming";

// TURN REST-API credentials (coturn use-auth-secret; Prosody mod_external_services computes the same).
export { turnCredential, TURN_REST_SEPARATOR } from "./render/turn-credential";
export type { TurnCredential } from "./render/turn-credential";

// The metric catalogue (namespace, names, dimensions) for consumers adding their own alarms or dashboards.
export * as metrics from "./metrics/catalog";
