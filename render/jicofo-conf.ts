/**
 * jicofo.conf of one shard. Every key exists in Jicofo's upstream reference.conf files (checked by
 * tests/render/jicofo-conf.test.ts). The focus password is `${?JICOFO_XMPP_PASSWORD}`: systemd hands it to
 * Jicofo from a root-only environment file written at boot from SSM, so it is never rendered.
 */
import { breweries, xmppDomains } from "../config/naming";
import { PORTS } from "../config/ports";
import { hoconEnv, hoconString } from "./hocon";

export interface JicofoConfigInput {
  readonly domain: string;
  /** This shard's region; bridges of other regions are used through relays. */
  readonly region: string;
  /** jitsi-facts.md: a bridge above 0.8 is overloaded for new joins. */
  readonly stressThreshold: number;
  /** jitsi-facts.md: at most 80 participants of one conference per bridge. */
  readonly maxBridgeParticipants: number;
  /** Relays between bridges (Octo's successor): needed for multi-region conferences. */
  readonly relaysEnabled: boolean;
}

export const JICOFO_PASSWORD_ENV = "JICOFO_XMPP_PASSWORD";

/**
 * Jicofo's automatic load redistribution (jicofo-selector reference.conf `jicofo.bridge.load-redistribution`, off
 * upstream; jicofo `LoadRedistributor`): every interval, while some bridge is below the stress threshold, each bridge
 * at `stressThreshold` or above (not moved from within `timeoutS`) has `endpoints` of its endpoints re-invited
 * elsewhere, from the conferences with the most endpoints on it. A meeting that grew on one bridge, or the people a
 * lost AZ dropped onto the survivors, no longer stay above 1.0 until their meeting ends. The simulator models the same
 * numbers (sim/config.ts); upstream's defaults (10 endpoints, 3 min) halve overload in its fault runs, these
 * (20 endpoints, 1 min) halve it again (docs/simulator.md).
 */
export const JICOFO_LOAD_REDISTRIBUTION = { intervalS: 60, stressThreshold: 0.9, timeoutS: 60, endpoints: 20 } as const;

export function renderJicofoConf(i: JicofoConfigInput): string {
  if (!(i.stressThreshold > 0 && i.stressThreshold <= 1)) throw new Error(`stressThreshold must be in (0, 1] (got ${i.stressThreshold})`);
  if (!Number.isInteger(i.maxBridgeParticipants) || i.maxBridgeParticipants < 2)
    throw new Error(`maxBridgeParticipants must be an integer >= 2 (got ${i.maxBridgeParticipants})`);
  const d = xmppDomains(i.domain);
  const b = breweries(i.domain);
  return `# Rendered by jitsi-aws (render/jicofo-conf.ts).
jicofo {
  local-region = ${hoconString(i.region)}
  bridge {
    brewery-jid = ${hoconString(b.jvb)}
    selection-strategy = ${i.relaysEnabled ? "RegionBasedBridgeSelectionStrategy" : "SingleBridgeSelectionStrategy"}
    stress-threshold = ${i.stressThreshold}
    max-bridge-participants = ${i.maxBridgeParticipants}
    # Flash-crowd guard (jitsi-facts.md): +0.01 stress per endpoint joined in the last 20 s.
    average-participant-stress = 0.01
    participant-rampup-interval = 20 seconds
    xmpp-connection-name = Client
    health-checks {
      enabled = true
    }
    load-redistribution {
      enabled = true
      interval = ${JICOFO_LOAD_REDISTRIBUTION.intervalS} seconds
      stress-threshold = ${JICOFO_LOAD_REDISTRIBUTION.stressThreshold}
      timeout = ${JICOFO_LOAD_REDISTRIBUTION.timeoutS} seconds
      endpoints = ${JICOFO_LOAD_REDISTRIBUTION.endpoints}
    }
  }
  octo {
    # The key keeps Octo's name; it enables JVB relays.
    enabled = ${i.relaysEnabled}
  }
  jibri {
    brewery-jid = ${hoconString(b.jibri)}
    pending-timeout = 90 seconds
  }
  health {
    enabled = true
  }
  rest {
    host = "127.0.0.1"
    port = ${PORTS.jicofoRest}
  }
  xmpp {
    client {
      enabled = true
      hostname = "127.0.0.1"
      port = ${PORTS.xmppClient}
      domain = ${hoconString(d.auth)}
      xmpp-domain = ${hoconString(d.domain)}
      username = "focus"
      password = ${hoconEnv(JICOFO_PASSWORD_ENV)}
      conference-muc-jid = ${hoconString(d.muc)}
      client-proxy = ${hoconString(d.focus)}
      # Loopback connection to the shard's own Prosody.
      use-tls = false
    }
  }
}
`;
}
