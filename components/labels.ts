import type * as pulumi from "@pulumi/pulumi";

/** Docker's label list from a plain map, in the map's order. */
export function toLabels(labels: Record<string, pulumi.Input<string>> | undefined): { label: string; value: pulumi.Input<string> }[] {
    return Object.entries(labels ?? {}).map(([label, value]) => ({ label, value }));
}
