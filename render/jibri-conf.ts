/**
 * jibri.conf (HOCON) for the recorders of a JibriPool. Pure: typed input → file text; no Pulumi, no I/O.
 *
 * The file goes into EC2 user data, stored in plain text (pulumi-notes.md), so it holds NO secret and nothing
 * that differs between two recorders of the pool. Those values are HOCON substitutions (`${NAME}`) that Typesafe
 * config resolves from the process environment when Jibri starts; the boot script writes them, read from SSM
 * (SecureString) and instance metadata, into an EnvironmentFile of the jibri systemd unit (mode 0600):
 *   - the control-login and call-login password of each shard ({@link jibriPasswordEnvVars});
 *   - the instance id: Jibri id and its nickname in every JibriBrewery (unique per recorder).
 * A missing variable stops Jibri at start (required substitution) instead of logging in with a blank password.
 *
 * Every key written here exists in the upstream jibri reference.conf or, for the items of
 * `jibri.api.xmpp.environments`, in upstream's doc/example_xmpp_envs.conf (tests/render/jibri-conf.test.ts).
 */
import { EnvRef, HoconValue, renderHocon } from "./jvb-conf";

/** Environment variables the boot script must export (besides the passwords of {@link jibriPasswordEnvVars}). */
export const JIBRI_ENV = {
  /** EC2 instance id: Jibri's id and its MUC nickname in each brewery. */
  instanceId: "JIBRI_INSTANCE_ID",
} as const;

/** Names of the environment variables holding one shard's XMPP passwords ("JIBRI_CONTROL_PASSWORD_US_EAST_1_S1"). */
export function jibriPasswordEnvVars(shardId: string): { readonly control: string; readonly call: string } {
  const s = shardId.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  return { control: `JIBRI_CONTROL_PASSWORD_${s}`, call: `JIBRI_CALL_PASSWORD_${s}` };
}

/** One shard whose JibriBrewery the recorder joins (one XMPP environment). */
export interface JibriShardConnection {
  /** Environment name; lower-case letters, digits, dashes (e.g. "us-east-1-s1"). */
  readonly id: string;
  /** The shard's Prosody host(s) (c2s 5222). */
  readonly xmppServerHosts: readonly string[];
  /**
   * Base XMPP domain, e.g. `meet.example.com`. Jibri's browser opens `https://<xmppDomain>/<room>`: the public
   * name, so HAProxy routes it to the room's shard like any participant (jitsi-facts.md).
   */
  readonly xmppDomain: string;
  /** Domain of the control account (Prosody's auth domain), e.g. `auth.meet.example.com`. */
  readonly controlDomain: string;
  /** Control account name. @default "jibri" */
  readonly controlUsername?: string;
  /** Internal MUC service of the brewery, e.g. `internal.auth.meet.example.com`. */
  readonly breweryMucDomain: string;
  /** Brewery room name. @default "JibriBrewery" (jitsi-facts.md) */
  readonly breweryRoomName?: string;
  /** Domain of the hidden recorder account Chrome joins the call with, e.g. `recorder.meet.example.com`. */
  readonly callDomain: string;
  /** Call account name. @default "recorder" */
  readonly callUsername?: string;
  /** Accept any certificate on this XMPP connection (Prosody with a self-signed certificate). @default false */
  readonly trustAllXmppCerts?: boolean;
}

export interface JibriConfInput {
  /** Shards of the region; one XMPP environment each. At least one. */
  readonly shards: readonly JibriShardConnection[];
  /** Where Jibri writes `<dir>/<session>/` (mp4 + metadata.json). Absolute path. */
  readonly recordingsDirectory: string;
  /** Program Jibri runs with `<dir>/<session>` after each recording (the finalize agent). Absolute path. */
  readonly finalizeScript: string;
  /**
   * Regexes an RTMP URL must match to be streamed. Empty = streaming refused (Jibri rejects every URL).
   * Upstream's default is ".*" (everything); here the operator lists the services allowed.
   */
  readonly rtmpAllowList: readonly string[];
  /** Sessions are stopped after this many minutes; 0 = no limit. */
  readonly usageTimeoutMinutes: number;
  /** Capture resolution (jitsi-facts.md: ~8 GB RAM for 720p on a c5.xlarge class host). */
  readonly resolution: "1280x720" | "1920x1080";
}

const SHARD_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const HOST = /^[A-Za-z0-9.-]{1,253}$/;
const DOMAIN = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const LOCAL_PART = /^[a-z0-9._-]+$/i;

/** Checks the input; every problem is reported together, each naming its field. */
export function validateJibriConfInput(input: JibriConfInput): void {
  const errors: string[] = [];
  if (input.shards.length === 0) errors.push("shards: must list at least one shard of the region");
  const seen = new Set<string>();
  input.shards.forEach((s, i) => {
    const f = `shards[${i}]`;
    if (!SHARD_ID.test(s.id)) errors.push(`${f}.id: must be lower-case letters, digits and dashes, got "${s.id}"`);
    if (seen.has(s.id)) errors.push(`${f}.id: "${s.id}" appears twice (one environment per shard)`);
    seen.add(s.id);
    if (s.xmppServerHosts.length === 0) errors.push(`${f}.xmppServerHosts: must list at least one host`);
    s.xmppServerHosts.forEach((h, j) => {
      if (!HOST.test(h)) errors.push(`${f}.xmppServerHosts[${j}]: must be a host name or IPv4 address, got "${h}"`);
    });
    for (const k of ["xmppDomain", "controlDomain", "breweryMucDomain", "callDomain"] as const)
      if (!DOMAIN.test(s[k])) errors.push(`${f}.${k}: must be a DNS domain, got "${s[k]}"`);
    for (const k of ["controlUsername", "callUsername"] as const) {
      const v = s[k];
      if (v !== undefined && !LOCAL_PART.test(v)) errors.push(`${f}.${k}: must be a plain XMPP local part, got "${v}"`);
    }
    if (s.breweryRoomName !== undefined && !LOCAL_PART.test(s.breweryRoomName))
      errors.push(`${f}.breweryRoomName: must be a plain MUC room name, got "${s.breweryRoomName}"`);
  });
  for (const k of ["recordingsDirectory", "finalizeScript"] as const)
    if (!/^\/[A-Za-z0-9._/-]+$/.test(input[k])) errors.push(`${k}: must be an absolute path of [A-Za-z0-9._/-], got "${input[k]}"`);
  input.rtmpAllowList.forEach((p, i) => {
    try {
      new RegExp(p);
    } catch {
      errors.push(`rtmpAllowList[${i}]: not a valid regular expression: "${p}"`);
    }
  });
  if (!Number.isInteger(input.usageTimeoutMinutes) || input.usageTimeoutMinutes < 0)
    errors.push(`usageTimeoutMinutes: must be a whole number >= 0 (0 = no limit), got ${input.usageTimeoutMinutes}`);
  if (!["1280x720", "1920x1080"].includes(input.resolution)) errors.push(`resolution: must be "1280x720" or "1920x1080", got "${input.resolution}"`);
  if (errors.length > 0) throw new Error(`invalid jibri.conf input:\n  ${errors.join("\n  ")}`);
}

function environment(s: JibriShardConnection, usageTimeoutMinutes: number): HoconValue {
  const pw = jibriPasswordEnvVars(s.id);
  return {
    name: s.id,
    "xmpp-server-hosts": [...s.xmppServerHosts],
    "xmpp-domain": s.xmppDomain,
    "control-muc": {
      domain: s.breweryMucDomain,
      "room-name": s.breweryRoomName ?? "JibriBrewery",
      // Unique per recorder in the brewery: Jicofo tells recorders apart by their MUC occupant.
      nickname: new EnvRef(JIBRI_ENV.instanceId),
    },
    "control-login": {
      domain: s.controlDomain,
      username: s.controlUsername ?? "jibri",
      // Secrets stay out of user data: resolved from the environment file written at boot from SSM.
      password: new EnvRef(pw.control),
    },
    "call-login": {
      domain: s.callDomain,
      username: s.callUsername ?? "recorder",
      password: new EnvRef(pw.call),
    },
    // Room JIDs are <room>@conference.<domain>: strip "conference." to get the call URL's host part.
    "strip-from-room-domain": "conference.",
    "usage-timeout": `${usageTimeoutMinutes} minutes`,
    "trust-all-xmpp-certs": s.trustAllXmppCerts ?? false,
  };
}

/** The jibri.conf tree (exported for tests). */
export function jibriConfTree(input: JibriConfInput): { readonly [k: string]: HoconValue } {
  validateJibriConfInput(input);
  return {
    jibri: {
      id: new EnvRef(JIBRI_ENV.instanceId),
      // A recorder restarts clean after each recording (Chrome, ffmpeg, memory): systemd restarts the service
      // when Jibri exits at the end of a session (jitsi-facts.md: single-use-mode).
      "single-use-mode": true,
      api: {
        // Health/status (:2222) and the internal API (:3333, graceful shutdown) answer on loopback only; the
        // status agent on the host polls them (jitsi-facts.md).
        http: { "external-api-host": "127.0.0.1", "internal-api-host": "127.0.0.1" },
        xmpp: { environments: input.shards.map((s) => environment(s, input.usageTimeoutMinutes)) },
      },
      recording: {
        "recordings-directory": input.recordingsDirectory,
        "finalize-script": input.finalizeScript,
      },
      streaming: { "rtmp-allow-list": [...input.rtmpAllowList] },
      ffmpeg: { resolution: input.resolution },
      // No statsd daemon on the host: metrics come from the status agent (metrics/catalog.ts JIBRI_METRICS).
      stats: { "enable-stats-d": false },
    },
  };
}

/** The jibri.conf text. */
export function renderJibriConf(input: JibriConfInput): string {
  const tree = jibriConfTree(input);
  const header = [
    "# jibri.conf rendered by jitsi-aws (render/jibri-conf.ts). Do not edit on the host.",
    `# \${${JIBRI_ENV.instanceId}} and the JIBRI_CONTROL_PASSWORD_* / JIBRI_CALL_PASSWORD_* values come from the`,
    "# environment file the boot script writes (instance metadata, SSM SecureString).",
  ];
  const body = Object.keys(tree).map((k) => `${k} ${renderHocon(tree[k])}`);
  return `${header.join("\n")}\n${body.join("\n")}\n`;
}
