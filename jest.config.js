/** Four tiers: pure renderers, the Pulumi program under mocks, real servers on loopback, and the program on a real Docker engine. */
const base = { preset: "ts-jest", testEnvironment: "node" };
module.exports = {
    projects: [
        { ...base, displayName: "render", testMatch: ["<rootDir>/test/render/**/*.test.ts"] },
        { ...base, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
        { ...base, displayName: "integration", testMatch: ["<rootDir>/test/integration/**/*.test.ts"] },
        { ...base, displayName: "docker", testMatch: ["<rootDir>/test/docker/**/*.test.ts"] },
    ],
};
