/**
 * Least-privilege IAM: no wildcard actions anywhere, and `"Resource": "*"` only for actions AWS cannot
 * scope to a resource. Documents are read from every resource type that carries one.
 */
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { configWithDefaults, DEFAULT_LEVELS, DEFAULT_STAR_RESOURCE_ACTIONS, stringList } from "./config";
import { globRegex, iamStatements, IamStatement, list, obj } from "./props";

/** Identity policies: what a role/user/group may do. */
const IDENTITY_DOC_TYPES = [
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/policy:Policy",
  "aws:iam/userPolicy:UserPolicy",
  "aws:iam/groupPolicy:GroupPolicy",
];
/** Resource policies: what others may do to a bucket/queue/topic. */
const RESOURCE_DOC_TYPES = ["aws:s3/bucketPolicy:BucketPolicy", "aws:sqs/queuePolicy:QueuePolicy", "aws:sns/topicPolicy:TopicPolicy"];

/** The IAM documents of a resource, each with a label saying where it sits. */
function documents(args: ResourceValidationArgs, types: string[], roleInline: boolean): { where: string; doc: unknown }[] {
  if (types.includes(args.type)) return [{ where: "policy", doc: args.props.policy }];
  if (roleInline && args.type === "aws:iam/role:Role")
    return list<Record<string, unknown>>(args.props.inlinePolicies).map((p, i) => ({
      where: `inlinePolicies[${i}] (${String(obj(p)?.name ?? "unnamed")})`,
      doc: obj(p)?.policy,
    }));
  return [];
}

function label(s: IamStatement, i: number): string {
  return s.sid ? `statement ${i} (${s.sid})` : `statement ${i}`;
}

/** Reads statements, reporting an unreadable document instead of skipping it silently. */
function statementsOrReport(doc: unknown, where: string, report: (m: string) => void): IamStatement[] {
  try {
    return iamStatements(doc);
  } catch (e) {
    report(`${where}: ${(e as Error).message}.`);
    return [];
  }
}

/** "*" or "<service>:*": every action (of a service). */
function isWildcardAction(a: string): boolean {
  return a === "*" || /^[a-z0-9-]+:\*$/i.test(a);
}

/** AWS managed policies that grant whole services ("*FullAccess", admin, power user). */
function isBroadManagedPolicy(arn: unknown): boolean {
  return typeof arn === "string" && /^arn:aws[\w-]*:iam::aws:policy\/(.*\/)?(AdministratorAccess|PowerUserAccess|[\w-]*FullAccess)$/.test(arn);
}

export const iamNoWildcardAction: ResourceValidationPolicy = {
  name: "iam-no-wildcard-action",
  description: 'Checks whether any IAM statement allows "*" or "<service>:*" actions, NotAction, or a full-access AWS managed policy.',
  enforcementLevel: DEFAULT_LEVELS.security,
  severity: "critical",
  validateResource: (args, report) => {
    for (const { where, doc } of [...documents(args, IDENTITY_DOC_TYPES, true), ...documents(args, RESOURCE_DOC_TYPES, false)]) {
      statementsOrReport(doc, where, report).forEach((s, i) => {
        if (s.effect !== "Allow") return; // a Deny with wildcards only narrows access
        const wild = s.actions.filter(isWildcardAction);
        if (wild.length > 0) report(`${where} ${label(s, i)} allows wildcard action ${wild.join(", ")}; list the actions needed.`);
        if (s.notActions.length > 0) report(`${where} ${label(s, i)} allows NotAction, i.e. every other action; list the actions needed.`);
      });
    }
    const attached =
      args.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" || args.type === "aws:iam/policyAttachment:PolicyAttachment"
        ? [args.props.policyArn]
        : args.type === "aws:iam/role:Role"
          ? list(args.props.managedPolicyArns)
          : [];
    for (const arn of attached.filter(isBroadManagedPolicy))
      report(`attaches AWS managed policy ${String(arn)}, which grants whole services; write a least-privilege policy instead.`);
  },
};

const starSchema = {
  properties: {
    starResourceActions: stringList(
      DEFAULT_STAR_RESOURCE_ACTIONS,
      'Actions (globs) that AWS does not scope to a resource, so "Resource": "*" is required for them.',
    ),
  },
};

/** True when every action the statement's pattern can match is in the allow-list. */
function actionNeedsStar(action: string, allowed: string[]): boolean {
  if (!action.includes("*") && !action.includes("?")) return allowed.some((g) => globRegex(g).test(action));
  // A pattern in the statement ("ec2:Describe*") is fine when an allowed glob covers its whole prefix.
  const prefix = action.split(/[*?]/)[0].toLowerCase();
  return allowed.some((g) => g.endsWith("*") && !g.slice(0, -1).includes("*") && prefix.startsWith(g.slice(0, -1).toLowerCase()));
}

/** "*" or an ARN whose resource part is "*" (e.g. arn:aws:s3:::*, arn:aws:ssm:*:*:*): every resource of a service. */
function isStarResource(r: string): boolean {
  if (r === "*") return true;
  const parts = r.split(":");
  return parts.length >= 6 && parts[0] === "arn" && parts.slice(5).join(":") === "*";
}

export const iamStarResource: ResourceValidationPolicy = {
  name: "iam-star-resource",
  description: 'Checks whether IAM statements use "Resource": "*" (or an ARN ending in ":*", or NotResource) only for actions AWS cannot scope to a resource.',
  enforcementLevel: DEFAULT_LEVELS.security,
  severity: "high",
  configSchema: starSchema,
  validateResource: (args, report) => {
    const docs = documents(args, IDENTITY_DOC_TYPES, true);
    if (docs.length === 0) return;
    const { starResourceActions } = configWithDefaults<{ starResourceActions: string[] }>(starSchema, () => args.getConfig());
    for (const { where, doc } of docs) {
      statementsOrReport(doc, where, report).forEach((s, i) => {
        if (s.effect !== "Allow") return;
        if (s.notResources.length > 0) report(`${where} ${label(s, i)} uses NotResource; name the resources instead.`);
        if (!s.resources.some(isStarResource)) return;
        const scoped = s.actions.filter((a) => !actionNeedsStar(a, starResourceActions));
        if (scoped.length > 0)
          report(`${where} ${label(s, i)} grants ${scoped.join(", ")} on "*"; these actions accept resource ARNs, so name them.`);
      });
    }
  },
};

export const IAM_POLICIES = [iamNoWildcardAction, iamStarResource];
