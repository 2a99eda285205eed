/**
 * User data of the load-test grid (components/torture-grid.ts): the Selenium hub (router + the Malleus runner)
 * and the browser nodes (Google Chrome + a Selenium node registered with the hub). Pure text renderers.
 * Selenium 4 grid ports: 4444 (router/WebDriver), 4442/4443 (event bus, nodes → hub), 5555 (node, hub → node).
 */
import { renderCloudConfig } from "./cloud-config";
import { shQuote } from "./boot-common";

export const GRID_PORTS = { router: 4444, eventBusPublish: 4442, eventBusSubscribe: 4443, node: 5555 } as const;
const SELENIUM_DIR = "/opt/selenium";
export const RUNNER_PATH = "/opt/loadtest/run-torture.sh";

function seleniumJarUrl(version: string): string {
  if (!/^4\.\d{1,3}\.\d{1,3}$/.test(version)) throw new Error(`seleniumVersion must look like 4.27.0 (got ${version})`);
  // SeleniumHQ publishes the server jar on its GitHub releases, tagged selenium-<major.minor.0>.
  const [maj, min] = version.split(".");
  return `https://github.com/SeleniumHQ/selenium/releases/download/selenium-${maj}.${min}.0/selenium-server-${version}.jar`;
}

function unit(description: string, exec: string, after = "network-online.target"): string {
  return `[Unit]
Description=${description}
After=${after}
Wants=network-online.target

[Service]
User=selenium
ExecStart=${exec}
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
`;
}

const SELENIUM_INSTALL = (version: string) => `id selenium >/dev/null 2>&1 || useradd --system --create-home --home-dir ${SELENIUM_DIR} selenium
curl -fsSL --retry 5 -o ${SELENIUM_DIR}/selenium-server.jar ${shQuote(seleniumJarUrl(version))}
chown -R selenium:selenium ${SELENIUM_DIR}`;

export interface HubBootInput {
  readonly seleniumVersion: string;
  /** The runner script text (render/torture-runner.ts). */
  readonly runner: string;
  /** Start the runner once the hub is up. */
  readonly autoStart: boolean;
}

export interface RenderedBoot {
  readonly userData: string;
  /** Files for the plan (files/<region>/<component>/). */
  readonly files: Record<string, string>;
}

export function renderHubBoot(i: HubBootInput): RenderedBoot {
  const boot = `#!/bin/bash
# Selenium hub + Malleus runner (render/torture-boot.ts).
set -euo pipefail
${SELENIUM_INSTALL(i.seleniumVersion)}
install -d -o selenium -g selenium /opt/loadtest
systemctl daemon-reload
systemctl enable --now selenium-hub.service
${i.autoStart ? "systemctl start --no-block torture-runner.service" : "echo 'autoStart is off: start the run with systemctl start torture-runner'"}
`;
  const files: Record<string, string> = {
    "boot.sh": boot,
    "run-torture.sh": i.runner,
    "selenium-hub.service": unit("Selenium Grid hub (router, distributor, event bus)", `/usr/bin/java -jar ${SELENIUM_DIR}/selenium-server.jar hub --port ${GRID_PORTS.router}`),
    "torture-runner.service": `[Unit]
Description=Jitsi Torture (Malleus) load-test run
After=selenium-hub.service
Requires=selenium-hub.service

[Service]
Type=oneshot
User=selenium
Environment=LOADTEST_WORKDIR=/opt/loadtest
ExecStart=${RUNNER_PATH}
`,
  };
  const userData = renderCloudConfig({
    // Maven + JDK build and run jitsi-meet-torture; jq reads the grid status; python3 parses the JUnit XML.
    packages: ["openjdk-17-jdk-headless", "maven", "git", "jq", "curl", "python3", "awscli", "ca-certificates"],
    writeFiles: [
      { path: "/opt/loadtest-boot/boot.sh", content: boot, permissions: "0700" },
      { path: RUNNER_PATH, content: i.runner, permissions: "0755" },
      { path: "/etc/systemd/system/selenium-hub.service", content: files["selenium-hub.service"] },
      { path: "/etc/systemd/system/torture-runner.service", content: files["torture-runner.service"] },
    ],
    runcmd: [["/opt/loadtest-boot/boot.sh"]],
  });
  return { userData, files: { ...files, "user-data.yaml": userData } };
}

export interface NodeBootInput {
  readonly seleniumVersion: string;
  /** Hub's private address. */
  readonly hubHost: string;
  /** Browser sessions per node (sim/loadtest-sizing.ts sessionsPerNode). */
  readonly maxSessions: number;
  readonly tortureRepo: string;
  readonly tortureRef: string;
}

export function renderNodeBoot(i: NodeBootInput): RenderedBoot {
  if (!Number.isInteger(i.maxSessions) || i.maxSessions < 1) throw new Error(`maxSessions must be a whole number >= 1 (got ${i.maxSessions})`);
  const boot = `#!/bin/bash
# Selenium browser node (render/torture-boot.ts): Google Chrome, the torture's fake media, a node for the hub.
set -euo pipefail
install -d -m 0755 /etc/apt/keyrings
curl -fsSL --retry 5 https://dl.google.com/linux/linux_signing_key.pub | gpg --dearmor -o /etc/apt/keyrings/google-chrome.gpg
echo "deb [arch=amd64 signed-by=/etc/apt/keyrings/google-chrome.gpg] https://dl.google.com/linux/chrome/deb/ stable main" >/etc/apt/sources.list.d/google-chrome.list
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q google-chrome-stable
${SELENIUM_INSTALL(i.seleniumVersion)}
# Malleus points Chrome at remote.resource.path=/usr/share/jitsi-meet-torture for its fake camera/microphone.
src=$(mktemp -d)
git init -q "\${src}"
git -C "\${src}" fetch -q --depth 1 ${shQuote(i.tortureRepo)} ${shQuote(i.tortureRef)}
git -C "\${src}" checkout -q --detach FETCH_HEAD
install -d /usr/share/jitsi-meet-torture
cp -r "\${src}/resources" /usr/share/jitsi-meet-torture/
rm -rf "\${src}"
systemctl daemon-reload
systemctl enable --now selenium-node.service
`;
  const nodeUnit = unit(
    "Selenium Grid browser node",
    `/usr/bin/java -jar ${SELENIUM_DIR}/selenium-server.jar node --hub http://${i.hubHost}:${GRID_PORTS.router} --max-sessions ${i.maxSessions} --override-max-sessions true --port ${GRID_PORTS.node}`,
  );
  const userData = renderCloudConfig({
    packages: ["openjdk-17-jre-headless", "git", "curl", "gnupg", "ca-certificates"],
    writeFiles: [
      { path: "/opt/loadtest-boot/boot.sh", content: boot, permissions: "0700" },
      { path: "/etc/systemd/system/selenium-node.service", content: nodeUnit },
    ],
    runcmd: [["/opt/loadtest-boot/boot.sh"]],
  });
  return { userData, files: { "boot.sh": boot, "selenium-node.service": nodeUnit, "user-data.yaml": userData } };
}
