import { resolveBridgePolicy } from "../functions/bridge-scaler/decide";
import { resolveReplenishTarget } from "../functions/jibri-replenisher/decide";
import { DEFAULT_SIM_CONFIG } from "../sim/config";
import { simulate } from "../sim/engine";
import { NO_FAULTS } from "../sim/faults";
import { readTrace } from "../sim/trace";
const r = simulate(readTrace(process.argv[2]), { cfg: DEFAULT_SIM_CONFIG, bridgePolicy: resolveBridgePolicy(JSON.parse(process.argv[3] ?? "{}")), replenishTarget: resolveReplenishTarget({}), faults: NO_FAULTS, policies: ["default", "oracle"] });
const [d, o] = r.policies;
for (let i = Number(process.env.FROM ?? 0); i < d.timeline.length; i += Number(process.env.STEP ?? 30)) {
  const a = d.timeline[i], b = o.timeline[i];
  console.log((a[0]/3600).toFixed(1), "load", a[1], "readyCap", a[2]/80, "billed", a[3], "| oracle billed", b[3]);
}
