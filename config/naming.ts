/**
 * Deterministic names shared by the region composition and the components, so one component can refer to
 * another's host names and parameters without waiting for it to be created (and without cycles).
 */

/** The shard ids of a region: "<region>-s1", "<region>-s2", ... (also the JVB xmpp-client config names). */
export function shardIds(region: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${region}-s${i + 1}`);
}

/** Private hosted zone of a region's internal names. */
export function privateZoneName(deployment: string, region: string): string {
  return `${region}.${deployment}.jitsi.internal`;
}

/** Stable private DNS name of a shard's signalling node. */
export function shardHostname(deployment: string, region: string, shardId: string): string {
  return `${shardId}.${privateZoneName(deployment, region)}`;
}

/** XMPP domains of a deployment; every shard serves the same ones (rooms never span shards). */
export function xmppDomains(domain: string) {
  return {
    domain,
    auth: `auth.${domain}`,
    muc: `conference.${domain}`,
    internalMuc: `internal.auth.${domain}`,
    recorder: `recorder.${domain}`,
    focus: `focus.${domain}`,
    lobby: `lobby.${domain}`,
    breakout: `breakout.${domain}`,
    speakerstats: `speakerstats.${domain}`,
    endConference: `endconference.${domain}`,
    avModeration: `avmoderation.${domain}`,
  };
}

/** JVB brewery MUC and Jibri brewery MUC of a shard (jitsi-facts.md). */
export function breweries(domain: string) {
  const d = xmppDomains(domain);
  return { jvb: `jvbbrewery@${d.internalMuc}`, jibri: `jibribrewery@${d.internalMuc}` };
}

/** XMPP accounts the deployment uses. */
export const XMPP_USERS = { focus: "focus", jvb: "jvb", jibri: "jibri", recorder: "recorder" } as const;
export type XmppUser = keyof typeof XMPP_USERS;

/** SSM parameter name of a shard's secret, e.g. /jitsi/prod/us-east-1/us-east-1-s1/jvb. */
export function shardSecretParameter(deployment: string, region: string, shardId: string, user: XmppUser): string {
  return `/jitsi/${deployment}/${region}/${shardId}/${user}`;
}

/** SSM parameter name of a region's TURN shared secret. */
export function turnSecretParameter(deployment: string, region: string): string {
  return `/jitsi/${deployment}/${region}/turn-secret`;
}

/** Public TURN host name of a region. */
export function turnHostname(domain: string, region: string): string {
  return `turn-${region}.${domain}`;
}

/**
 * SSM parameter names of a shard's XMPP account passwords, one per account of XMPP_USERS. An interface rather
 * than Record<XmppUser, string>: the Pulumi schema analyzer (provider/components.ts) cannot express mapped types.
 */
export interface ShardSecretParameters {
  readonly focus: string;
  readonly jvb: string;
  readonly jibri: string;
  readonly recorder: string;
}

/** A shard as the other components see it: where to log in and which secrets to read. */
export interface ShardEndpoint {
  readonly id: string;
  readonly region: string;
  readonly hostname: string;
  /** SSM parameter names (in `region`) of the shard's XMPP account passwords. */
  readonly secretParameters: ShardSecretParameters;
}

export function shardEndpoint(deployment: string, region: string, shardId: string): ShardEndpoint {
  const users = Object.keys(XMPP_USERS) as XmppUser[];
  return {
    id: shardId,
    region,
    hostname: shardHostname(deployment, region, shardId),
    secretParameters: Object.fromEntries(users.map((u) => [u, shardSecretParameter(deployment, region, shardId, u)])) as Record<XmppUser, string>,
  };
}
