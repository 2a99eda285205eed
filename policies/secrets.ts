/**
 * No secret in EC2 user data or Lambda environment variables: both are readable in plain text by anyone
 * who can describe the instance/function, and Pulumi stores user data in the state (pulumi-notes.md).
 * Secrets belong in SSM SecureString parameters read at boot / at run time.
 */
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULT_LEVELS, SECRET_MARKER } from "./config";
import { decodeUserData, obj } from "./props";

/** Values that are secrets by their shape, whatever they are called. */
const SECRET_SHAPES: { what: string; re: RegExp }[] = [
  { what: "an AWS access key id", re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { what: "a private key", re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { what: "a GitHub token", re: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
  { what: "a Slack token", re: /\bxox[abpr]-[A-Za-z0-9-]{10,}/ },
];

/** Names that say "this holds a secret" (the name ends with the word). */
const SECRET_NAME = /(password|passwd|secret|token|api[_-]?key|private[_-]?key|credentials?)$/i;

/**
 * A value that points at a secret instead of holding one: a shell/template variable or substitution, a
 * function call (`os.getenv("…")`), an SSM path, an ARN, a file path, or a boolean/flag.
 */
function isReference(value: string): boolean {
  return (
    value === SECRET_MARKER ||
    /^(\$|\{\{|%|<|\/|arn:|ssm:|resolve:|file:|env:)/i.test(value) ||
    /[()]/.test(value) ||
    /^(true|false|yes|no|on|off|null|none|required)$/i.test(value)
  );
}

/** `name = value`, `name: value`, `"name": "value"` assignments. */
const ASSIGNMENT = /([A-Za-z0-9_.-]+)["']?[ \t]*[:=][ \t]*["']?([^\s"',;}\\]*)/g;
/** `--name value` / `--name "value"` command-line flags. */
const FLAG = /--([A-Za-z0-9_.-]+)[ \t]+["']?([^\s"',;}\\-][^\s"',;}\\]*)/g;

/** Findings of secret-looking content in a text, as short phrases (never the value itself). */
export function secretFindings(text: string): string[] {
  const found: string[] = [];
  if (text.includes(SECRET_MARKER)) found.push("a Pulumi secret is interpolated into it");
  for (const { what, re } of SECRET_SHAPES) if (re.test(text)) found.push(`it contains ${what}`);
  for (const m of [...text.matchAll(ASSIGNMENT), ...text.matchAll(FLAG)]) {
    const [, name, value] = m;
    if (SECRET_NAME.test(name) && value.length >= 8 && !isReference(value)) found.push(`${name} is set to a literal value`);
  }
  return [...new Set(found)];
}

function lambdaFindings(args: ResourceValidationArgs): string[] {
  const vars = obj(obj(args.props.environment)?.variables);
  if (!vars) return [];
  const found: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    if (text === SECRET_MARKER) {
      found.push(`variable ${name} holds a Pulumi secret`);
      continue;
    }
    for (const f of secretFindings(text)) found.push(`variable ${name}: ${f}`);
    // A variable named like a secret must point at one (SSM path, ARN), not hold it.
    if (SECRET_NAME.test(name) && text.length >= 8 && !isReference(text)) found.push(`variable ${name} holds a literal value`);
  }
  return [...new Set(found)];
}

export const noPlaintextSecrets: ResourceValidationPolicy = {
  name: "no-plaintext-secrets",
  description: "Checks whether EC2 user data or Lambda environment variables contain secret-looking values.",
  enforcementLevel: DEFAULT_LEVELS.security,
  severity: "critical",
  validateResource: (args, report) => {
    const p = args.props;
    let findings: string[] = [];
    let where = "";
    if (args.type === "aws:ec2/launchTemplate:LaunchTemplate") {
      where = "userData";
      findings = secretFindings(decodeUserData(p.userData));
    } else if (args.type === "aws:ec2/instance:Instance") {
      where = "userData";
      findings = [...secretFindings(String(p.userData ?? "")), ...secretFindings(decodeUserData(p.userDataBase64))];
    } else if (args.type === "aws:lambda/function:Function") {
      where = "environment";
      findings = lambdaFindings(args);
    }
    for (const f of findings)
      report(`${where}: ${f}; keep secrets in an SSM SecureString parameter and read it at boot / run time.`);
  },
};

export const SECRET_POLICIES = [noPlaintextSecrets];
