/**
 * The teardown Lambda as shipped: the CallbackFunction's serialized factory, loaded as a standalone module (from
 * inside the repository, so `require("@aws-sdk/…")` resolves as the Lambda runtime's SDK would), run against a
 * mocked SDK with the environment the component sets.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, EC2Client, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { makeTeardownHandler, TEARDOWN_ENV } from "../../functions/loadtest-teardown/handler";
import { REPO_ROOT } from "../helpers/env";

describe("load test teardown: the shipped archive runs", function () {
  this.timeout(60_000);
  // Created in before(), not at load time: other files mock the same clients (mocha loads every file first).
  let asg: AwsClientStub<AutoScalingClient>;
  let ec2: AwsClientStub<EC2Client>;
  before(() => {
    asg = mockClient(AutoScalingClient);
    ec2 = mockClient(EC2Client);
  });
  after(() => {
    asg.restore();
    ec2.restore();
  });

  it("serializes without @pulumi, reads its environment, and scales an expired grid to zero", async () => {
    const { text, exportName } = await pulumi.runtime.serializeFunction(makeTeardownHandler, { isFactoryFunction: true });
    assert.ok(!/require\("@pulumi\//.test(text), "the archive would pull in @pulumi");
    assert.match(text, /@aws-sdk\/client-auto-scaling/);
    const dir = fs.mkdtempSync(path.join(REPO_ROOT, "node_modules", ".cache-loadtest-"));
    const saved = Object.fromEntries(Object.values(TEARDOWN_ENV).map((k) => [k, process.env[k]]));
    try {
      fs.writeFileSync(path.join(dir, "index.js"), text);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const handler = require(path.join(dir, "index.js"))[exportName] as () => Promise<{ status: string; actions: string[] }>;
      process.env[TEARDOWN_ENV.nodeGroup] = "lt-nodes";
      process.env[TEARDOWN_ENV.hubInstanceId] = "i-0abc";
      process.env[TEARDOWN_ENV.maxDurationMinutes] = "60";
      // Created two hours ago: past the 60 min budget.
      asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ AutoScalingGroupName: "lt-nodes", CreatedTime: new Date(Date.now() - 2 * 3600_000), DesiredCapacity: 4, MinSize: 0, MaxSize: 4 } as never] });
      asg.on(UpdateAutoScalingGroupCommand).resolves({});
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: "i-0abc", State: { Name: "running", Code: 16 } }] }] });
      ec2.on(StopInstancesCommand).resolves({});
      const log = console.log;
      console.log = () => undefined;
      let res;
      try {
        res = await handler();
      } finally {
        console.log = log;
      }
      assert.strictEqual(res.status, "teardown");
      assert.deepStrictEqual(asg.commandCalls(UpdateAutoScalingGroupCommand).map((c) => c.args[0].input), [{ AutoScalingGroupName: "lt-nodes", MinSize: 0, DesiredCapacity: 0 }]);
      assert.deepStrictEqual(ec2.commandCalls(StopInstancesCommand).map((c) => c.args[0].input), [{ InstanceIds: ["i-0abc"] }]);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
