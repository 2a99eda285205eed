/**
 * What the config may name from AWS: regions (with how many AZs they offer for new subnets) and the EC2
 * instance types this project supports, with the figures the simulator and cost estimates use.
 * Source of prices: jitsi-facts.md (on-demand us-east-1, 2025); other figures from the EC2 type pages.
 */

/** Commercial regions and the number of AZs a new VPC can use (AWS "Regions and Zones" page, 2025). */
export const AWS_REGIONS: Readonly<Record<string, number>> = {
  "us-east-1": 6, "us-east-2": 3, "us-west-1": 2, "us-west-2": 4,
  "ca-central-1": 3, "sa-east-1": 3,
  "eu-west-1": 3, "eu-west-2": 3, "eu-west-3": 3, "eu-central-1": 3, "eu-north-1": 3, "eu-south-1": 3,
  "ap-south-1": 3, "ap-southeast-1": 3, "ap-southeast-2": 3, "ap-northeast-1": 4, "ap-northeast-2": 4,
  "ap-northeast-3": 3, "ap-east-1": 3, "me-south-1": 3, "af-south-1": 3,
};

export interface InstanceTypeInfo {
  readonly vcpu: number;
  readonly memoryGiB: number;
  /** On-demand USD per hour in us-east-1. */
  readonly usdPerHour: number;
}

/** Instance types the components accept. Prices: jitsi-facts.md where listed, else AWS on-demand list 2025. */
export const INSTANCE_TYPES: Readonly<Record<string, InstanceTypeInfo>> = {
  "t3.small": { vcpu: 2, memoryGiB: 2, usdPerHour: 0.0208 },
  "t3.medium": { vcpu: 2, memoryGiB: 4, usdPerHour: 0.0416 },
  "t3.large": { vcpu: 2, memoryGiB: 8, usdPerHour: 0.0832 },
  "c5.large": { vcpu: 2, memoryGiB: 4, usdPerHour: 0.085 },
  "c5.xlarge": { vcpu: 4, memoryGiB: 8, usdPerHour: 0.17 },
  "c5.2xlarge": { vcpu: 8, memoryGiB: 16, usdPerHour: 0.34 },
  "c5.4xlarge": { vcpu: 16, memoryGiB: 32, usdPerHour: 0.68 },
  "c6i.large": { vcpu: 2, memoryGiB: 4, usdPerHour: 0.085 },
  "c6i.xlarge": { vcpu: 4, memoryGiB: 8, usdPerHour: 0.17 },
  "c6i.2xlarge": { vcpu: 8, memoryGiB: 16, usdPerHour: 0.34 },
  "c6i.4xlarge": { vcpu: 16, memoryGiB: 32, usdPerHour: 0.68 },
  "c7i.xlarge": { vcpu: 4, memoryGiB: 8, usdPerHour: 0.1785 },
  "c7i.2xlarge": { vcpu: 8, memoryGiB: 16, usdPerHour: 0.357 },
  "m5.large": { vcpu: 2, memoryGiB: 8, usdPerHour: 0.096 },
  "m5.xlarge": { vcpu: 4, memoryGiB: 16, usdPerHour: 0.192 },
  "m5.2xlarge": { vcpu: 8, memoryGiB: 32, usdPerHour: 0.384 },
  "m6i.large": { vcpu: 2, memoryGiB: 8, usdPerHour: 0.096 },
  "m6i.xlarge": { vcpu: 4, memoryGiB: 16, usdPerHour: 0.192 },
};

export const REGION_NAMES = Object.keys(AWS_REGIONS);
export const INSTANCE_TYPE_NAMES = Object.keys(INSTANCE_TYPES);
