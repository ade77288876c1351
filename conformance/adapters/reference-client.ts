/**
 * The module adapter for the kit's own reference client (`DeployClient`): the in-process driver
 * loads this file, and CI runs it over the stdio protocol with
 * `node dist/conformance/drivers/module-driver.js dist/conformance/adapters/reference-client.js`.
 */
import { DeployClient } from 'rocketride-deploy-kit';

export default function createClient({ uri, key }: { uri: string; key: string }): DeployClient {
  return new DeployClient({ uri, auth: key });
}
