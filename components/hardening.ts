import type * as docker from "@pulumi/docker";

export interface Limits {
    /** Memory limit in MB. */
    memoryMb: number;
    /** CPU limit, e.g. "1.0" (CIS Docker 5.12). */
    cpus: string;
}

/**
 * What every long-running container of the stack shares (CIS Docker Benchmark): no privilege
 * gain through setuid binaries (5.26), no capabilities unless named (5.3), memory and CPU limits
 * (5.11, 5.12), and a restart policy with a retry bound (5.15), so a container that cannot start
 * does not loop forever. The PIDs limit (5.29) has no field in @pulumi/docker 5.2.0: see README.
 */
export function hardened(limits: Limits, addCapabilities: string[] = []): Partial<docker.ContainerArgs> {
    return {
        securityOpts: ["no-new-privileges:true"],
        capabilities: addCapabilities.length > 0 ? { drops: ["ALL"], adds: addCapabilities } : { drops: ["ALL"] },
        memory: limits.memoryMb,
        cpus: limits.cpus,
        restart: "on-failure",
        maxRetryCount: 5,
    };
}
