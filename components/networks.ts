import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { componentSettings, NETWORK_KEYS, NetworkComponentSettings } from "./settings";

/** `edgeSubnet`, `appSubnet`, `dataSubnet`: the stack settings (fixed CIDRs; empty, the default, lets Docker choose). */
export interface NetworksArgs extends Partial<NetworkComponentSettings> {
    /** Prefix of every network name, e.g. "nestflux-dev". */
    namePrefix: pulumi.Input<string>;
    /** Stack name, written into a label on each network. */
    stack: pulumi.Input<string>;
}

function ipv4Subnet(network: docker.Network): pulumi.Output<string | undefined> {
    return network.ipamConfigs.apply((configs) => configs?.map((c) => c.subnet).find((s) => s !== undefined && s.includes(".")));
}

/**
 * Three bridge networks: `edge` (proxy ↔ outside), `app` (proxy ↔ API) and `data` (API ↔ DB).
 * Both inner networks are internal: no route out, nothing on them can be published, and the
 * Docker host itself is out of reach (no host address on their bridges).
 */
export class Networks extends pulumi.ComponentResource {
    public readonly edgeName: pulumi.Output<string>;
    public readonly appName: pulumi.Output<string>;
    public readonly dataName: pulumi.Output<string>;
    public readonly edgeId: pulumi.Output<string>;
    public readonly appId: pulumi.Output<string>;
    public readonly dataId: pulumi.Output<string>;
    /** IPv4 subnets as configured or as Docker assigned them (unknown until created). */
    public readonly appSubnet: pulumi.Output<string | undefined>;
    public readonly dataSubnet: pulumi.Output<string | undefined>;

    constructor(name: string, args: NetworksArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked before anything is registered: a bad value leaves no half-made component.
        const s = componentSettings(`Networks ${name}`, NETWORK_KEYS, args);
        super("nestflux:network:Networks", name, {}, opts);
        const make = (role: "edge" | "app" | "data", internal: boolean, subnet: string) =>
            new docker.Network(
                `${name}-${role}`,
                {
                    name: pulumi.interpolate`${args.namePrefix}-${role}`,
                    driver: "bridge",
                    internal,
                    // An internal bridge still holds a host address, and through it a container
                    // reaches every service the Docker host listens on (seen on the Docker tier).
                    // Without an address on the bridge, the host is unreachable from it; containers
                    // on the network still reach each other.
                    options: internal ? { "com.docker.network.bridge.inhibit_ipv4": "true" } : undefined,
                    ipamConfigs: subnet ? [{ subnet }] : undefined,
                    labels: [
                        { label: "nestflux.stack", value: args.stack },
                        { label: "nestflux.network", value: role },
                    ],
                },
                // Fixed names cannot exist twice, so a replacement must delete first.
                { parent: this, deleteBeforeReplace: true },
            );
        const edge = make("edge", false, s.edgeSubnet);
        // The API reaches nothing but the proxy and the database: the app network is internal too.
        const app = make("app", true, s.appSubnet);
        const data = make("data", true, s.dataSubnet);

        this.edgeName = edge.name;
        this.appName = app.name;
        this.dataName = data.name;
        this.edgeId = edge.id;
        this.appId = app.id;
        this.dataId = data.id;
        this.appSubnet = ipv4Subnet(app);
        this.dataSubnet = ipv4Subnet(data);
        this.registerOutputs({ edgeName: this.edgeName, appName: this.appName, dataName: this.dataName });
    }
}
