import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/**
 * Runs a Pulumi program under pulumi.runtime.setMocks and records every registration request as
 * the engine would receive it: type, name, parent URN, inputs (secrets still marked), options.
 */

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export interface Registered {
    type: string;
    name: string;
    urn: string;
    /** The ID the mock provider gave a custom resource (see mockId). */
    id: string;
    parentUrn: string;
    custom: boolean;
    /** Inputs with secret markers removed. */
    inputs: Record<string, any>;
    /** Inputs as sent: secret values are wrapped objects (see isSecret). */
    rawInputs: Record<string, any>;
    deleteBeforeReplace: boolean;
    retainOnDelete: boolean;
    replacementTrigger: unknown;
    dependencies: string[];
}

export function isSecret(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as any)[SECRET_SIG] === SECRET_VALUE;
}

export function unwrap(v: any): any {
    if (isSecret(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
}

/** The ID every mocked custom resource gets. */
export function mockId(name: string): string {
    return `${name}-id`;
}

/**
 * The engine's URN: the type part is the parent's whole type chain, `$`, then the resource's own
 * type (`A$B$C`), so two children of the same type and name under different parents differ.
 * Resources without a parent (the stack's root components) carry their type alone.
 */
export function urnFor(stack: string, project: string, type: string, name: string, parentUrn: string | undefined): string {
    const qualifiedType = parentUrn ? `${parentUrn.split("::")[2]}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualifiedType}::${name}`;
}

function digest(s: string): string {
    return createHash("sha256").update(s).digest("hex").slice(0, 16);
}

/** Provider outputs the program reads; everything else echoes the inputs. */
function mockState(type: string, name: string, inputs: any): Record<string, any> {
    switch (type) {
        case "tls:index/privateKey:PrivateKey":
            return { ...inputs, privateKeyPem: `-----BEGIN PRIVATE KEY-----\nkey-${name}\n-----END PRIVATE KEY-----\n` };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return {
                ...inputs,
                certPem: `-----BEGIN CERTIFICATE-----\ncert-${name}\n-----END CERTIFICATE-----\n`,
                validityEndTime: new Date(Date.UTC(2030, 0, 1) + (inputs.validityPeriodHours ?? 0) * 3600e3).toISOString(),
            };
        case "tls:index/certRequest:CertRequest":
            return { ...inputs, certRequestPem: `csr-${name}` };
        case "random:index/randomPassword:RandomPassword":
            return { ...inputs, result: digest(name).repeat(8).slice(0, inputs.length) };
        case "docker:index/remoteImage:RemoteImage":
            return { ...inputs, imageId: `sha256:${digest(name)}` };
        case "docker:index/network:Network": {
            const octet = { edge: 10, app: 11, data: 12 }[name.split("-").pop() as "edge"] ?? 99;
            return { ...inputs, ipamConfigs: inputs.ipamConfigs ?? [{ subnet: `172.30.${octet}.0/24` }] };
        }
        default:
            return inputs;
    }
}

export interface RunResult {
    resources: Registered[];
    /** Stack outputs, resolved. */
    outputs: Record<string, unknown>;
    /** Stack outputs as the program exported them (Outputs, so secrecy can be checked). */
    exports: Record<string, unknown>;
    byType(type: string): Registered[];
    one(type: string, nameSuffix: string): Registered;
}

/** Read a stack file's `config:` map as the CLI would pass it (strings). */
export function stackConfig(stack: "dev" | "prod"): Record<string, string> {
    const text = fs.readFileSync(path.join(__dirname, "..", "..", `Pulumi.${stack}.yaml`), "utf8");
    const out: Record<string, string> = {};
    for (const line of text.split("\n")) {
        const m = /^  ([\w-]+:[\w-]+):\s*(.*)$/.exec(line);
        if (m) out[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
    }
    return out;
}

async function settle(requests: unknown[]): Promise<void> {
    let last = -1;
    let stableRounds = 0;
    while (stableRounds < 5) {
        await new Promise((r) => setTimeout(r, 20));
        stableRounds = requests.length === last ? stableRounds + 1 : 0;
        last = requests.length;
    }
}

/**
 * Run `program` (which registers resources and returns its stack outputs) under mocks for
 * `stack` with `config` (full keys, e.g. "nestflux:domain"). `secretKeys` are marked secret.
 */
export async function runUnderMocks(
    stack: string,
    config: Record<string, string>,
    program: () => Record<string, unknown> | Promise<Record<string, unknown>>,
    secretKeys: string[] = [],
): Promise<RunResult> {
    const requests: any[] = [];
    // Everything up to program() runs synchronously (setMocks does no real waiting), so a caller
    // inside jest.isolateModules loads the program in its fresh module registry.
    void pulumi.runtime.setMocks(
        {
            newResource: (args) => ({ id: mockId(args.name), state: mockState(args.type, args.name, args.inputs) }),
            call: (args) => args.inputs,
        },
        "nestflux",
        stack,
        false,
    );
    const monitor = pulumi.runtime.getMonitor() as any;
    // The SDK's mock monitor keeps only the parent's last type in a child's URN; the engine keeps
    // the whole chain. Parent URNs and dependencies come from this, so fix it at the source.
    monitor.newUrn = (parent: string, type: string, name: string) => urnFor(stack, "nestflux", type, name, parent);
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        requests.push(req);
        return register(req, cb);
    };
    pulumi.runtime.setAllConfig(config, secretKeys);

    // The SDK records a stack trace for every promise it creates (for leak reports), and jest's
    // source-map support maps each frame: that was ~75% of a run. One frame is plenty for
    // metadata the mocks never show; errors keep their messages.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 1;
    let exported: Record<string, unknown>;
    const outputs: Record<string, unknown> = {};
    try {
        exported = await program();
        for (const [k, v] of Object.entries(exported)) {
            outputs[k] = pulumi.Output.isInstance(v) ? await new Promise((res) => (v as pulumi.Output<unknown>).apply(res)) : v;
        }
        await settle(requests);
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
    }

    const resources: Registered[] = requests.map((req) => {
        const rawInputs = req.getObject()?.toJavaScript() ?? {};
        return {
            type: req.getType(),
            name: req.getName(),
            urn: urnFor(stack, "nestflux", req.getType(), req.getName(), req.getParent()),
            id: mockId(req.getName()),
            parentUrn: req.getParent(),
            custom: req.getCustom(),
            rawInputs,
            inputs: unwrap(rawInputs),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            retainOnDelete: Boolean(req.getRetainondelete?.()),
            replacementTrigger: req.hasReplacementTrigger?.() ? req.getReplacementTrigger()?.toJavaScript() : undefined,
            dependencies: req.getDependenciesList(),
        };
    });
    const byType = (type: string) => resources.filter((r) => r.type === type);
    const one = (type: string, nameSuffix: string) => {
        const found = byType(type).filter((r) => r.name.endsWith(nameSuffix));
        if (found.length !== 1) throw new Error(`expected one ${type} named *${nameSuffix}, found ${found.map((r) => r.name).join(", ") || "none"}`);
        return found[0];
    };
    return { resources, outputs, exports: exported, byType, one };
}
