/**
 * TurnCluster: a region's coturn hosts. Each host is an auto-scaling group of one pinned to a public subnet
 * (an AZ), owning an Elastic IP that every replacement instance re-associates at boot, so the address clients
 * and DNS know never changes. One DNS name per region (multivalue answers, one health-checked value per host)
 * is what Prosody's mod_external_services hands to clients, with credentials from the same secret.
 *
 * Why Elastic IPs and not a UDP network load balancer: a TURN server tells the client its relayed address
 * (XOR-RELAYED-ADDRESS) and peers send media straight to it, on ports 49152-65535; an NLB would have to forward
 * that whole range to the one host that owns each allocation, which listeners per port cannot express, and
 * coturn would need the NLB's address as its external-ip, shared by all hosts. With one public address per host
 * the mapping is 1:1 (coturn `external-ip=<EIP>/<private>`) and relay ports need no balancing.
 *
 * Certificate for TURNS: Let's Encrypt, requested on the host by certbot with DNS-01 through Route53 (port 80
 * stays closed). ACM certificates cannot be installed on a plain EC2 process (only ACM's paid "exportable"
 * certificates can be exported, with a passphrase). Details in docs/turn.md and render/turn-boot.ts.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../config/defaults";
import { PORTS } from "../config/ports";
import { agentConfigParameterName, renderCloudWatchAgentInstall } from "../render/cloudwatch-agent";
import { renderTurnBootScript, renderTurnCertDeployHook, renderTurnCertScript, renderTurnConfigScript, renderTurnUnits, TurnBootInput } from "../render/turn-boot";
import { renderTurnserverConf, TURNSERVER_DEFAULTS } from "../render/turnserver-conf";
import { debianAmiId, hostLaunchTemplate, hostRole } from "./host";
import { hostUserData, STAGING_DIR } from "./host-user-data";
import { publishRenderedFile } from "./rendered-files";

export interface TurnClusterArgs {
  /** Deployment name (SSM paths, resource names). */
  readonly deployment: string;
  /** AWS region of the hosts (plain: rendered into boot scripts). */
  readonly region: string;
  /** Public meeting domain; also the TURN realm. */
  readonly domain: string;
  /** The region's public TURN name, e.g. turn-us-east-1.meet.example.com (config/naming.ts turnHostname). */
  readonly hostname: string;
  /**
   * Public Route53 zone of the domain: DNS records and the DNS-01 challenge of the TURNS certificate.
   * @default none: no records, and TURNS serves a self-signed placeholder (a warning says so)
   */
  readonly hostedZoneId?: string;
  /** VPC of the region (the security group lives there). */
  readonly vpcId: pulumi.Input<string>;
  /** Public subnets, one per AZ; host i goes to subnet i mod count. */
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** SSM SecureString name of the TURN secret: the one JitsiShard's Prosody reads (config/naming.ts turnSecretParameter). */
  readonly turnSecretParameterName: string;
  /** ARN of that parameter (the only secret the hosts may read). */
  readonly turnSecretParameterArn: pulumi.Input<string>;
  /** Number of coturn hosts. @default 1 */
  readonly instances?: number;
  /** EC2 instance type of the hosts. @default "c5.large" */
  readonly instanceType?: pulumi.Input<string>;
  /** Root volume size in GiB (encrypted gp3). @default 16 */
  readonly rootVolumeGiB?: number;
  /** TURNS port, 5349 or 443. @default 5349 */
  readonly tlsPort?: number;
  /** UDP relay range, open to the world. @default 49152 */
  readonly relayPortMin?: number;
  /** Upper end of the UDP relay range. @default 65535 */
  readonly relayPortMax?: number;
  /** Concurrent allocations per credential username (see render/turnserver-conf.ts). @default 24 */
  readonly userQuota?: number;
  /** Concurrent allocations per host; 0 = unlimited. @default 2000 */
  readonly totalQuota?: number;
  /** Bytes/s per session and direction, 0 = unlimited. @default 0 */
  readonly maxBpsPerSession?: number;
  /** Refuse TCP relay allocations (RFC 6062); browsers relay media over UDP. @default true */
  readonly noTcpRelay?: boolean;
  /** Let's Encrypt account e-mail. @default none */
  readonly acmeEmail?: string;
  /** Tags for every resource. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Defaults resolved in one place; every bad field reported at once, before any child exists. */
export function resolveTurnClusterArgs(args: TurnClusterArgs) {
  const r = {
    ...args,
    instances: args.instances ?? DEFAULTS.turn.instances,
    instanceType: args.instanceType ?? DEFAULTS.turn.instanceType,
    rootVolumeGiB: args.rootVolumeGiB ?? 16,
    tlsPort: args.tlsPort ?? TURNSERVER_DEFAULTS.tlsListeningPort,
    relayPortMin: args.relayPortMin ?? TURNSERVER_DEFAULTS.minRelayPort,
    relayPortMax: args.relayPortMax ?? TURNSERVER_DEFAULTS.maxRelayPort,
    userQuota: args.userQuota ?? TURNSERVER_DEFAULTS.userQuota,
    totalQuota: args.totalQuota ?? TURNSERVER_DEFAULTS.totalQuota,
    maxBpsPerSession: args.maxBpsPerSession ?? TURNSERVER_DEFAULTS.maxBps,
    noTcpRelay: args.noTcpRelay ?? TURNSERVER_DEFAULTS.noTcpRelay,
    acmeEmail: args.acmeEmail ?? "",
  };
  const errors: { propertyPath: string; reason: string }[] = [];
  if (!Number.isInteger(r.instances) || r.instances < 1 || r.instances > 10) errors.push({ propertyPath: "instances", reason: `must be a whole number from 1 to 10, got ${r.instances}` });
  if (r.tlsPort !== 5349 && r.tlsPort !== 443) errors.push({ propertyPath: "tlsPort", reason: `must be 5349 or 443 (the TURNS ports open to the world), got ${r.tlsPort}` });
  if (!r.turnSecretParameterName.startsWith("/")) errors.push({ propertyPath: "turnSecretParameterName", reason: `must be an SSM parameter path, got '${r.turnSecretParameterName}'` });
  if (!/^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(r.hostname)) errors.push({ propertyPath: "hostname", reason: `must be a lower-case DNS name, got '${r.hostname}'` });
  if (errors.length === 0) {
    // The renderer checks ports, quotas and realm; its message names the field.
    try {
      renderTurnserverConf(confInput(r));
    } catch (e) {
      errors.push({ propertyPath: "turnserver.conf", reason: (e as Error).message });
    }
  }
  if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: `TurnCluster: invalid args`, errors });
  return r;
}
type Resolved = ReturnType<typeof resolveTurnClusterArgs>;

function confInput(r: Pick<Resolved, "domain" | "tlsPort" | "relayPortMin" | "relayPortMax" | "userQuota" | "totalQuota" | "maxBpsPerSession" | "noTcpRelay">) {
  return {
    realm: r.domain,
    listeningPort: PORTS.turn,
    tlsListeningPort: r.tlsPort,
    minRelayPort: r.relayPortMin,
    maxRelayPort: r.relayPortMax,
    userQuota: r.userQuota,
    totalQuota: r.totalQuota,
    maxBps: r.maxBpsPerSession,
    noTcpRelay: r.noTcpRelay,
  };
}

/** Per-host name: the certificate's second name and a DNS name for operators. */
export function turnHostCertName(hostname: string, index: number): string {
  const [first, ...rest] = hostname.split(".");
  return [`${first}-${index + 1}`, ...rest].join(".");
}


export class TurnCluster extends pulumi.ComponentResource {
  /** Elastic IPs of the hosts, in host order. */
  public readonly publicIps: pulumi.Output<string[]>;
  /** The name Prosody hands to clients. */
  public readonly hostname: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  /** One auto-scaling group of one per host. */
  public readonly autoScalingGroupNames: pulumi.Output<string>[];
  public readonly instanceRoleArn: pulumi.Output<string>;

  constructor(name: string, args: TurnClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:index:TurnCluster", name, {}, opts);
    const a = resolveTurnClusterArgs(args);
    const tags = pulumi.output(a.tags ?? {}).apply((t) => ({ ...t, "jitsi:role": "turn", "jitsi:turn-cluster": name }));
    if (!a.hostedZoneId)
      pulumi.log.warn(`${name}: no hostedZoneId, so no DNS record for ${a.hostname} and no TURNS certificate (UDP/TCP TURN only)`, this);

    // Only what TURN needs from the world (jitsi-facts.md: 3478 udp/tcp, TURNS) plus the relay ports peers send to.
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, { vpcId: a.vpcId, description: `coturn hosts of ${a.region}: STUN/TURN, TURNS, UDP relay ports`, tags }, { parent: this });
    const ingress: [string, "udp" | "tcp", number, number, string][] = [
      ["turn-udp", "udp", PORTS.turn, PORTS.turn, "STUN/TURN over UDP"],
      ["turn-tcp", "tcp", PORTS.turn, PORTS.turn, "STUN/TURN over TCP"],
      ["turns", "tcp", a.tlsPort, a.tlsPort, "TURN over TLS"],
      ["relay-udp", "udp", a.relayPortMin, a.relayPortMax, "UDP relay endpoints (peers send media here)"],
      ...(a.noTcpRelay ? [] : [["relay-tcp", "tcp", a.relayPortMin, a.relayPortMax, "TCP relay endpoints (RFC 6062)"] as [string, "tcp", number, number, string]]),
    ];
    for (const [label, proto, from, to, description] of ingress)
      new aws.vpc.SecurityGroupIngressRule(`${name}-${label}`, { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: proto, fromPort: from, toPort: to, description }, { parent: this });
    new aws.vpc.SecurityGroupEgressRule(`${name}-egress`, { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "-1", description: "relayed media to peers anywhere; packages, SSM, Let's Encrypt" }, { parent: this });

    const eips = Array.from({ length: a.instances }, (_, i) => new aws.ec2.Eip(`${name}-eip-${i + 1}`, { domain: "vpc", tags: tags.apply((t) => ({ ...t, Name: turnHostCertName(a.hostname, i) })) }, { parent: this }));

    const caller = aws.getCallerIdentityOutput({}, { parent: this });
    const zoneArn = a.hostedZoneId ? `arn:aws:route53:::hostedzone/${a.hostedZoneId}` : undefined;
    const certNames = [a.hostname, ...eips.map((_, i) => turnHostCertName(a.hostname, i))];
    const agentParam = agentConfigParameterName(a.deployment, "turn");
    const { role, profile } = hostRole(name, this, {
      secretParameterArns: [a.turnSecretParameterArn],
      statements: pulumi.all([caller.accountId, ...eips.map((e) => e.allocationId)]).apply(([account, ...allocs]) => [
        {
          Sid: "OwnElasticIps",
          Effect: "Allow",
          // Only this cluster's addresses can be moved, onto an instance or its interface in this region.
          Action: ["ec2:AssociateAddress"],
          Resource: [...allocs.map((id) => `arn:aws:ec2:${a.region}:${account}:elastic-ip/${id}`), `arn:aws:ec2:${a.region}:${account}:instance/*`, `arn:aws:ec2:${a.region}:${account}:network-interface/*`],
        },
        { Sid: "CloudWatchAgentConfig", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: `arn:aws:ssm:${a.region}:${account}:parameter${agentParam}` },
        ...(zoneArn
          ? [
              {
                Sid: "AcmeDnsChallenge",
                Effect: "Allow",
                Action: ["route53:ChangeResourceRecordSets"],
                Resource: zoneArn,
                // certbot-dns-route53 may only write the TXT challenge records of this cluster's names.
                Condition: {
                  "ForAllValues:StringEquals": {
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": certNames.map((n) => `_acme-challenge.${n}`),
                    "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
                  },
                },
              },
              { Sid: "AcmeDnsChange", Effect: "Allow", Action: ["route53:GetChange"], Resource: "arn:aws:route53:::change/*" },
              // ListHostedZones has no resource-level permission: AWS requires "*".
              { Sid: "AcmeFindZone", Effect: "Allow", Action: ["route53:ListHostedZones"], Resource: "*" },
            ]
          : []),
      ]),
      tags,
    });

    const baseConf = renderTurnserverConf(confInput(a));
    publishRenderedFile({ region: a.region, component: name, path: "turnserver.conf", content: baseConf });
    const subnets = pulumi.output(a.publicSubnetIds);
    const imageId = debianAmiId(this);

    const groups = eips.map((eip, i) => {
      const host = `${name}-${i + 1}`;
      const userData = pulumi.all([eip.allocationId, eip.publicIp]).apply(([allocationId, publicIp]) => {
        const input: TurnBootInput = {
          region: a.region,
          hostname: a.hostname,
          hostCertName: turnHostCertName(a.hostname, i),
          eipAllocationId: allocationId,
          publicIp,
          turnSecretParameter: a.turnSecretParameterName,
          tlsListeningPort: a.tlsPort,
          acmeEmail: a.acmeEmail,
          stagingDir: STAGING_DIR,
          issueCertificate: Boolean(a.hostedZoneId),
          cloudWatchAgentInstall: renderCloudWatchAgentInstall({ region: a.region, parameterName: agentParam }),
        };
        const staged: Record<string, [string, string]> = {
          "turnserver.conf": [baseConf, "0644"],
          "boot.sh": [renderTurnBootScript(input), "0700"],
          "turn-config.sh": [renderTurnConfigScript(input), "0700"],
          "turn-cert.sh": [renderTurnCertScript(input), "0700"],
          "turn-cert-deploy.sh": [renderTurnCertDeployHook(), "0700"],
          ...Object.fromEntries(Object.entries(renderTurnUnits(input)).map(([f, c]) => [f, [c, "0644"] as [string, string]])),
        };
        return hostUserData({
          region: a.region,
          component: name,
          packages: ["awscli", "curl", "ca-certificates"],
          staged: Object.fromEntries(Object.entries(staged).map(([f, [content, permissions]]) => [f, { content, permissions }])),
          // The base turnserver.conf is the same for every host: published once, beside the hosts' folders.
          unpublished: ["turnserver.conf"],
          publishPrefix: `host-${i + 1}/`,
          what: host,
        });
      });
      const lt = hostLaunchTemplate(host, this, {
        instanceType: a.instanceType,
        imageId,
        securityGroupIds: [sg.id],
        instanceProfileArn: profile.arn,
        userData,
        rootVolumeGiB: a.rootVolumeGiB,
        // A temporary public address until boot.sh moves the Elastic IP onto the instance.
        associatePublicIp: true,
        tags,
      });
      return new aws.autoscaling.Group(
        `${host}-asg`,
        {
          // A group of one per Elastic IP: EC2 health checks replace a failed host, which takes over the address.
          minSize: 1,
          maxSize: 1,
          desiredCapacity: 1,
          vpcZoneIdentifiers: subnets.apply((ids) => {
            if (ids.length === 0) throw new Error(`${name}: publicSubnetIds is empty`);
            return [ids[i % ids.length]];
          }),
          healthCheckType: "EC2",
          healthCheckGracePeriod: 600,
          launchTemplate: { id: lt.id, version: "$Latest" },
          instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 0 } },
          tags: tags.apply((t) => Object.entries({ ...t, Name: `${a.deployment}-${turnHostCertName(a.hostname, i).split(".")[0]}` }).map(([key, value]) => ({ key, value, propagateAtLaunch: true }))),
        },
        { parent: this },
      );
    });

    if (a.hostedZoneId) {
      const zoneId = a.hostedZoneId;
      eips.forEach((eip, i) => {
        // TCP 3478 answers when coturn runs (Route53 cannot health-check UDP); an unhealthy host leaves the answers.
        const health = new aws.route53.HealthCheck(`${name}-health-${i + 1}`, { type: "TCP", ipAddress: eip.publicIp, port: PORTS.turn, failureThreshold: 3, requestInterval: 30, tags: tags.apply((t) => ({ ...t, Name: turnHostCertName(a.hostname, i) })) }, { parent: this });
        new aws.route53.Record(`${name}-dns-${i + 1}`, { zoneId, name: a.hostname, type: "A", ttl: 60, records: [eip.publicIp], setIdentifier: `${a.region}-${i + 1}`, multivalueAnswerRoutingPolicy: true, healthCheckId: health.id }, { parent: this });
        new aws.route53.Record(`${name}-host-dns-${i + 1}`, { zoneId, name: turnHostCertName(a.hostname, i), type: "A", ttl: 300, records: [eip.publicIp] }, { parent: this });
      });
    }

    this.publicIps = pulumi.all(eips.map((e) => e.publicIp));
    this.hostname = pulumi.output(a.hostname);
    this.securityGroupId = sg.id;
    this.autoScalingGroupNames = groups.map((g) => g.name);
    this.instanceRoleArn = role.arn;
    this.registerOutputs({ publicIps: this.publicIps, hostname: this.hostname, securityGroupId: this.securityGroupId, autoScalingGroupNames: this.autoScalingGroupNames, instanceRoleArn: this.instanceRoleArn });
  }
}
