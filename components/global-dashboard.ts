/**
 * GlobalDashboard: one CloudWatch dashboard across every region of the deployment (users, conferences,
 * bridges, recorders, shard health, TURN, scaling, Lambda errors per region). Created once by the program,
 * in the first region; each series is queried in its own region.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type RegionDashboardInput, renderGlobalDashboard } from "../render/dashboard";
import { publishRenderedFile } from "./rendered-files";

/**
 * What the global dashboard can show of a region deployed by another stack: its own metrics (they carry a
 * Region dimension; the fleet is named `<region>-bridges` by stacks/region.ts), but not its auto-scaling
 * group or Lambda names, which only that stack knows.
 */
export function peerDashboardInput(region: string, shardIds: string[], turnEnabled: boolean): RegionDashboardInput {
  return { region, shards: shardIds, fleets: [{ name: `${region}-bridges`, autoScalingGroupName: "" }], pools: [], turnEnabled, scalerFunctionNames: [], hostAutoScalingGroupNames: [] };
}

/** The stack that deploys the first region by name owns the global dashboard, so exactly one stack creates it. */
export function ownsGlobalDashboard(localRegions: string[], remoteRegions: string[]): boolean {
  const first = [...localRegions, ...remoteRegions].sort()[0];
  return first !== undefined && localRegions.includes(first);
}

export interface GlobalDashboardArgs {
  /** Deployment name (plain: the dashboard is named `${deployment}-global`). */
  readonly deployment: string;
  /** The region the dashboard lives in (dashboards are global, but the API is regional). */
  readonly homeRegion: string;
  /** Each region's Monitoring.dashboardInput. */
  readonly regions: pulumi.Input<RegionDashboardInput>[];
}

export class GlobalDashboard extends pulumi.ComponentResource {
  public readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: GlobalDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:index:GlobalDashboard", name, {}, opts);
    if (args.regions.length === 0) throw new pulumi.InputPropertiesError({ message: "invalid GlobalDashboardArgs", errors: [{ propertyPath: "regions", reason: "must list at least one region" }] });
    const body = pulumi.all(args.regions).apply((regions) => {
      const text = renderGlobalDashboard(regions, args.homeRegion);
      publishRenderedFile({ region: "global", component: name, path: "dashboard.json", content: `${JSON.stringify(JSON.parse(text), null, 2)}\n` });
      return text;
    });
    const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, { dashboardName: `${args.deployment}-global`, dashboardBody: body }, { parent: this });
    this.dashboardName = dashboard.dashboardName;
    this.registerOutputs({ dashboardName: this.dashboardName });
  }
}
