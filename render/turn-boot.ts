/**
 * Boot files of a TURN host (Debian 12 + Debian's coturn 4.6). Pure: typed input -> file text.
 *
 * - `boot.sh` (first boot, from cloud-init): takes over the host's Elastic IP, installs coturn while its unit is
 *   masked (the package would otherwise start it with the stock config), certbot with the Route53 DNS plugin,
 *   puts the units below in place, gets the certificate, then starts coturn.
 * - `turn-config.sh` (every boot, before coturn): writes /etc/turnserver.conf, root:turnserver 0640, from the
 *   staged rendered file (render/turnserver-conf.ts) + this host's addresses (private IPv4 from IMDSv2, the
 *   Elastic IP given at deploy) + `static-auth-secret` read from SSM. The secret is never in user data, on a
 *   command line or in a log. Rotating the secret = new SSM value, then restart coturn and the shards' Prosody.
 * - `turn-cert.sh` (boot and twice a day): Let's Encrypt certificate for the region's TURN name by DNS-01 through
 *   Route53 (port 80 stays closed); until one exists a self-signed placeholder lets the TURNS listener start.
 *   The deploy hook copies the files for coturn and sends SIGUSR2, on which coturn 4.6 reloads its certificate
 *   without dropping sessions (checked on coturn 4.6.1: "Reloading TLS certificates and keys").
 * Checked with shellcheck, and turn-config.sh is run for real in tests/render/turn-boot.test.ts.
 */
import { BOOT_FUNCTIONS, shQuote } from "./boot-common";
import { TURN_SECRET_KEY, TURN_TLS_PATHS } from "./turnserver-conf";

export const TURN_BOOT_PATHS = {
  /** The rendered turnserver.conf without secret and addresses, as cloud-init stages it. */
  baseConf: "/etc/jitsi-aws/turnserver.base.conf",
  /** The file coturn's Debian unit reads (`turnserver -c /etc/turnserver.conf`). */
  finalConf: "/etc/turnserver.conf",
  configScript: "/usr/local/sbin/jitsi-aws-turn-config",
  certScript: "/usr/local/sbin/jitsi-aws-turn-cert",
  deployHook: "/usr/local/sbin/jitsi-aws-turn-cert-deploy",
} as const;

export interface TurnBootInput {
  readonly region: string;
  /** Name clients use (Prosody hands it out): the certificate's first name, e.g. turn-us-east-1.meet.example.com. */
  readonly hostname: string;
  /**
   * This host's own name, the certificate's second name. It makes each host's name set unique, so each host has
   * its own Let's Encrypt "duplicate certificate" budget (5 per week per identical set of names).
   */
  readonly hostCertName: string;
  /** Elastic IP of this host: its allocation id (to associate) and address (announced as external-ip). */
  readonly eipAllocationId: string;
  readonly publicIp: string;
  /** SSM SecureString name of the TURN shared secret (also Prosody's external_service_secret). */
  readonly turnSecretParameter: string;
  /** TURNS port: when below 1024 coturn (user turnserver) needs CAP_NET_BIND_SERVICE. */
  readonly tlsListeningPort: number;
  /** ACME account e-mail for expiry notices; "" registers without one. */
  readonly acmeEmail: string;
  /** Where cloud-init staged the rendered files. */
  readonly stagingDir: string;
  /**
   * Whether certbot may get a Let's Encrypt certificate: needs the public hosted zone (DNS-01). Without it TURNS
   * serves the self-signed placeholder, which browsers refuse, so only UDP/TCP TURN works. @default true
   */
  readonly issueCertificate?: boolean;
  /** Bash lines installing the CloudWatch agent (render/cloudwatch-agent.ts), or "". @default "" */
  readonly cloudWatchAgentInstall?: string;
}

function check(i: TurnBootInput): void {
  const errors: string[] = [];
  const name = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
  if (!name.test(i.hostname)) errors.push(`hostname must be a lower-case DNS name, got '${i.hostname}'`);
  if (!name.test(i.hostCertName)) errors.push(`hostCertName must be a lower-case DNS name, got '${i.hostCertName}'`);
  if (!/^eipalloc-[0-9a-f]{8,17}$/.test(i.eipAllocationId)) errors.push(`eipAllocationId must look like eipalloc-0123abcd, got '${i.eipAllocationId}'`);
  if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(i.publicIp)) errors.push(`publicIp must be an IPv4 address, got '${i.publicIp}'`);
  if (!/^\/[\w./-]+$/.test(i.turnSecretParameter)) errors.push(`turnSecretParameter must be an SSM parameter path, got '${i.turnSecretParameter}'`);
  if (i.acmeEmail !== "" && !/^[^\s@'"]+@[^\s@'"]+\.[a-z]{2,}$/i.test(i.acmeEmail)) errors.push(`acmeEmail must be an e-mail address or "", got '${i.acmeEmail}'`);
  if (errors.length) throw new Error(`invalid TURN boot input:\n  - ${errors.join("\n  - ")}`);
}

/** Every boot: the final coturn config (rendered text + addresses + secret), root:turnserver 0640. */
export function renderTurnConfigScript(i: TurnBootInput): string {
  check(i);
  return `#!/bin/bash
# Rendered by jitsi-aws (render/turn-boot.ts): writes ${TURN_BOOT_PATHS.finalConf} for coturn.
set -euo pipefail
umask 077
export AWS_REGION=${shQuote(i.region)}
BASE_CONF="\${BASE_CONF:-${TURN_BOOT_PATHS.baseConf}}"
FINAL_CONF="\${FINAL_CONF:-${TURN_BOOT_PATHS.finalConf}}"
PUBLIC_IP=${shQuote(i.publicIp)}
SECRET_PARAM=${shQuote(i.turnSecretParameter)}

${BOOT_FUNCTIONS}
private_ip=$(imds local-ipv4)
secret=$(ssm_secret "\${SECRET_PARAM}")
if [ -z "\${secret}" ]; then
  echo "TURN secret \${SECRET_PARAM} is empty" >&2
  exit 1
fi
tmp=$(mktemp "\${FINAL_CONF}.XXXXXX")
{
  cat "\${BASE_CONF}"
  printf '\\n# This host (turn-config at boot): private address from IMDSv2, Elastic IP from the deployment.\\n'
  printf 'listening-ip=%s\\nrelay-ip=%s\\nexternal-ip=%s/%s\\n' "\${private_ip}" "\${private_ip}" "\${PUBLIC_IP}" "\${private_ip}"
  printf '${TURN_SECRET_KEY}=%s\\n' "\${secret}"
} > "\${tmp}"
unset secret
chown root:turnserver "\${tmp}"
chmod 0640 "\${tmp}"
mv -f "\${tmp}" "\${FINAL_CONF}"
`;
}

/** Boot and timer: obtain/renew the TURNS certificate; a self-signed placeholder until the first one exists. */
export function renderTurnCertScript(i: TurnBootInput): string {
  check(i);
  const account = i.acmeEmail ? `--email ${shQuote(i.acmeEmail)}` : "--register-unsafely-without-email";
  return `#!/bin/bash
# Rendered by jitsi-aws (render/turn-boot.ts): TURNS certificate for ${i.hostname} (DNS-01 via Route53).
set -euo pipefail
umask 077
install -d -m 0750 -o root -g turnserver /etc/turnserver/tls
if [ ! -s ${TURN_TLS_PATHS.certFile} ]; then
  # Placeholder so coturn opens its TURNS listener now; the deploy hook swaps in the real one.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \\
    -subj ${shQuote(`/CN=${i.hostname}`)} -keyout ${TURN_TLS_PATHS.keyFile} -out ${TURN_TLS_PATHS.certFile}
  chown root:turnserver ${TURN_TLS_PATHS.keyFile} ${TURN_TLS_PATHS.certFile}
  chmod 0640 ${TURN_TLS_PATHS.keyFile} ${TURN_TLS_PATHS.certFile}
fi
${i.issueCertificate === false ? `echo "no public hosted zone configured (jitsi:hostedZoneId): TURNS keeps the self-signed placeholder" >&2
` : `# --keep-until-expiring: a no-op until renewal is due, so the timer may run this as often as it likes.
certbot certonly --non-interactive --agree-tos ${account} --dns-route53 \\
  --cert-name jitsi-turn --keep-until-expiring --key-type ecdsa \\
  -d ${shQuote(i.hostname)} -d ${shQuote(i.hostCertName)} \\
  --deploy-hook ${TURN_BOOT_PATHS.deployHook}
`}`;
}

/** certbot deploy hook: hand the new certificate to coturn and make it reload. */
export function renderTurnCertDeployHook(): string {
  return `#!/bin/bash
# Rendered by jitsi-aws (render/turn-boot.ts): certbot deploy hook for coturn.
set -euo pipefail
live=/etc/letsencrypt/live/jitsi-turn
install -m 0640 -o root -g turnserver "\${live}/fullchain.pem" ${TURN_TLS_PATHS.certFile}
install -m 0640 -o root -g turnserver "\${live}/privkey.pem" ${TURN_TLS_PATHS.keyFile}
# coturn 4.6 reloads its certificate and key on SIGUSR2, keeping live sessions.
if systemctl is-active --quiet coturn.service; then
  systemctl kill --signal=SIGUSR2 coturn.service
fi
`;
}

/** systemd units of a TURN host: config writer before coturn, certificate timer, coturn drop-in. */
export function renderTurnUnits(i: TurnBootInput): Record<string, string> {
  check(i);
  const bindLow = i.tlsListeningPort < 1024 ? "AmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n" : "";
  return {
    "jitsi-aws-turn-config.service": `[Unit]
Description=Write /etc/turnserver.conf (rendered config + addresses + TURN secret from SSM)
After=network-online.target
Wants=network-online.target
Before=coturn.service

[Service]
Type=oneshot
ExecStart=${TURN_BOOT_PATHS.configScript}
Restart=on-failure
RestartSec=15

[Install]
RequiredBy=coturn.service
`,
    "jitsi-aws-turn-cert.service": `[Unit]
Description=Obtain or renew the TURNS certificate (Let's Encrypt, DNS-01 via Route53)
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=${TURN_BOOT_PATHS.certScript}
`,
    "jitsi-aws-turn-cert.timer": `[Unit]
Description=Twice a day: renew the TURNS certificate when due, retry a failed first issue

[Timer]
OnBootSec=15min
OnUnitActiveSec=12h
RandomizedDelaySec=1h

[Install]
WantedBy=timers.target
`,
    "coturn.service.d/jitsi-aws.conf": `[Unit]
Requires=jitsi-aws-turn-config.service
After=jitsi-aws-turn-config.service

[Service]
${bindLow}Restart=always
RestartSec=5
`,
  };
}

/** First boot: Elastic IP, packages, units, certificate, start. */
export function renderTurnBootScript(i: TurnBootInput): string {
  check(i);
  return `#!/bin/bash
# Rendered by jitsi-aws (render/turn-boot.ts): first boot of a TURN host.
set -euo pipefail
umask 077
export AWS_REGION=${shQuote(i.region)}
export DEBIAN_FRONTEND=noninteractive
STAGING=${shQuote(i.stagingDir)}

${BOOT_FUNCTIONS}
# 1. Take over this host's Elastic IP (a replacement instance takes it from its predecessor).
instance_id=$(imds instance-id)
aws ec2 associate-address --instance-id "\${instance_id}" --allocation-id ${shQuote(i.eipAllocationId)} --allow-reassociation >/dev/null

# 2. coturn, masked while it installs: the package would start it with the stock, unauthenticated config.
systemctl mask coturn.service
apt-get install -y -q coturn certbot python3-certbot-dns-route53 openssl logrotate

# 3. Files: the rendered config, the scripts and units cloud-init staged.
install -d -m 0755 /etc/jitsi-aws
install -m 0644 "\${STAGING}/turnserver.conf" ${TURN_BOOT_PATHS.baseConf}
install -m 0700 "\${STAGING}/turn-config.sh" ${TURN_BOOT_PATHS.configScript}
install -m 0700 "\${STAGING}/turn-cert.sh" ${TURN_BOOT_PATHS.certScript}
install -m 0700 "\${STAGING}/turn-cert-deploy.sh" ${TURN_BOOT_PATHS.deployHook}
install -d -m 0755 /etc/systemd/system/coturn.service.d
install -m 0644 "\${STAGING}/coturn.service.d/jitsi-aws.conf" /etc/systemd/system/coturn.service.d/jitsi-aws.conf
for unit in jitsi-aws-turn-config.service jitsi-aws-turn-cert.service jitsi-aws-turn-cert.timer; do
  install -m 0644 "\${STAGING}/\${unit}" "/etc/systemd/system/\${unit}"
done
install -d -m 0750 -o turnserver -g turnserver /var/log/turnserver
printf '%s\\n' '/var/log/turnserver/turnserver.log {' '  daily' '  rotate 7' '  compress' '  missingok' '  notifempty' '  copytruncate' '}' > /etc/logrotate.d/jitsi-aws-coturn
chmod 0644 /etc/logrotate.d/jitsi-aws-coturn

# 4. Certificate (DNS-01 may take a minute; the timer retries if Let's Encrypt or Route53 is not ready yet).
${TURN_BOOT_PATHS.certScript} || echo "TURNS certificate not issued yet; serving the placeholder, the timer retries" >&2

# 5. Start: the config writer runs first (Requires= in the drop-in), then coturn.
systemctl unmask coturn.service
systemctl daemon-reload
systemctl enable jitsi-aws-turn-config.service coturn.service
systemctl enable --now jitsi-aws-turn-cert.timer
systemctl restart coturn.service
${i.cloudWatchAgentInstall ? `
# 6. Monitoring, after TURN serves (a failed agent download must not keep coturn down).
${i.cloudWatchAgentInstall}` : ""}`;
}
