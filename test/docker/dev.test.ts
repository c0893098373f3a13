import { edgeOf } from "./checks";
import { Deployment } from "./harness";
import { describeStack } from "./stack-checks";

jest.setTimeout(1200000);

describeStack("dev stack on a real Docker engine", () => {
    const deployment = new Deployment("dev");
    return {
        deployment,
        // A dev client trusts the stack's own CA, exported as caCertificatePem.
        edge: () => edgeOf(deployment, deployment.outputs.caCertificatePem),
        lifecycle: { api: "nestflux:corsOrigins", apiValue: "https://localhost:8443,https://app.localhost", db: "nestflux:dbTlsMinVersion", dbValue: "TLSv1.3", edgeRotates: true },
    };
});
