import { backupKeyOf, prodCertificateConfig } from "../support/stacks";
import { edgeOf } from "./checks";
import { Deployment } from "./harness";
import { describeStack } from "./stack-checks";

jest.setTimeout(1200000);

describeStack("prod stack on a real Docker engine", () => {
    // What a prod operator sets: a public certificate, its chain and (as a secret) its key. The
    // only other change: the ports are bound to 127.0.0.1, as a test must not listen publicly.
    const certificate = prodCertificateConfig();
    const deployment = new Deployment("prod", { ...certificate, "nestflux:bindAddress": "127.0.0.1" });
    return {
        deployment,
        // A client trusts the public root that issued the certificate.
        edge: () => edgeOf(deployment, certificate["nestflux:tlsChain"]),
        lifecycle: {
            api: "nestflux:corsOrigins",
            apiValue: "https://nestflux.example.com,https://admin.nestflux.example.com",
            db: "nestflux:dbTlsMinVersion",
            dbValue: "TLSv1.3",
            edgeRotates: false,
            // Backups are on in prod; the operator keeps the key to read them.
            backupKeyPem: backupKeyOf(certificate),
        },
    };
});
