/**
 * The SDK checks' client in the mutation run: the kit's reference client, as
 * conformance/adapters/reference-client.ts makes it, but waiting 250 ms instead of 3 s for a
 * `deauth` answer that never comes. SDK-8 withholds that answer on purpose and so waited 3 s of
 * real time, a quarter of the whole suite's test time, in every run of a mutant it covers (622 of
 * them); the check passes or fails the same either way. MUTATION_SDK_ADAPTER=reference uses the
 * kit's adapter itself.
 */
import { DeployClient } from 'rocketride-deploy-kit';

export default function createClient({ uri, key }: { uri: string; key: string }): DeployClient {
  return new DeployClient({ uri, auth: key, disconnectTimeoutMs: 250 });
}
