import { resolveBridgePolicy } from "../functions/bridge-scaler/decide";
import { resolveReplenishTarget } from "../functions/jibri-replenisher/decide";
import { DEFAULT_SIM_CONFIG } from "../sim/config";
import { simulate } from "../sim/engine";
import { parseFaults } from "../sim/faults";
import { readTrace } from "../sim/trace";
const files = ["weekday", "top-of-hour", "recording-heavy"].map((f) => readTrace(`../shared/traces/${f}.csv`));
for (const arg of process.argv.slice(2)) {
  const out = files.map((c) => {
    const r = simulate(c, { cfg: DEFAULT_SIM_CONFIG, bridgePolicy: resolveBridgePolicy(JSON.parse(arg)), replenishTarget: resolveReplenishTarget({}), faults: parseFaults(process.env.FAULTS), policies: ["default"] });
    const p = r.policies[0];
    return `${p.oracleRatio.toFixed(3)} ${p.overloadedPct.toFixed(3)}% cut${p.cutConferences} rec${p.recorderInstanceHours.toFixed(0)} f${p.failedRecordingStarts}`;
  });
  console.log(arg, "=>", out.join(" | "));
}
