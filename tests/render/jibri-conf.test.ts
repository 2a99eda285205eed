/**
 * render/jibri-conf.ts: the recorder's jibri.conf. Parsed with a real HOCON parser, as Jibri would parse it on the
 * host (with the boot script's environment), and compared key by key with upstream's reference.conf and
 * example_xmpp_envs.conf, both parsed the same way.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { JIBRI_ENV, JibriConfInput, jibriPasswordEnvVars, renderJibriConf } from "../../render/jibri-conf";
import { requireShared } from "../helpers/env";
import { keyPaths, parseHoconText } from "../helpers/hocon-keys";

const INPUT: JibriConfInput = {
  shards: [
    {
      id: "us-east-1-s1",
      xmppServerHosts: ["us-east-1-s1.us-east-1.jitsi.jitsi.internal"],
      xmppDomain: "meet.example.com",
      controlDomain: "auth.meet.example.com",
      breweryMucDomain: "internal.auth.meet.example.com",
      callDomain: "recorder.meet.example.com",
      trustAllXmppCerts: true,
    },
    {
      id: "us-east-1-s2",
      xmppServerHosts: ["us-east-1-s2.us-east-1.jitsi.jitsi.internal"],
      xmppDomain: "meet.example.com",
      controlDomain: "auth.meet.example.com",
      breweryMucDomain: "internal.auth.meet.example.com",
      callDomain: "recorder.meet.example.com",
    },
  ],
  recordingsDirectory: "/var/lib/jibri/recordings",
  finalizeScript: "/usr/local/bin/jitsi-aws-jibri-finalize",
  rtmpAllowList: ["^rtmps?://([a-z0-9-]+\\.)*youtube\\.com/.*"],
  usageTimeoutMinutes: 240,
  resolution: "1280x720",
};

/** What the boot script exports on a recorder (test values; never in the rendered text). */
const SECRETS: Record<string, string> = {
  [jibriPasswordEnvVars("us-east-1-s1").control]: "ctl-secret-s1-Zq81",
  [jibriPasswordEnvVars("us-east-1-s1").call]: "call-secret-s1-Kx02",
  [jibriPasswordEnvVars("us-east-1-s2").control]: "ctl-secret-s2-Pw93",
  [jibriPasswordEnvVars("us-east-1-s2").call]: "call-secret-s2-Lm44",
};
const HOST_ENV: Record<string, string> = { [JIBRI_ENV.instanceId]: "i-0abc1234def567890", ...SECRETS };

interface Env {
  name: string;
  "xmpp-server-hosts": string[];
  "control-muc": { domain: string; "room-name": string; nickname: string };
  "control-login": { username: string; password: string; domain: string };
  "call-login": { username: string; password: string; domain: string };
}
interface Parsed {
  jibri: {
    id: string;
    "single-use-mode": boolean;
    api: { xmpp: { environments: Env[] } };
    recording: { "recordings-directory": string; "finalize-script": string };
    streaming: { "rtmp-allow-list": string[] };
  };
}

describe("render/jibri-conf", () => {
  const text = renderJibriConf(INPUT);

  it("uses only keys of upstream's reference.conf, and environment items only keys of example_xmpp_envs.conf", async function () {
    const dir = requireShared(this, "reference", "jitsi-upstream");
    const reference = await parseHoconText(fs.readFileSync(`${dir}/jibri--src-main-resources-reference.conf`, "utf8"));
    const example = (await parseHoconText(fs.readFileSync(`${dir}/jibri--doc-example_xmpp_envs.conf`, "utf8"))) as { environments: unknown[] };
    const refKeys = new Set(keyPaths(reference));
    const envKeys = new Set(keyPaths(example.environments[0]));
    assert.ok(refKeys.has("jibri.api.xmpp.environments") && envKeys.has("control-login.password"), "reference files parsed");

    const parsed = await parseHoconText(text, HOST_ENV);
    const unknown = keyPaths(parsed).filter((k) => !refKeys.has(k));
    assert.deepStrictEqual(unknown, [], `keys not in jibri reference.conf: ${unknown.join(", ")}`);
    const envs = (parsed as unknown as Parsed).jibri.api.xmpp.environments;
    assert.equal(envs.length, 2);
    for (const e of envs) {
      const bad = keyPaths(e).filter((k) => !envKeys.has(k));
      assert.deepStrictEqual(bad, [], `environment keys not in example_xmpp_envs.conf: ${bad.join(", ")}`);
    }
  });

  it("keeps every password and the instance id out of the file; Jibri gets them from the boot environment", async () => {
    for (const secret of Object.values(SECRETS)) assert.ok(!text.includes(secret));
    assert.ok(!/password\s*=\s*"/.test(text), "a password is written as a literal string");
    const parsed = (await parseHoconText(text, HOST_ENV)) as unknown as Parsed;
    const [s1, s2] = parsed.jibri.api.xmpp.environments;
    assert.equal(s1["control-login"].password, SECRETS[jibriPasswordEnvVars("us-east-1-s1").control]);
    assert.equal(s1["call-login"].password, SECRETS[jibriPasswordEnvVars("us-east-1-s1").call]);
    assert.equal(s2["control-login"].password, SECRETS[jibriPasswordEnvVars("us-east-1-s2").control]);
    assert.equal(parsed.jibri.id, "i-0abc1234def567890");
    assert.equal(s1["control-muc"].nickname, "i-0abc1234def567890");
  });

  it("refuses to resolve when the boot script did not provide a password (no blank login)", async () => {
    const partial = { ...HOST_ENV };
    delete partial[jibriPasswordEnvVars("us-east-1-s2").call];
    await assert.rejects(parseHoconText(text, partial));
  });

  it("joins each shard's JibriBrewery with the control account and records with the hidden recorder account", async () => {
    const p = ((await parseHoconText(text, HOST_ENV)) as unknown as Parsed).jibri;
    assert.deepStrictEqual(
      p.api.xmpp.environments.map((e) => [e.name, e["xmpp-server-hosts"][0], e["control-muc"]["room-name"], e["control-muc"].domain, e["control-login"].username, e["control-login"].domain, e["call-login"].domain]),
      [
        ["us-east-1-s1", "us-east-1-s1.us-east-1.jitsi.jitsi.internal", "JibriBrewery", "internal.auth.meet.example.com", "jibri", "auth.meet.example.com", "recorder.meet.example.com"],
        ["us-east-1-s2", "us-east-1-s2.us-east-1.jitsi.jitsi.internal", "JibriBrewery", "internal.auth.meet.example.com", "jibri", "auth.meet.example.com", "recorder.meet.example.com"],
      ],
    );
    assert.equal(p["single-use-mode"], true, "a recorder restarts clean after each recording");
    assert.equal(p.recording["finalize-script"], "/usr/local/bin/jitsi-aws-jibri-finalize");
    assert.equal(p.recording["recordings-directory"], "/var/lib/jibri/recordings");
    assert.deepStrictEqual(p.streaming["rtmp-allow-list"], ["^rtmps?://([a-z0-9-]+\\.)*youtube\\.com/.*"]);
    assert.ok(new RegExp(p.streaming["rtmp-allow-list"][0]).test("rtmp://a.rtmp.youtube.com/live2/abcd"));
  });

  it("an empty RTMP allow list renders an empty list (streaming refused), not upstream's allow-all", async () => {
    const p = ((await parseHoconText(renderJibriConf({ ...INPUT, rtmpAllowList: [] }), HOST_ENV)) as unknown as Parsed).jibri;
    assert.deepStrictEqual(p.streaming["rtmp-allow-list"], []);
  });

  it("rejects bad input naming every bad field", () => {
    assert.throws(
      () =>
        renderJibriConf({
          ...INPUT,
          shards: [{ ...INPUT.shards[0], id: "Bad_Id", xmppServerHosts: [], callDomain: "nodot" }, INPUT.shards[1], INPUT.shards[1]],
          recordingsDirectory: "relative/dir",
          rtmpAllowList: ["(unclosed"],
          usageTimeoutMinutes: -5,
        }),
      (e: Error) =>
        [
          /shards\[0\]\.id: must be lower-case/,
          /shards\[0\]\.xmppServerHosts: must list at least one host/,
          /shards\[0\]\.callDomain: must be a DNS domain, got "nodot"/,
          /shards\[2\]\.id: "us-east-1-s2" appears twice/,
          /recordingsDirectory: must be an absolute path/,
          /rtmpAllowList\[0\]: not a valid regular expression/,
          /usageTimeoutMinutes: must be a whole number >= 0/,
        ].every((re) => re.test(e.message)),
    );
    assert.throws(() => renderJibriConf({ ...INPUT, shards: [] }), /shards: must list at least one shard/);
  });
});
