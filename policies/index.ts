/**
 * The CrossGuard pack entry, run by the Pulumi CLI: `pulumi preview --policy-pack policies`.
 * Constructing a PolicyPack starts a gRPC server and may exist once per process (pulumi-notes.md), so
 * nothing else imports this file: tests and tools/policy.ts import policies/all.ts instead.
 */
import { PolicyPack } from "@pulumi/policy";
import { ALL_POLICIES, PACK_NAME } from "./all";

new PolicyPack(PACK_NAME, {
  description: "Security rules and Jitsi invariants for the jitsi-aws components (docs/policies.md).",
  // Policies carry their own levels (config.ts); anything without one is advisory, the SDK's default.
  enforcementLevel: "advisory",
  policies: ALL_POLICIES,
});
