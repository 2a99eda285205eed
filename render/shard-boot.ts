/**
 * First-boot script of a shard (Debian 12): installs Jitsi from its package repository, puts the rendered
 * configs in place, reads the XMPP and TURN secrets from SSM into root-only files, registers the XMPP
 * accounts, points the shard's private DNS name at this instance and starts the services.
 * Checked with shellcheck (tests/daemons/shellcheck.test.ts).
 */
import { xmppDomains } from "../config/naming";
import { BOOT_FUNCTIONS, shQuote } from "./boot-common";

export interface ShardBootInput {
  readonly region: string;
  readonly domain: string;
  readonly hostname: string;
  readonly privateZoneId: string;
  /** SSM parameter names of the XMPP account passwords. */
  readonly secretParameters: { readonly focus: string; readonly jvb: string; readonly jibri: string; readonly recorder: string };
  /** SSM parameter of the TURN shared secret; empty when TURN is off. */
  readonly turnSecretParameter: string;
  /** Where cloud-init staged the rendered files. */
  readonly stagingDir: string;
  /** Bash lines installing the host agent (render/agent-install.ts), or "" without one. */
  readonly agentInstall: string;
  /** Bash lines installing the CloudWatch agent with its config from SSM (render/cloudwatch-agent.ts). */
  readonly cloudWatchAgentInstall: string;
}

export function renderShardBootScript(i: ShardBootInput): string {
  const d = xmppDomains(i.domain);
  return `#!/bin/bash
# Rendered by jitsi-aws (render/shard-boot.ts): first boot of a shard.
set -euo pipefail
umask 077
export AWS_REGION=${shQuote(i.region)}
export DEBIAN_FRONTEND=noninteractive
DOMAIN=${shQuote(d.domain)}
AUTH_DOMAIN=${shQuote(d.auth)}
RECORDER_DOMAIN=${shQuote(d.recorder)}
STAGING=${shQuote(i.stagingDir)}
SHARD_HOSTNAME=${shQuote(i.hostname)}
ZONE_ID=${shQuote(i.privateZoneId)}
TURN_SECRET_PARAM=${shQuote(i.turnSecretParameter)}

${BOOT_FUNCTIONS}
# 1. Jitsi's package repository (download.jitsi.org, signed) and the packages of a signalling node.
curl -fsSL https://download.jitsi.org/jitsi-key.gpg.key | gpg --dearmor --yes -o /usr/share/keyrings/jitsi-keyring.gpg
echo "deb [signed-by=/usr/share/keyrings/jitsi-keyring.gpg] https://download.jitsi.org stable/" > /etc/apt/sources.list.d/jitsi-stable.list
chmod 0644 /etc/apt/sources.list.d/jitsi-stable.list /usr/share/keyrings/jitsi-keyring.gpg
echo "jitsi-meet-web-config jitsi-meet/cert-choice select Generate a new self-signed certificate" | debconf-set-selections
echo "jitsi-meet-web-config jitsi-videobridge/jvb-hostname string \${DOMAIN}" | debconf-set-selections
echo "jicofo jitsi-videobridge/jvb-hostname string \${DOMAIN}" | debconf-set-selections
apt-get update -q
apt-get install -y -q prosody jitsi-meet-prosody jitsi-meet-web jitsi-meet-web-config jicofo nginx

# 2. Rendered configs.
install -m 0644 "\${STAGING}/prosody.cfg.lua" /etc/prosody/prosody.cfg.lua
rm -f /etc/prosody/conf.d/*.cfg.lua /etc/prosody/conf.avail/*.cfg.lua
install -m 0644 "\${STAGING}/jicofo.conf" /etc/jitsi/jicofo/jicofo.conf
install -m 0644 "\${STAGING}/config.js" "/etc/jitsi/meet/\${DOMAIN}-config.js"
install -m 0644 "\${STAGING}/nginx-site.conf" "/etc/nginx/sites-available/\${DOMAIN}.conf"
rm -f /etc/nginx/sites-enabled/*
ln -sf "/etc/nginx/sites-available/\${DOMAIN}.conf" "/etc/nginx/sites-enabled/\${DOMAIN}.conf"

# 3. Secrets: read from SSM into root-only files; never on a command line that is logged.
install -d -m 0750 -o root -g prosody /etc/prosody/secrets
turn_secret=""
if [ -n "\${TURN_SECRET_PARAM}" ]; then
  turn_secret=$(ssm_secret "\${TURN_SECRET_PARAM}")
fi
printf 'external_service_secret = "%s"\\n' "\${turn_secret}" > /etc/prosody/secrets/turn.cfg.lua
chown root:prosody /etc/prosody/secrets/turn.cfg.lua
chmod 0640 /etc/prosody/secrets/turn.cfg.lua

focus_pw=$(ssm_secret ${shQuote(i.secretParameters.focus)})
printf 'JICOFO_XMPP_PASSWORD=%s\\n' "\${focus_pw}" > /etc/jitsi/jicofo/secrets.env
chmod 0600 /etc/jitsi/jicofo/secrets.env
install -d -m 0755 /etc/systemd/system/jicofo.service.d
printf '[Service]\\nEnvironmentFile=/etc/jitsi/jicofo/secrets.env\\n' > /etc/systemd/system/jicofo.service.d/secrets.conf
chmod 0644 /etc/systemd/system/jicofo.service.d/secrets.conf

systemctl restart prosody
prosodyctl register focus "\${AUTH_DOMAIN}" "\${focus_pw}"
prosodyctl register jvb "\${AUTH_DOMAIN}" "$(ssm_secret ${shQuote(i.secretParameters.jvb)})"
prosodyctl register jibri "\${AUTH_DOMAIN}" "$(ssm_secret ${shQuote(i.secretParameters.jibri)})"
prosodyctl register recorder "\${RECORDER_DOMAIN}" "$(ssm_secret ${shQuote(i.secretParameters.recorder)})"
unset focus_pw turn_secret

# 4. The shard's stable private name now points at this instance (the only record the role may change).
local_ip=$(imds local-ipv4)
aws route53 change-resource-record-sets --hosted-zone-id "\${ZONE_ID}" --change-batch \\
  "{\\"Changes\\":[{\\"Action\\":\\"UPSERT\\",\\"ResourceRecordSet\\":{\\"Name\\":\\"\${SHARD_HOSTNAME}\\",\\"Type\\":\\"A\\",\\"TTL\\":30,\\"ResourceRecords\\":[{\\"Value\\":\\"\${local_ip}\\"}]}}]}"

# 5. Host metrics and service logs.
${i.cloudWatchAgentInstall}
# 6. Start. New shards answer "drain" to the edge until Prosody and Jicofo are healthy (shard-agent).
${i.agentInstall}systemctl daemon-reload
systemctl enable --now prosody jicofo nginx
systemctl restart prosody jicofo nginx
${i.agentInstall ? "systemctl enable --now jitsi-aws-shard-agent.service jitsi-aws-metrics.service\n" : ""}`;
}
