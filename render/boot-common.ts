/**
 * Shell functions every host's boot script shares: IMDSv2 metadata and SSM SecureString reads.
 * Secrets are read at boot with the instance role, written only to root-owned files, never echoed.
 */

/** Bash functions: `imds <path>` and `ssm_secret <name> [region]`. */
export const BOOT_FUNCTIONS = `imds() {
  # IMDSv2 only: a session token first (hop limit 1 keeps containers out).
  local token
  token=$(curl -fsS -X PUT "http://169.254.169.254/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
  curl -fsS -H "X-aws-ec2-metadata-token: \${token}" "http://169.254.169.254/latest/meta-data/$1"
}

ssm_secret() {
  # Prints a SecureString parameter; retried because IAM and SSM can lag a fresh instance.
  local name="$1" region="\${2:-\${AWS_REGION}}" attempt
  for attempt in 1 2 3 4 5 6; do
    if aws ssm get-parameter --region "\${region}" --with-decryption --name "\${name}" \\
        --query Parameter.Value --output text 2>/dev/null; then
      return 0
    fi
    sleep $((attempt * 5))
  done
  echo "cannot read SSM parameter \${name} in \${region}" >&2
  return 1
}
`;

/** Quotes a value for a single-quoted bash string. */
export function shQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}
