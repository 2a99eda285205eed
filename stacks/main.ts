/**
 * Entry point of `pulumi up` (Pulumi.yaml main). Parses the stack config once, then builds the program.
 */
import * as pulumi from "@pulumi/pulumi";
import { configFromRuntime, parseConfig } from "../config/parse";
import { jitsiProgram } from "./program";

const config = parseConfig(configFromRuntime(pulumi.runtime.allConfig()));
const outputs = jitsiProgram(config);
export const regions = outputs.regions;
