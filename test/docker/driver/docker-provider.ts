import { docker, dockerOk, engineRequest, inspect, sleep } from "./engine";
import { Inputs, only } from "./strict";

/**
 * The docker provider's create and delete, replayed on the real engine field by field (see
 * test/docker/README.md for the table). An input it does not implement fails the run: the replay
 * is never more lenient than the provider.
 */

function nested(type: string, field: string, value: Inputs, allowed: string[]): void {
    only(`${type}.${field}`, value, allowed);
}

async function ok(method: string, path: string, body?: unknown): Promise<any> {
    const r = await engineRequest(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${typeof r.json === "object" ? r.json?.message : r.json}`);
    return r.json;
}

function labelMap(labels: { label: string; value: string }[] | undefined): Record<string, string> {
    return Object.fromEntries((labels ?? []).map((l) => [l.label, l.value]));
}

/** "10s", "1m30s", "500ms" → nanoseconds, as the provider parses healthcheck durations. */
function durationNs(d: string | undefined): number | undefined {
    if (d === undefined) return undefined;
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
    let total = 0;
    let m: RegExpExecArray | null;
    let matched = "";
    while ((m = re.exec(d))) {
        total += Number(m[1]) * { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[m[2] as "s"];
        matched += m[0];
    }
    if (matched !== d) throw new Error(`replay: cannot parse duration ${d}`);
    return total;
}

/** One ustar entry, as the provider's Go tar writer makes it: uid/gid 0, the declared mode. */
function tarOf(name: string, content: Buffer, mode: number): Buffer {
    const header = Buffer.alloc(512, 0);
    const put = (s: string, off: number, len: number) => header.write(s, off, Math.min(len, Buffer.byteLength(s)), "utf8");
    const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";
    if (Buffer.byteLength(name) > 100) throw new Error(`replay: upload path longer than 100 bytes is not implemented: ${name}`);
    put(name, 0, 100);
    put(octal(mode, 8), 100, 8);
    put(octal(0, 8), 108, 8);
    put(octal(0, 8), 116, 8);
    put(octal(content.length, 12), 124, 12);
    put(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
    header.write("        ", 148, 8);
    header.write("0", 156, 1);
    put("ustar\0", 257, 6);
    put("00", 263, 2);
    let sum = 0;
    for (const b of header) sum += b;
    put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
    const pad = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
    return Buffer.concat([header, content, pad, Buffer.alloc(1024, 0)]);
}

async function putArchive(id: string, tar: Buffer): Promise<void> {
    // The engine's archive endpoint, which the provider's CopyToContainer calls with path "/".
    const r = await engineRequest("PUT", `/containers/${id}/archive?path=%2F`, { raw: tar, contentType: "application/x-tar" });
    if (r.status >= 300) throw new Error(`Unable to upload volume content: ${typeof r.json === "object" ? r.json?.message : r.json}`);
}

const CONTAINER_FIELDS = [
    "name", "image", "hostname", "user", "entrypoints", "command", "envs", "uploads", "volumes", "tmpfs", "ports",
    "networksAdvanced", "networkMode", "healthcheck", "wait", "waitTimeout", "restart", "maxRetryCount", "memory", "cpus",
    "readOnly", "securityOpts", "capabilities", "labels", "init", "destroyGraceSeconds", "attach", "mustRun", "logs", "start",
];

export async function createContainer(inputs: Inputs): Promise<{ id: string; outputs: Inputs }> {
    const T = "docker:Container";
    only(T, inputs, CONTAINER_FIELDS);
    if (inputs.logs) throw new Error(`replay of ${T}: logs is not implemented`);
    if (inputs.start === false) throw new Error(`replay of ${T}: start=false is not implemented`);
    const binds: string[] = [];
    for (const v of inputs.volumes ?? []) {
        nested(T, "volumes", v, ["volumeName", "hostPath", "containerPath", "readOnly"]);
        const source = v.volumeName ?? v.hostPath;
        if (!source || !v.containerPath) throw new Error(`replay of ${T}: a volume needs volumeName or hostPath and containerPath`);
        binds.push(`${source}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
    }
    const exposed: Record<string, object> = {};
    const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of inputs.ports ?? []) {
        nested(T, "ports", p, ["internal", "external", "ip", "protocol"]);
        const key = `${p.internal}/${p.protocol ?? "tcp"}`;
        exposed[key] = {};
        (portBindings[key] ??= []).push({ HostIp: p.ip ?? "0.0.0.0", HostPort: String(p.external ?? "") });
    }
    let healthcheck: Inputs | undefined;
    if (inputs.healthcheck) {
        nested(T, "healthcheck", inputs.healthcheck, ["tests", "interval", "timeout", "retries", "startPeriod"]);
        const h = inputs.healthcheck;
        healthcheck = { Test: h.tests, Interval: durationNs(h.interval), Timeout: durationNs(h.timeout), Retries: h.retries, StartPeriod: durationNs(h.startPeriod) };
    }
    if (inputs.capabilities) nested(T, "capabilities", inputs.capabilities, ["adds", "drops"]);
    const restart = inputs.restart ?? "no";
    const body = {
        Image: inputs.image,
        Hostname: inputs.hostname,
        User: inputs.user,
        Entrypoint: inputs.entrypoints,
        Cmd: inputs.command,
        Env: inputs.envs,
        Labels: labelMap(inputs.labels),
        ExposedPorts: exposed,
        Healthcheck: healthcheck,
        HostConfig: {
            Binds: binds,
            Tmpfs: inputs.tmpfs,
            PortBindings: portBindings,
            RestartPolicy: { Name: restart, MaximumRetryCount: restart === "on-failure" ? inputs.maxRetryCount ?? 0 : 0 },
            Memory: inputs.memory ? inputs.memory * 1024 * 1024 : undefined,
            NanoCpus: inputs.cpus ? Math.round(Number(inputs.cpus) * 1e9) : undefined,
            ReadonlyRootfs: inputs.readOnly ?? false,
            SecurityOpt: inputs.securityOpts,
            CapAdd: inputs.capabilities?.adds,
            CapDrop: inputs.capabilities?.drops,
            Init: inputs.init,
            NetworkMode: inputs.networkMode ?? "bridge",
        },
    };
    const created = await ok("POST", `/containers/create?name=${encodeURIComponent(inputs.name)}`, body);
    const id: string = created.Id;

    if (inputs.networksAdvanced?.length) {
        await engineRequest("POST", `/networks/bridge/disconnect`, { Container: id, Force: false });
        for (const n of inputs.networksAdvanced) {
            nested(T, "networksAdvanced", n, ["name", "aliases"]);
            await ok("POST", `/networks/${encodeURIComponent(n.name)}/connect`, { Container: id, EndpointConfig: { Aliases: n.aliases ?? [] } });
        }
    }
    for (const u of inputs.uploads ?? []) {
        nested(T, "uploads", u, ["file", "content", "permissions", "executable"]);
        if (typeof u.content !== "string" || u.content === "") throw new Error(`replay of ${T}: upload ${u.file} needs content (contentBase64 and source are not implemented)`);
        const mode = u.permissions ? parseInt(u.permissions, 8) : u.executable ? 0o744 : 0o644;
        await putArchive(id, tarOf(u.file, Buffer.from(u.content, "utf8"), mode));
    }

    await ok("POST", `/containers/${id}/start`);
    const outputs: Inputs = { ...inputs, name: inputs.name };
    if (inputs.wait) {
        if (!inputs.healthcheck && !inspect("container", id).Config.Healthcheck) {
            throw new Error("you have supplied a 'wait' argument, but the container does not have a healthcheck defined");
        }
        const deadline = Date.now() + (inputs.waitTimeout ?? 60) * 1000;
        for (;;) {
            const state = inspect("container", id).State;
            if (state.Health?.Status === "healthy") break;
            if (Date.now() > deadline) {
                const r = docker(["logs", "--tail", "30", id]);
                const logs = (r.stdout + r.stderr).trim();
                throw new Error(`container ${inputs.name} failed to be in healthy state (${state.Status}/${state.Health?.Status}); last logs:\n${logs}`);
            }
            await sleep(1000);
        }
    }
    if (inputs.attach) {
        const waited = await ok("POST", `/containers/${id}/wait?condition=not-running`);
        outputs.exitCode = waited.StatusCode;
    }
    return { id, outputs };
}

export async function deleteContainer(id: string, inputs: Inputs): Promise<void> {
    if (inputs.destroyGraceSeconds) await engineRequest("POST", `/containers/${id}/stop?t=${inputs.destroyGraceSeconds}`);
    const r = await engineRequest("DELETE", `/containers/${id}?v=true&force=true`);
    if (r.status >= 300 && r.status !== 404) throw new Error(`remove container ${inputs.name}: ${r.json?.message}`);
}

export async function createNetwork(inputs: Inputs): Promise<{ id: string; outputs: Inputs }> {
    only("docker:Network", inputs, ["name", "driver", "internal", "options", "ipamConfigs", "labels"]);
    for (const c of inputs.ipamConfigs ?? []) nested("docker:Network", "ipamConfigs", c, ["subnet"]);
    const created = await ok("POST", "/networks/create", {
        Name: inputs.name,
        CheckDuplicate: true,
        Driver: inputs.driver ?? "bridge",
        Internal: inputs.internal ?? false,
        Options: inputs.options,
        IPAM: inputs.ipamConfigs ? { Config: inputs.ipamConfigs.map((c: Inputs) => ({ Subnet: c.subnet })) } : undefined,
        Labels: labelMap(inputs.labels),
    });
    const net = inspect("network", created.Id);
    const ipamConfigs = (net.IPAM?.Config ?? []).map((c: Inputs) => ({ subnet: c.Subnet, gateway: c.Gateway }));
    return { id: created.Id, outputs: { ...inputs, ipamConfigs } };
}

export async function deleteNetwork(id: string): Promise<void> {
    const r = await engineRequest("DELETE", `/networks/${id}`);
    if (r.status >= 300 && r.status !== 404) throw new Error(`remove network: ${r.json?.message}`);
}

export async function createVolume(inputs: Inputs): Promise<{ id: string; outputs: Inputs }> {
    only("docker:Volume", inputs, ["name", "labels"]);
    const v = await ok("POST", "/volumes/create", { Name: inputs.name, Labels: labelMap(inputs.labels) });
    return { id: v.Name, outputs: { ...inputs, mountpoint: v.Mountpoint, driver: v.Driver } };
}

export async function deleteVolume(name: string): Promise<void> {
    // The provider retries while a container that is going away still holds the volume.
    for (let i = 0; ; i++) {
        const r = await engineRequest("DELETE", `/volumes/${encodeURIComponent(name)}`);
        if (r.status < 300 || r.status === 404) return;
        if (i >= 10) throw new Error(`remove volume ${name}: ${r.json?.message}`);
        await sleep(1000);
    }
}

export async function createRemoteImage(inputs: Inputs, ensure: (ref: string) => Promise<unknown>): Promise<{ id: string; outputs: Inputs }> {
    only("docker:RemoteImage", inputs, ["name", "keepLocally", "build", "triggers"]);
    if (inputs.build) {
        nested("docker:RemoteImage", "build", inputs.build, ["context", "dockerfile"]);
        const dockerfile = `${inputs.build.context}/${inputs.build.dockerfile ?? "Dockerfile"}`;
        // FROM lines must name images the engine has: pinned bases come from the image store or a stand-in.
        for (const ref of baseImages((await import("fs")).readFileSync(dockerfile, "utf8"))) await ensure(ref);
        dockerOk(["build", "-q", "-t", inputs.name, "-f", dockerfile, inputs.build.context], { timeoutMs: 900000 });
    } else {
        await ensure(inputs.name);
    }
    const image = inspect("image", inputs.name);
    return { id: `${image.Id}${inputs.name}`, outputs: { ...inputs, imageId: image.Id, repoDigest: image.RepoDigests?.[0] ?? "" } };
}

/** The images a Dockerfile's FROM lines name, with ARG defaults substituted and stage names left out. */
export function baseImages(dockerfile: string): string[] {
    const args: Record<string, string> = {};
    const stages = new Set<string>();
    const refs: string[] = [];
    for (const line of dockerfile.split("\n")) {
        const arg = /^ARG\s+(\w+)=(\S+)/.exec(line);
        if (arg) args[arg[1]] = arg[2];
        const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
        if (from) {
            const ref = from[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? "");
            if (!stages.has(ref) && !refs.includes(ref)) refs.push(ref);
            if (from[2]) stages.add(from[2]);
        }
    }
    return refs;
}

export async function deleteRemoteImage(inputs: Inputs): Promise<void> {
    if (!inputs.keepLocally) await engineRequest("DELETE", `/images/${encodeURIComponent(inputs.name)}`);
}
