/**
 * Every policy of the pack, in report order. The pack entry (index.ts), the offline runner
 * (tools/policy.ts) and the tests all read this list, so they can never disagree.
 */
import { Policies } from "@pulumi/policy";
import { IAM_POLICIES } from "./iam";
import { JITSI_GROUP_POLICIES, regionCidrsDisjoint, turnSecretIsSecret } from "./jitsi";
import { SECRET_POLICIES } from "./secrets";
import { SECURITY_POLICIES } from "./security";
import { STORAGE_POLICIES } from "./storage";

export const PACK_NAME = "jitsi-aws";

export const ALL_POLICIES: Policies = [
  ...SECURITY_POLICIES,
  ...IAM_POLICIES,
  ...SECRET_POLICIES,
  ...STORAGE_POLICIES,
  turnSecretIsSecret,
  ...JITSI_GROUP_POLICIES,
  regionCidrsDisjoint,
];
