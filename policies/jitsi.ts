/**
 * Jitsi invariants, checked on what the components create (their auto-scaling groups, lifecycle hooks,
 * launch templates, Lambdas, parameters) rather than on the components' own props, which may be empty.
 * Each is a stack policy: an invariant spans a component and its children.
 */
import { StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { configWithDefaults, DEFAULT_DRAIN_SECONDS, DEFAULT_LEVELS, HOOK_TIMEOUT_RANGE } from "./config";
import { decodeUserData, list, num, obj } from "./props";
import { GraphNode, StackGraph, T } from "./stack-graph";

export { regionCidrsDisjoint, turnSecretIsSecret } from "./jitsi-network";

const TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING";

function cfg<C extends object>(p: StackValidationPolicy, args: StackValidationArgs): C {
  return configWithDefaults<C>(p.configSchema, () => args.getConfig());
}

/** Numbers stored under keys matching `key` anywhere in a value, also inside JSON strings. */
function keyedNumbers(v: unknown, key: RegExp, out: number[] = [], depth = 0): number[] {
  if (depth > 8) return out;
  if (typeof v === "string" && /^\s*[{[]/.test(v)) {
    try {
      keyedNumbers(JSON.parse(v), key, out, depth + 1);
    } catch {
      /* not JSON */
    }
  } else if (Array.isArray(v)) v.forEach((x) => keyedNumbers(x, key, out, depth + 1));
  else if (obj(v))
    for (const [k, x] of Object.entries(v as object)) {
      if (key.test(k) && num(x) !== undefined) out.push(num(x) as number);
      else keyedNumbers(x, key, out, depth + 1);
    }
  return out;
}

const edgeSchema = {
  properties: {
    minInstances: { type: "integer" as const, default: 2, minimum: 1 },
    minZones: { type: "integer" as const, default: 2, minimum: 1 },
  },
};

export const edgeProxyHighlyAvailable: StackValidationPolicy = {
  name: "edge-proxy-ha",
  description: "Checks whether every EdgeProxy runs at least 2 instances in at least 2 availability zones.",
  enforcementLevel: DEFAULT_LEVELS.jitsi,
  severity: "high",
  configSchema: edgeSchema,
  validateStack: (args, report) => {
    const { minInstances, minZones } = cfg<{ minInstances: number; minZones: number }>(edgeProxyHighlyAvailable, args);
    const graph = new StackGraph(args.resources);
    for (const edge of graph.ofType(T.edge)) {
      const instances = graph.descendants(edge.urn, T.instance);
      const groups = graph.descendants(edge.urn, T.asg);
      const count = instances.length + groups.reduce((n, g) => n + (num(g.props.minSize) ?? 0), 0);
      // A subnet lives in one AZ; without the subnets' AZs offline, distinct subnets stand for distinct AZs.
      const zones = new Set<string>();
      for (const i of instances) {
        const z = i.props.availabilityZone ?? i.props.subnetId;
        if (typeof z === "string") zones.add(z);
      }
      for (const g of groups) {
        const azs = list<string>(g.props.availabilityZones);
        (azs.length > 0 ? azs : list<string>(g.props.vpcZoneIdentifiers)).forEach((z) => zones.add(String(z)));
      }
      if (count < minInstances) report(`EdgeProxy ${edge.name} runs ${count} instance(s) (instances + groups' minSize); at least ${minInstances} are required.`, edge.urn);
      if (zones.size < minZones) report(`EdgeProxy ${edge.name} spans ${zones.size} availability zone(s)/subnet(s); at least ${minZones} are required.`, edge.urn);
    }
  },
};

/** Names of a drain budget: the bridge agent's maxDrainSeconds, the scaler's drainCapS, the Jibri agent's termination cap. */
const DRAIN_KEY = /^(max[_-]?drain(?:[_-]?time)?|drain[_-]?cap|termination[_-]?cap)[_-]?(seconds|s)$/i;
/** `--max-drain-seconds 3600`, `--termination-cap-s 18000`, `MAX_DRAIN_SECONDS=3600` in a host's user data. */
const DRAIN_IN_TEXT = /(?:max[_-]?drain(?:[_-]?time)?|drain[_-]?cap|termination[_-]?cap)[_-]?(?:seconds|s)\b["']?\s*[=:\s]\s*["']?(\d+)/gi;

/**
 * The longest drain the component's hosts or scaler are told to perform: from the component's props, its
 * children's user data (the drain agent's command line / environment) or their inputs (Lambda environment,
 * JSON settings). Undefined when none says.
 */
function declaredDrain(graph: StackGraph, component: GraphNode): number | undefined {
  const found = keyedNumbers(component.props, DRAIN_KEY);
  for (const n of graph.descendants(component.urn)) {
    found.push(...keyedNumbers(n.props, DRAIN_KEY));
    if (n.type === T.launchTemplate || n.type === T.instance) {
      const text = decodeUserData(n.props.userData ?? n.props.userDataBase64);
      for (const m of text.matchAll(DRAIN_IN_TEXT)) found.push(Number(m[1]));
    }
  }
  return found.length > 0 ? Math.max(...found) : undefined;
}

/** Terminating hooks of a group: its initialLifecycleHooks, plus LifecycleHook resources pointing at it. */
function terminatingHooks(graph: StackGraph, component: GraphNode, group: GraphNode, groupsInComponent: number): number[] {
  const inline = list<Record<string, unknown>>(group.props.initialLifecycleHooks).filter((h) => obj(h)?.lifecycleTransition === TERMINATING);
  const resources = graph.ofType(T.hook).filter((h) => {
    if (h.props.lifecycleTransition !== TERMINATING) return false;
    const target = h.props.autoscalingGroupName;
    if (typeof target === "string" && typeof group.props.name === "string" && target === group.props.name) return true;
    // Offline a group without a name gets the mocks' `${resourceName}-<hash>`.
    if (typeof target === "string" && target.startsWith(`${group.name}-`)) return true;
    // Otherwise a hook inside the component belongs to the component's only group.
    return groupsInComponent === 1 && graph.descendants(component.urn, T.hook).some((d) => d.urn === h.urn);
  });
  // AWS default heartbeat timeout when unset: 3600 s (jitsi-facts.md).
  return [...inline, ...resources.map((h) => h.props)].map((h) => num(obj(h)?.heartbeatTimeout) ?? 3600);
}

const drainSchema = {
  properties: {
    bridgeDrainSeconds: { type: "integer" as const, default: DEFAULT_DRAIN_SECONDS.bridge, minimum: 0 },
    jibriDrainSeconds: { type: "integer" as const, default: DEFAULT_DRAIN_SECONDS.jibri, minimum: 0 },
  },
};

export const drainLifecycleHook: StackValidationPolicy = {
  name: "drain-lifecycle-hook",
  description: "Checks whether every BridgeFleet and JibriPool group has a terminating lifecycle hook whose timeout covers the drain.",
  enforcementLevel: DEFAULT_LEVELS.jitsi,
  severity: "high",
  configSchema: drainSchema,
  validateStack: (args, report) => {
    const c = cfg<{ bridgeDrainSeconds: number; jibriDrainSeconds: number }>(drainLifecycleHook, args);
    const graph = new StackGraph(args.resources);
    for (const component of graph.ofType(T.bridges, T.jibri)) {
      const kind = component.type === T.bridges ? "BridgeFleet" : "JibriPool";
      const drain = declaredDrain(graph, component) ?? (component.type === T.bridges ? c.bridgeDrainSeconds : c.jibriDrainSeconds);
      const groups = graph.descendants(component.urn, T.asg);
      if (groups.length === 0) report(`${kind} ${component.name} has no auto-scaling group to drain.`, component.urn);
      for (const g of groups) {
        const timeouts = terminatingHooks(graph, component, g, groups.length);
        if (timeouts.length === 0) {
          report(`${kind} ${component.name}: group ${g.name} has no EC2_INSTANCE_TERMINATING lifecycle hook, so scale-in cuts live conferences.`, g.urn);
          continue;
        }
        const best = Math.max(...timeouts);
        if (best < HOOK_TIMEOUT_RANGE.min || best > HOOK_TIMEOUT_RANGE.max)
          report(`${kind} ${component.name}: hook heartbeatTimeout ${best} s is outside AWS's ${HOOK_TIMEOUT_RANGE.min}-${HOOK_TIMEOUT_RANGE.max} s.`, g.urn);
        else if (drain <= HOOK_TIMEOUT_RANGE.max ? best < drain : best * 100 < drain || drain > 172800)
          // Above 7200 s only RecordLifecycleActionHeartbeat extends a hook: up to min(48 h, 100 × timeout) (jitsi-facts.md).
          report(`${kind} ${component.name}: hook heartbeatTimeout ${best} s does not cover the ${drain} s drain.`, g.urn);
      }
    }
  },
};

/** Why a group runs Spot (or a mixed-instances policy, which AWS refuses with a warm pool), if it does. */
function spotReason(graph: StackGraph, group: GraphNode): string | undefined {
  if (obj(group.props.mixedInstancesPolicy)) return "a mixedInstancesPolicy";
  const ref = obj(group.props.launchTemplate);
  const templates = graph
    .ofType(T.launchTemplate)
    .filter((t) => (ref && (ref.name === t.props.name || ref.id === t.props.id)) || graph.siblings(group, T.launchTemplate).some((s) => s.urn === t.urn));
  const spot = templates.find((t) => String(obj(obj(t.props.instanceMarketOptions))?.marketType).toLowerCase() === "spot");
  return spot ? `Spot instances (launch template ${spot.name})` : undefined;
}

export const noWarmPoolWithSpot: StackValidationPolicy = {
  name: "no-warm-pool-with-spot",
  description: "Checks that no auto-scaling group combines a warm pool with Spot instances or a mixed-instances policy.",
  enforcementLevel: DEFAULT_LEVELS.jitsi,
  severity: "medium",
  validateStack: (args, report) => {
    const graph = new StackGraph(args.resources);
    for (const g of graph.ofType(T.asg)) {
      if (!obj(g.props.warmPool)) continue;
      const why = spotReason(graph, g);
      if (why) report(`group ${g.name} has a warm pool and ${why}; AWS warm pools do not support Spot or mixed instances (jitsi-facts.md).`, g.urn);
    }
  },
};

const IDLE_KEY = /^(jibri[_-]?)?idle[_-]?target$/i;

export const jibriIdleTarget: StackValidationPolicy = {
  name: "jibri-idle-target",
  description: "Checks whether every JibriPool keeps at least one idle recorder (idle target >= 1).",
  enforcementLevel: DEFAULT_LEVELS.jitsi,
  severity: "medium",
  validateStack: (args, report) => {
    const graph = new StackGraph(args.resources);
    for (const pool of graph.ofType(T.jibri)) {
      // Where the scaler reads it: the component's props, its Lambda's environment, a schedule's input, a parameter.
      const found = [pool, ...graph.descendants(pool.urn)].flatMap((n) => keyedNumbers(n.props, IDLE_KEY));
      if (found.length === 0)
        report(`JibriPool ${pool.name}: no idle target found (component props, scaler environment IDLE_TARGET, or schedule input).`, pool.urn);
      else if (Math.min(...found) < 1)
        report(`JibriPool ${pool.name}: idle target ${Math.min(...found)} < 1, so a recording request waits for a boot.`, pool.urn);
    }
  },
};

export const JITSI_GROUP_POLICIES = [edgeProxyHighlyAvailable, drainLifecycleHook, noWarmPoolWithSpot, jibriIdleTarget];
