/**
 * The one program shipped to every host: `node /opt/jitsi-aws/agent.js <command> [options]`.
 * Each command lives in its own module exporting `main(argv)`; they are loaded on demand so a host
 * only initialises the clients its command uses.
 */
type Command = () => Promise<{ main(argv: string[]): Promise<number> }>;

/** Commands by name; the systemd units the components render run `agent <name> ...`. */
export const COMMANDS: Record<string, Command> = {
  "publish-metrics": () => import("./publish-metrics"),
  "jvb-drain": () => import("./jvb-drain"),
  "bridge-live": () => import("./bridge-live"),
  "jibri-finalize": () => import("./jibri-finalize"),
  "jibri-status": () => import("./jibri-status"),
  "shard-agent": () => import("./shard-agent"),
  "edge-peers": () => import("./edge-peers"),
};

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const load = command ? COMMANDS[command] : undefined;
  if (!load) {
    console.error(`usage: agent <${Object.keys(COMMANDS).join("|")}> [options]`);
    return 2;
  }
  return (await load()).main(rest);
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.stack : e);
      process.exit(1);
    },
  );
}
