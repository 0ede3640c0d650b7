/**
 * @laurel/plugin-template — the plugin the guide (docs/plugins.md) walks through. Kudos for partners: an admin gives a
 * partner kudos of a level; low levels go to the program's earning rules at once, high ones wait for an approval in a
 * Temporal workflow; a listener keeps a leaderboard and a scheduled task recounts it. It imports only
 * `@laurel/plugin-sdk` (and Temporal's own packages in its workflow code).
 */
import { fileURLToPath } from 'node:url';
import { auditTrailRef, definePlugin, earningInboxRef, mailerRef, partnerDirectoryRef } from '@laurel/plugin-sdk';
import './hooks.ts';
import { Kudos, Tally } from './kudos.entity.ts';
import { kudosRoutes } from './kudos.routes.ts';
import { createKudosService, kudosServiceRef } from './kudos.service.ts';
import { migration as m0001 } from './migrations/0001_kudos.ts';
import { Settings } from './settings.ts';
import { createKudosActivities } from './workflows/kudos.activities.ts';
import { kudosPage } from './admin-pages.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

export default definePlugin({
  id: 'template',
  version: '0.1.0',
  compatibility: '^0.1.0',
  // The core modules whose services it uses: set up (and migrated) before it; `inject` checks the list.
  dependsOn: ['audit', 'mail', 'partners', 'earning'],
  config: Settings,
  entities: [Kudos, Tally],
  migrations: [m0001],
  setup(ctx) {
    ctx.locales({ en, pl, ru });
    ctx.grant('template:write', ['admin', 'program-manager', 'marketing'], { apiKeys: true });
    ctx.grant('template:read', ['admin', 'program-manager', 'marketing', 'support', 'partner-admin', 'partner-user'], { apiKeys: true });

    const kudos = createKudosService({
      settings: ctx.config,
      directory: ctx.inject(partnerDirectoryRef),
      inbox: ctx.inject(earningInboxRef),
      audit: ctx.inject(auditTrailRef),
      mailer: ctx.inject(mailerRef),
    });
    ctx.provide(kudosServiceRef, kudos);
    ctx.routes(kudosRoutes(() => kudos));
    // An admin page, declared as data: the admin panel renders it (docs/plugins.md, 3.12).
    ctx.ui.adminPage(kudosPage);

    // After commit, at least once: `count` is idempotent (it counts each kudos once however often it runs).
    ctx.on('template.kudos.given', (event, listenerCtx) => kudos.count(listenerCtx, event), { name: 'count', maxAttempts: 8 });

    // On every server replica; recounting is idempotent, so two replicas at once do no harm.
    ctx.every('reconcile', ctx.config.reconcileEveryMinutes * 60_000, async (taskCtx) => {
      const changed = await kudos.reconcile(taskCtx);
      if (changed > 0) taskCtx.log.warn({ changed }, 'kudos leaderboard recounted: it had drifted');
    });

    ctx.workflows({
      workflowsPath: fileURLToPath(new URL('./workflows/kudos.workflow.ts', import.meta.url)),
      createActivities: (deps) => createKudosActivities(deps),
    });
  },
});

export { kudosServiceRef };
export type { KudosService, KudosView } from './kudos.service.ts';
export type { KudosDraft, KudosGivenPayload, KudosLevel } from './hooks.ts';
export { KUDOS_DECIDE_SIGNAL, KUDOS_WORKFLOW_TYPE, kudosWorkflowId } from './workflows/kudos.definitions.ts';
export { decideKudos, initialKudosState } from './workflows/kudos.decisions.ts';
