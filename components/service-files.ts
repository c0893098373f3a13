import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { hardened, ONE_SHOT, succeededId } from "./hardening";
import { toLabels } from "./labels";
import { renderSeedScript } from "./render/files";

export interface ServiceFile {
    /** File name inside the mounted directory (no '/'). */
    name: string;
    content: pulumi.Input<string>;
    /** Wrap the content in pulumi.secret. Default: false. */
    secret?: boolean;
    /** Octal mode. Default: "0400" for secrets, "0444" otherwise. */
    mode?: string;
}

export interface ServiceFilesArgs {
    /** Name of the volume; the seeding container is named `<name>-seed`. */
    name: pulumi.Input<string>;
    /** Image (ID) the seeding container runs: the service's own, so nothing extra is pulled. It needs /bin/sh and chown. */
    image: pulumi.Input<string>;
    /** Numeric uid:gid of the service: every file is owned by it. */
    owner: string;
    files: ServiceFile[];
    labels?: Record<string, pulumi.Input<string>>;
}

const MOUNT = "/files";
const SCRIPT = "/nestflux-seed.sh";

/**
 * Files for a service whose root file system is read-only. Docker refuses to copy into such a
 * container, so the docker provider's `uploads` cannot reach it. Instead a one-shot seeding
 * container (writable root, no network, only CAP_CHOWN) receives the uploads straight into a
 * named volume, gives them the service's owner and mode, and exits; the provider waits for it
 * (`attach`). The service mounts the volume read-only and carries `revision` in a label, so any
 * change of a file replaces the seeder and then the service. Works against a remote Docker host,
 * since everything travels through the Engine API.
 */
export class ServiceFiles extends pulumi.ComponentResource {
    public readonly volumeName: pulumi.Output<string>;
    /** Changes whenever any file changes; fails the update when the seeding script failed. */
    public readonly revision: pulumi.Output<string>;

    constructor(name: string, args: ServiceFilesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nestflux:storage:ServiceFiles", name, {}, opts);
        const files = args.files.map((f) => ({ ...f, mode: f.mode ?? (f.secret ? "0400" : "0444") }));
        const script = renderSeedScript({ dir: MOUNT, files: files.map((f) => ({ name: f.name, owner: args.owner, mode: f.mode })) });
        const labels = toLabels(args.labels);

        const volume = new docker.Volume(`${name}-volume`, { name: args.name, labels }, { parent: this });
        const seeder = new docker.Container(
            `${name}-seed`,
            {
                name: pulumi.interpolate`${args.name}-seed`,
                image: args.image,
                user: "0:0",
                entrypoints: ["/bin/sh", SCRIPT],
                networkMode: "none",
                uploads: [
                    { file: SCRIPT, content: script, permissions: "0500" },
                    ...files.map((f) => ({
                        file: `${MOUNT}/${f.name}`,
                        content: f.secret ? pulumi.secret(f.content) : f.content,
                        permissions: f.mode,
                    })),
                ],
                volumes: [{ volumeName: volume.name, containerPath: MOUNT }],
                ...ONE_SHOT,
                ...hardened({ memoryMb: 32, cpus: "0.5" }, ["CHOWN"]),
                labels: [...labels, { label: "nestflux.role", value: "seed" }],
            },
            { parent: this, deleteBeforeReplace: true },
        );

        this.volumeName = volume.name;
        this.revision = succeededId(seeder, `ServiceFiles ${name}: the seeding container`);
        this.registerOutputs({ volumeName: this.volumeName, revision: this.revision });
    }
}
