/**
 * Jitsi Meet's config.js for one shard. Only keys Jitsi Meet / lib-jitsi-meet know are written (checked
 * against jitsi-meet-config-keys.json by tests/render/config-js.test.ts).
 */
import { xmppDomains } from "../config/naming";

export interface MeetConfigInput {
  readonly domain: string;
  /** The shard's region: lets Jicofo's region-based selection put the client on a local bridge. */
  readonly region: string;
  readonly shardId: string;
  /** P2P for two-party calls (jitsi-facts.md: default true). */
  readonly p2p: boolean;
  /** STUN servers for P2P (the region's TURN hosts answer STUN too); TURN comes via XEP-0215. */
  readonly stunHosts: readonly string[];
}

/** The config object, as plain data (also used by tests to check key names). */
export function meetConfig(i: MeetConfigInput): Record<string, unknown> {
  const d = xmppDomains(i.domain);
  return {
    hosts: { domain: d.domain, muc: d.muc, focus: d.focus },
    bosh: `https://${d.domain}/http-bind`,
    websocket: `wss://${d.domain}/xmpp-websocket`,
    p2p: {
      enabled: i.p2p,
      stunServers: i.stunHosts.map((h) => ({ urls: `stun:${h}:3478` })),
    },
    deploymentInfo: { region: i.region, userRegion: i.region, shard: i.shardId },
    enableWelcomePage: true,
    prejoinConfig: { enabled: true },
    // Recording (Jibri pool) is offered; files go to the region's S3 bucket.
    recordingService: { enabled: true },
    liveStreaming: { enabled: false },
    analytics: { disabled: true },
  };
}

export function renderMeetConfigJs(i: MeetConfigInput): string {
  return `// Rendered by jitsi-aws (render/config-js.ts).
var config = ${JSON.stringify(meetConfig(i), null, 2)};
`;
}
