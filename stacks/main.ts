/**
 * Entry point of `pulumi up` (Pulumi.yaml main). Parses the stack config once, then builds the program.
 * Exports `peers` (every deployed region) and, for a stack that deploys one region, `peer`, which the
 * other regions' stacks read in stack-per-region mode.
 */
import * as pulumi from "@pulumi/pulumi";
import { configFromRuntime, parseConfig } from "../config/parse";
import { jitsiProgram } from "./program";

const config = parseConfig(configFromRuntime(pulumi.runtime.allConfig()));
const outputs = jitsiProgram(config);
export const peers = outputs.then((o) => o.peers);
export const peer = outputs.then((o) => (Object.keys(o.peers).length === 1 ? Object.values(o.peers)[0] : undefined));
/** Load-test stacks (`jitsi:loadtest`): hub, node group, reports bucket, dashboard and cost per grid region. */
export const loadtest = outputs.then((o) => o.loadtest);
