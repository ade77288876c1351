/** A custom globalSetup file, as a project would write one (used by test/vitest/global-setup.test.ts). */
import { mockServerGlobalSetup } from 'rocketride-deploy-kit/vitest/global-setup';

export default mockServerGlobalSetup({
  clock: { startAt: '2026-11-26T10:07:00Z' },
  users: [
    {
      userId: 'ci',
      keys: ['CIKEY'],
      defaultTeam: 'dev',
      organizations: [
        { id: 'acme', name: 'Acme', permissions: [], teams: [{ id: 'dev', name: 'Dev', permissions: ['task.control', 'task.monitor'] }] },
      ],
    },
  ],
});
