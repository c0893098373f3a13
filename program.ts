import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, hashBuildContext, parseSettings, RawConfig, rotationWindow, SETTING_KEYS } from "./components";
import { NestFlux } from "./components/nestflux";

/**
 * The stack program: reads and checks the config, then declares everything. index.ts exports what
 * it returns; tests call it under mocks once per config.
 */
export function nestfluxProgram(apiDir = path.join(__dirname, "api")) {
    // Validation needs every value now, before any resource exists, and Config#getSecret only
    // gives an Output. So the secret keys' text goes into parseSettings alone, which checks it and
    // hands it on only as a Pulumi secret (StackSettings has no plain field for them).
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const raw: RawConfig = {};
    for (const key of SETTING_KEYS) raw[key] = config.get(key);
    const settings = parseSettings(raw, pulumi.getStack());

    const nestflux = new NestFlux("nestflux", {
        settings,
        rotationKey: `${settings.certRotation}#${rotationWindow(Date.now(), settings.certValidityHours, settings.certEarlyRenewalHours)}`,
        apiBuildContext: apiDir,
        apiBuildTrigger: settings.apiImage === "" && fs.existsSync(apiDir) ? hashBuildContext(apiDir) : undefined,
    });
    return {
        url: nestflux.url,
        caCertificatePem: nestflux.caCertificatePem,
        certificateExpiry: nestflux.certificateExpiry,
        networks: nestflux.networkNames,
        containers: nestflux.containerNames,
        dbPassword: nestflux.dbPassword,
        adminPassword: nestflux.adminPassword,
    };
}
