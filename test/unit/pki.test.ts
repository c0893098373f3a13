import { PrivateCa, keyArgs, leafUses } from "../../components/pki";
import { runUnderMocks } from "../support/mock-engine";

describe("key algorithms and usages", () => {
    test("config names map to tls.PrivateKey arguments", () => {
        expect(keyArgs("ECDSA-P256")).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        expect(keyArgs("ECDSA-P384")).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P384" });
        expect(keyArgs("RSA-3072")).toEqual({ algorithm: "RSA", rsaBits: 3072 });
    });
    test("server and client leaves get their extended key usage; key_encipherment only for RSA", () => {
        expect(leafUses("ECDSA-P256", "server")).toEqual(["digital_signature", "server_auth"]);
        expect(leafUses("ECDSA-P256", "client")).toEqual(["digital_signature", "client_auth"]);
        expect(leafUses("RSA-2048", "server")).toEqual(["digital_signature", "server_auth", "key_encipherment"]);
    });
});

describe("PrivateCa under mocks", () => {
    test("an RSA-4096 CA signs leaves with the configured lifetimes and names", async () => {
        const r = await runUnderMocks("pki", {}, () => {
            const ca = new PrivateCa("t", {
                keyAlgorithm: "RSA-4096",
                organization: "NestFlux test",
                certValidityHours: 720,
                certEarlyRenewalHours: 48,
                rotationKey: "r1",
                leaves: [
                    { name: "srv", commonName: "srv.internal", dnsNames: ["srv.internal", "srv"], usage: "server" },
                    { name: "cli", commonName: "app", usage: "client" },
                ],
            });
            return { ca: ca.caCertificatePem, srvKey: ca.leaves.srv.privateKeyPem, srvExpiry: ca.leaves.srv.expiresAt };
        });
        for (const k of r.byType("tls:index/privateKey:PrivateKey")) expect(k.inputs).toMatchObject({ algorithm: "RSA", rsaBits: 4096 });
        const ca = r.one("tls:index/selfSignedCert:SelfSignedCert", "t-ca");
        expect(ca.inputs).toMatchObject({ isCaCertificate: true, maxPathLength: 0, allowedUses: ["cert_signing", "crl_signing", "digital_signature"] });
        const srv = r.one("tls:index/locallySignedCert:LocallySignedCert", "t-srv-cert");
        expect(srv.inputs).toMatchObject({ validityPeriodHours: 720, earlyRenewalHours: 48, allowedUses: ["digital_signature", "server_auth", "key_encipherment"] });
        expect(r.one("tls:index/certRequest:CertRequest", "t-srv-csr").inputs.dnsNames).toEqual(["srv.internal", "srv"]);
        expect(r.one("tls:index/privateKey:PrivateKey", "t-cli-key").replacementTrigger).toBe("r1");
        expect(r.outputs.srvExpiry).toBe(new Date(Date.UTC(2030, 0, 1) + 720 * 3600e3).toISOString());
    });

    test("two leaves with one name are refused", async () => {
        await expect(
            runUnderMocks("pki2", {}, () => {
                new PrivateCa("t", {
                    organization: "x",
                    rotationKey: "",
                    leaves: [
                        { name: "a", commonName: "a", usage: "server" },
                        { name: "a", commonName: "b", usage: "server" },
                    ],
                });
                return {};
            }),
        ).rejects.toThrow(/two leaves are named a/);
    });
});
