/**
 * Generated secrets: a random value kept as a Pulumi secret and stored as an SSM SecureString, so hosts read
 * it at boot with their instance role. The value never appears in user data, logs or Lambda environments.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

export interface GeneratedSecretArgs {
  /** SSM parameter name, e.g. /jitsi/prod/us-east-1/us-east-1-s1/jvb. */
  readonly parameterName: string;
  readonly description: string;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface GeneratedSecret {
  readonly parameter: aws.ssm.Parameter;
  readonly value: pulumi.Output<string>;
}

export function generatedSecret(name: string, parent: pulumi.Resource, args: GeneratedSecretArgs): GeneratedSecret {
  // Letters and digits only: the value is written into Lua, HOCON and env files without escaping.
  const password = new random.RandomPassword(`${name}-value`, { length: 40, special: false }, { parent });
  const value = pulumi.secret(password.result);
  const parameter = new aws.ssm.Parameter(
    `${name}-param`,
    {
      name: args.parameterName,
      type: "SecureString",
      value,
      description: args.description,
      tags: args.tags,
    },
    { parent },
  );
  return { parameter, value };
}
