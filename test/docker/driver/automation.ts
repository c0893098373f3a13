import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";

/**
 * The Automation API driver, used when a `pulumi` CLI is on PATH: the real `pulumi up` and
 * `pulumi destroy` with the real providers, on a local file backend inside the test's own
 * folder (no login, nothing global changed).
 */
export class AutomationDriver {
    private stack?: Stack;

    constructor(
        private readonly repoRoot: string,
        private readonly stackName: string,
        private readonly stateDir: string,
        private readonly log: (line: string) => void,
    ) {}

    private async select(): Promise<Stack> {
        if (this.stack) return this.stack;
        fs.mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
        this.stack = await LocalWorkspace.createOrSelectStack(
            { stackName: this.stackName, workDir: this.repoRoot },
            {
                envVars: {
                    PULUMI_BACKEND_URL: `file://${path.resolve(this.stateDir)}`,
                    // A throwaway stack: its secrets provider only has to be local.
                    PULUMI_CONFIG_PASSPHRASE: "docker-tier-only",
                },
            },
        );
        return this.stack;
    }

    async up(config: Record<string, string>, secretKeys: string[]): Promise<Record<string, unknown>> {
        const stack = await this.select();
        await stack.setAllConfig(
            Object.fromEntries(Object.entries(config).map(([k, value]) => [k, { value, secret: secretKeys.includes(k) }])),
        );
        const r = await stack.up({ onOutput: (o) => this.log(o.trimEnd()) });
        return Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value]));
    }

    async destroy(): Promise<void> {
        const stack = await this.select();
        await stack.destroy({ onOutput: (o) => this.log(o.trimEnd()) });
        await stack.workspace.removeStack(this.stackName);
    }
}
