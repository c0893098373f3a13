import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { KeyAlgorithm } from "./config";
import { componentSettings, PKI_KEYS, PkiComponentSettings } from "./settings";

/** A leaf certificate to issue from the private CA. */
export interface LeafSpec {
    /** Resource-name suffix and key of `PrivateCa.leaves`, e.g. "db". */
    name: string;
    commonName: string;
    /** Names clients dial (server certs) – must include every one of them. */
    dnsNames?: string[];
    ipAddresses?: string[];
    usage: "server" | "client";
}

/**
 * `keyAlgorithm`, `caValidityHours`, `certValidityHours` and `certEarlyRenewalHours` are the
 * stack settings of the same names (components/settings.ts has their meaning, rule and default:
 * ECDSA-P256, 10 years, 90 days, 30 days).
 */
export interface PrivateCaArgs extends Partial<PkiComponentSettings> {
    /** Organization in every subject, e.g. "NestFlux dev". */
    organization: pulumi.Input<string>;
    /**
     * Any change re-issues every leaf (new key, new certificate). index.ts feeds it the
     * `certRotation` config value and the rotation window, because the tls provider does not act
     * on earlyRenewalHours itself (pulumi/pulumi-tls#39).
     */
    rotationKey: pulumi.Input<string>;
    /** Leaf certificates to issue. */
    leaves: LeafSpec[];
}

export interface IssuedCertificate {
    certificatePem: pulumi.Output<string>;
    /** Secret. */
    privateKeyPem: pulumi.Output<string>;
    /** RFC 3339 notAfter. */
    expiresAt: pulumi.Output<string>;
}

/** tls.PrivateKey arguments for a key algorithm name from config. */
export function keyArgs(algorithm: KeyAlgorithm): tls.PrivateKeyArgs {
    const [family, size] = algorithm.split("-");
    return family === "RSA" ? { algorithm: "RSA", rsaBits: Number(size) } : { algorithm: "ECDSA", ecdsaCurve: size };
}

/** Key usages for a leaf: key_encipherment only means something for RSA key exchange. */
export function leafUses(algorithm: KeyAlgorithm, usage: LeafSpec["usage"]): string[] {
    const uses = ["digital_signature", usage === "server" ? "server_auth" : "client_auth"];
    return algorithm.startsWith("RSA") ? [...uses, "key_encipherment"] : uses;
}

/**
 * A private certificate authority and the leaf certificates it issues for the internal hops
 * (proxy → API, API → PostgreSQL) and, on a dev stack, for the public edge.
 */
export class PrivateCa extends pulumi.ComponentResource {
    public readonly caCertificatePem: pulumi.Output<string>;
    public readonly caExpiresAt: pulumi.Output<string>;
    public readonly leaves: Record<string, IssuedCertificate>;

    constructor(name: string, args: PrivateCaArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked before anything is registered: a bad value leaves no half-made component.
        const s = componentSettings(`PrivateCa ${name}`, PKI_KEYS, args);
        super("nestflux:security:PrivateCa", name, {}, opts);
        const algorithm = s.keyAlgorithm as KeyAlgorithm;
        const certValidityHours = s.certValidityHours;
        const earlyRenewalHours = s.certEarlyRenewalHours;

        const caKey = new tls.PrivateKey(`${name}-ca-key`, keyArgs(algorithm), { parent: this });
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                // Leaves only: this CA cannot mint intermediates.
                maxPathLength: 0,
                setSubjectKeyId: true,
                validityPeriodHours: s.caValidityHours,
                earlyRenewalHours,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                subject: { commonName: pulumi.interpolate`${args.organization} internal CA`, organization: args.organization },
            },
            { parent: this },
        );

        const leaves: Record<string, IssuedCertificate> = {};
        for (const leaf of args.leaves) {
            if (leaves[leaf.name]) {
                throw new Error(`PrivateCa ${name}: two leaves are named ${leaf.name}`);
            }
            // The trigger sits on the key: a new key forces a new request and a new certificate.
            const key = new tls.PrivateKey(`${name}-${leaf.name}-key`, keyArgs(algorithm), {
                parent: this,
                replacementTrigger: args.rotationKey,
            });
            const csr = new tls.CertRequest(
                `${name}-${leaf.name}-csr`,
                {
                    privateKeyPem: key.privateKeyPem,
                    subject: { commonName: leaf.commonName, organization: args.organization },
                    dnsNames: leaf.dnsNames,
                    ipAddresses: leaf.ipAddresses,
                },
                { parent: this },
            );
            const cert = new tls.LocallySignedCert(
                `${name}-${leaf.name}-cert`,
                {
                    certRequestPem: csr.certRequestPem,
                    caCertPem: ca.certPem,
                    caPrivateKeyPem: caKey.privateKeyPem,
                    validityPeriodHours: certValidityHours,
                    earlyRenewalHours,
                    allowedUses: leafUses(algorithm, leaf.usage),
                    setSubjectKeyId: true,
                },
                { parent: this },
            );
            leaves[leaf.name] = {
                certificatePem: cert.certPem,
                privateKeyPem: pulumi.secret(key.privateKeyPem),
                expiresAt: cert.validityEndTime,
            };
        }

        this.caCertificatePem = ca.certPem;
        this.caExpiresAt = ca.validityEndTime;
        this.leaves = leaves;
        this.registerOutputs({
            caCertificatePem: this.caCertificatePem,
            caExpiresAt: this.caExpiresAt,
            leafExpiry: Object.fromEntries(Object.entries(leaves).map(([k, v]) => [k, v.expiresAt])),
        });
    }
}
