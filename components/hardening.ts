import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface Limits {
    /** Memory limit in MB. */
    memoryMb: number;
    /** CPU limit, e.g. "1.0" (CIS Docker 5.12). */
    cpus: string;
}

/**
 * What every container of the stack shares (CIS Docker Benchmark): no privilege gain through
 * setuid binaries (5.26), no capabilities unless named (5.3), memory and CPU limits (5.11, 5.12).
 * The PIDs limit (5.29) has no field in @pulumi/docker 5.2.0: see README.
 */
export function hardened(limits: Limits, addCapabilities: string[] = []): Partial<docker.ContainerArgs> {
    return {
        securityOpts: ["no-new-privileges:true"],
        capabilities: addCapabilities.length > 0 ? { drops: ["ALL"], adds: addCapabilities } : { drops: ["ALL"] },
        memory: limits.memoryMb,
        cpus: limits.cpus,
    };
}

/** A service: restarts on failure with a retry bound (CIS 5.15), so one that cannot start stops looping. */
export const BOUNDED_RESTART = { restart: "on-failure", maxRetryCount: 5 } as const;

/** A job: runs to completion inside the create (the provider waits for it); stopped is its normal state. */
export const ONE_SHOT = { attach: true, mustRun: false, restart: "no" } as const;

/**
 * The job's ID once it has exited 0; a non-zero exit fails the update. The exit code is unknown
 * during preview and under mocks, and only a real run checks it.
 */
export function succeededId(job: docker.Container, what: string): pulumi.Output<string> {
    return pulumi.all([job.id, job.exitCode]).apply(([id, code]) => {
        if (code !== undefined && code !== null && code !== 0) {
            throw new Error(`${what} exited with ${code}; see \`docker logs\` of its container`);
        }
        return id;
    });
}
