/** Resource inputs as the driver sees them: secrets unwrapped, undefined fields dropped. */
export type Inputs = Record<string, any>;

/**
 * The replay is never more lenient than the provider: an input field it does not implement
 * fails the run instead of being ignored.
 */
export function only(type: string, inputs: Inputs, allowed: string[]): void {
    const extra = Object.keys(inputs).filter((k) => !allowed.includes(k) && inputs[k] !== undefined);
    if (extra.length > 0) throw new Error(`replay of ${type}: inputs ${extra.join(", ")} are not implemented`);
}
