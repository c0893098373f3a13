/**
 * One program-scale sample, in a process of its own so peak RSS belongs to this run alone:
 * the real index.ts under mocks (test/support/mock-engine.ts, which does not need jest) with the
 * dev stack's config and `nestflux:apiReplicas` = argv[2]. Prints one `RESULT {json}` line.
 *
 * The modules index.ts imports are loaded (and transpiled by ts-node) BEFORE the clock starts, so
 * the time is the program's work — config parsing, resource construction, registration with the
 * mock monitor, output resolution — not TypeScript compilation, which is the same for every n.
 */
import { SECRET_KEYS } from "../components/config";
import { runUnderMocks, stackConfig } from "../test/support/mock-engine";

async function main(): Promise<void> {
    const replicas = process.argv[2];
    if (!replicas || !/^\d+$/.test(replicas)) throw new Error("usage: program-scale-child <apiReplicas>");
    // Warm the module cache: everything index.ts pulls in, except index.ts itself.
    require("../components");
    require("../components/stack");
    require("@pulumi/docker");
    require("@pulumi/tls");
    require("@pulumi/random");
    require("@pulumi/command");

    const config = { ...stackConfig("dev"), "nestflux:apiReplicas": replicas };
    const secrets = Object.keys(config).filter((k) => (SECRET_KEYS as readonly string[]).includes(k.split(":")[1]));
    const rssBefore = process.memoryUsage().rss;
    const t0 = process.hrtime.bigint();
    const result = await runUnderMocks("dev", config, () => require("../index"), secrets);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const containers = result.byType("docker:index/container:Container").length;
    const line = {
        replicas: Number(replicas),
        resources: result.resources.length,
        containers,
        ms,
        rssBeforeMb: rssBefore / 1048576,
        rssAfterMb: process.memoryUsage().rss / 1048576,
        maxRssMb: process.resourceUsage().maxRSS / 1024,
        heapUsedMb: process.memoryUsage().heapUsed / 1048576,
    };
    process.stdout.write(`RESULT ${JSON.stringify(line)}\n`);
}

main().then(
    () => process.exit(0),
    (e) => {
        process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
        process.exit(1);
    },
);
