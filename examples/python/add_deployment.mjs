// Stands in for YOUR APP in this example: in your project, your Python app adds the deployment
// through the RocketRide Python SDK, e.g.
//
//     async with RocketRideClient(uri=ws_url, auth='MYAPIKEY') as client:
//         await client.deploy.add({'project_id': 'reports'}, schedule='*/15 * * * *')
//
// Python's standard library has no WebSocket client, so this example does that step with the
// kit's reference client instead. Usage (the server from `rocketride-deploy-kit serve`):
//
//     RRDK_CONTROL_URL=http://127.0.0.1:5565 node add_deployment.mjs
import { DeployClient } from 'rocketride-deploy-kit';

const server = process.env.RRDK_CONTROL_URL;
if (!server) {
  console.error('add_deployment.mjs: set RRDK_CONTROL_URL to the server, e.g. http://127.0.0.1:5565');
  process.exit(2);
}
// The deploy API is on the same port as the control API: ws://HOST:PORT/task/service.
const url = new URL(server);
const client = new DeployClient({ uri: `ws://${url.host}/task/service`, auth: 'MYAPIKEY' });
await client.connect();
const record = await client.deploy.add({ project_id: 'reports' }, { schedule: '*/15 * * * *' });
await client.disconnect();
console.log(`added ${record.pipeline.project_id} (${record.schedule}) as ${record.userId}`);
