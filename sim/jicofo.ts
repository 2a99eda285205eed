/**
 * Jicofo's bridge selection for one region, as the simulator models it (facts "Topology" → Jicofo; the order
 * follows Jicofo's RegionBasedBridgeSelectionStrategy with relays enabled, one region group):
 *  1. a bridge already in the conference that is not overloaded;
 *  2. any other serving bridge that is not overloaded (the conference spills over, joined by a relay);
 *  3. the least loaded bridge already in the conference; 4. the least loaded serving bridge.
 * "Overloaded" = corrected stress ≥ 0.8, corrected stress = participants ÷ capacity + 0.01 per endpoint that
 * joined the bridge in the last 20 s (the flash-crowd guard). A bridge never holds more than 80 endpoints of one
 * conference. Draining bridges (SimConfig.drainingJoins): by default as Jicofo with relays, no candidate at all while
 * an active bridge exists; in the looser `own-conferences` model they take no new conferences but do take endpoints of
 * conferences already on them.
 */
import { SimConfig } from "./config";

export type SimBridgeState = "booting" | "serving" | "draining" | "gone";

/** One bridge in the simulation. */
export interface SimBridge {
  readonly id: string;
  readonly az: number;
  readonly launchS: number;
  readyS: number;
  state: SimBridgeState;
  participants: number;
  /** Endpoints per conference index. */
  readonly perConf: Map<number, number>;
  /** Join times within the recent-join window (pruned lazily). */
  recentJoins: number[];
  protectedFromScaleIn: boolean;
  /** Removed from desired capacity (graceful shutdown, lifecycle hook, Spot reclaim); a drain without it is reversible. */
  leaving: boolean;
  drainStartS?: number;
  endS?: number;
}

export function newBridge(id: string, az: number, launchS: number, readyS: number): SimBridge {
  return { id, az, launchS, readyS, state: "booting", participants: 0, perConf: new Map(), recentJoins: [], protectedFromScaleIn: false, leaving: false };
}

/** Stress as Jicofo ranks bridges: load plus the recent-join penalty. */
export function correctedStress(b: SimBridge, nowS: number, cfg: SimConfig): number {
  const from = nowS - cfg.recentJoinWindowS;
  let i = 0;
  while (i < b.recentJoins.length && b.recentJoins[i] <= from) i++;
  if (i > 0) b.recentJoins = b.recentJoins.slice(i);
  return b.participants / cfg.participantsPerBridge + cfg.recentJoinStress * b.recentJoins.length;
}

/** Picks the bridge for one endpoint of conference `conf` joining at `nowS`; undefined = nowhere to go. */
export function selectBridge(bridges: readonly SimBridge[], conf: number, nowS: number, cfg: SimConfig): SimBridge | undefined {
  const inConf = (b: SimBridge): boolean => (b.perConf.get(conf) ?? 0) > 0;
  const room = (b: SimBridge): boolean => (b.perConf.get(conf) ?? 0) < cfg.maxConferenceParticipantsPerBridge;
  // Jicofo with relays: draining bridges are candidates only while no active one is (SimConfig.drainingJoins).
  const strict = cfg.drainingJoins === "none-while-active";
  const anyActive = strict && bridges.some((b) => b.state === "serving");
  const usable = (b: SimBridge): boolean =>
    strict ? b.state === (anyActive ? "serving" : "draining") : b.state === "serving" || (b.state === "draining" && inConf(b));
  let best: SimBridge | undefined;
  let bestRank = Infinity;
  let bestStress = Infinity;
  for (const b of bridges) {
    if (!usable(b)) continue;
    const s = correctedStress(b, nowS, cfg);
    const notLoaded = s < cfg.jicofoStressThreshold;
    const ok = room(b);
    let rank: number;
    if (inConf(b) && notLoaded && ok) rank = 1;
    else if (b.state === "serving" && notLoaded && ok) rank = 2;
    else if (inConf(b) && ok) rank = 3;
    else if (b.state === "serving" && ok) rank = 4;
    else if (b.state === "serving") rank = 5;
    else rank = 6;
    if (rank < bestRank || (rank === bestRank && (s < bestStress || (s === bestStress && best !== undefined && b.id < best.id)))) {
      best = b;
      bestRank = rank;
      bestStress = s;
    }
  }
  return best;
}

/** Adds one endpoint of `conf` to the bridge. */
export function placeEndpoint(b: SimBridge, conf: number, nowS: number): void {
  b.participants++;
  b.perConf.set(conf, (b.perConf.get(conf) ?? 0) + 1);
  b.recentJoins.push(nowS);
}

/** Removes up to `n` endpoints of `conf` from the bridge; returns how many were removed. */
export function removeEndpoints(b: SimBridge, conf: number, n: number): number {
  const have = b.perConf.get(conf) ?? 0;
  const k = Math.min(have, n);
  if (k === 0) return 0;
  b.participants -= k;
  if (have - k === 0) b.perConf.delete(conf);
  else b.perConf.set(conf, have - k);
  return k;
}
