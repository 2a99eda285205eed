import { z } from "zod";
import { DEFAULTS } from "../defaults";
import { instanceType, intRange } from "../fields";

const D = DEFAULTS.edge;

/** `regions[i].edge`: the region's HAProxy tier. */
export const edgeSchema = z
  .strictObject({
    instances: intRange(2, 10).default(D.instances),
    instanceType: instanceType().default(D.instanceType),
  })
  .prefault({});
export type EdgeConfig = z.output<typeof edgeSchema>;
