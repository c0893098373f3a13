import { AppConfig } from './app-config';
import { ConfigError, LoadOptions, loadConfig } from './load-config';

/** Load the config or print every problem (naming the variables) and exit with 1. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env, options: LoadOptions = {}): AppConfig {
  try {
    return loadConfig(env, options);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`nestflux-api: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}
