import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, hashBuildContext, parseSettings, RawConfig, rotationWindow, SETTING_KEYS } from "./components";
import { NestFlux } from "./components/nestflux";

// Validation needs every value now, before any resource exists, and Config#getSecret only gives
// an Output. So the secret keys' text goes into parseSettings alone, which checks it and hands it
// on only as a Pulumi secret (StackSettings has no plain field for them).
const config = new pulumi.Config(CONFIG_NAMESPACE);
const raw: RawConfig = {};
for (const key of SETTING_KEYS) raw[key] = config.get(key);
const settings = parseSettings(raw, pulumi.getStack());

const apiDir = path.join(__dirname, "api");
const nestflux = new NestFlux("nestflux", {
    settings,
    rotationKey: `${settings.certRotation}#${rotationWindow(Date.now(), settings.certValidityHours, settings.certEarlyRenewalHours)}`,
    apiBuildContext: apiDir,
    apiBuildTrigger: settings.apiImage === "" && fs.existsSync(apiDir) ? hashBuildContext(apiDir) : undefined,
});

export const url = nestflux.url;
export const caCertificatePem = nestflux.caCertificatePem;
export const certificateExpiry = nestflux.certificateExpiry;
export const networks = nestflux.networkNames;
export const containers = nestflux.containerNames;
export const dbPassword = nestflux.dbPassword;
export const adminPassword = nestflux.adminPassword;
