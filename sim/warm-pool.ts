/**
 * An auto-scaling group's warm pool as the simulator models it (BridgeFleet / JibriPool `warmPool`, `warmPoolSize`):
 * `size` prepared (booted, then stopped) instances, an absolute size (AWS `minSize` = `maxGroupPreparedCapacity`, no
 * reuse on scale-in). A launch takes a prepared one; the pool refills at once with an instance that boots (billed, 60 s
 * minimum) and stops. The fill before t = 0 is billed the same way.
 */
import { billedSeconds } from "./billing";

export interface WarmInstance {
  readonly id: string;
  readonly az: number;
  /** When its boot is over and it is stopped, ready for a warm start. */
  readonly preparedS: number;
}

export class WarmPool {
  private readonly instances: WarmInstance[] = [];
  /** Seconds billed while pool instances boot before they stop (the fill and every refill). */
  prepSeconds = 0;

  /**
   * @param newId  the next instance id
   * @param azFor  the AZ a new pool instance goes to, given the pool's instances (one AZ when omitted)
   */
  constructor(
    private readonly size: number,
    private readonly bootS: number,
    private readonly newId: () => string,
    private readonly azFor: (pool: readonly WarmInstance[]) => number = () => 0,
  ) {
    for (let i = 0; i < size; i++) this.prepare(0, 0);
  }

  /** As DescribeWarmPool lists them: prepared (stopped) or still booting to stop. */
  list(nowS: number): { id: string; prepared: boolean; launchS: number }[] {
    return this.instances.map((w) => ({ id: w.id, prepared: w.preparedS <= nowS, launchS: w.preparedS - this.bootS }));
  }

  /**
   * Takes a prepared instance that `usable` accepts, preferring AZ `az`, and starts its refill; undefined when none
   * (the launch boots cold).
   */
  take(nowS: number, usable: (w: WarmInstance) => boolean = () => true, az?: number): WarmInstance | undefined {
    const ready = this.instances.filter((w) => w.preparedS <= nowS && usable(w));
    const w = ready.find((x) => x.az === az) ?? ready[0];
    if (!w) return undefined;
    this.instances.splice(this.instances.indexOf(w), 1);
    this.prepare(nowS, nowS + this.bootS);
    return w;
  }

  private prepare(nowS: number, preparedS: number): void {
    if (this.instances.length >= this.size) return;
    this.instances.push({ id: this.newId(), az: this.azFor(this.instances), preparedS });
    this.prepSeconds += billedSeconds(nowS, nowS + this.bootS);
  }
}
