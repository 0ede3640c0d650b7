import { definePlugin } from '@laurel/plugin-sdk';
import { CORE_VERSION } from '../../version.ts';
import { DEMO_PROGRAM_CODE } from '../demo.ts';
import { auditServiceRef } from '../audit/index.ts';
import { migration as m0001 } from './migrations/0001_program.ts';
import { migration as m0002 } from './migrations/0002_point_value_history.ts';
import { Program, ProgramPointValue } from './program.entity.ts';
import { programRoutes } from './program.routes.ts';
import { createProgramService, programServiceRef } from './program.service.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** See loyalty programs and their settings. */
    'programs:read': true;
    /** Create programs, change their settings and status. */
    'programs:manage': true;
  }
}

/** Core module `programs`: loyalty programs (name in three languages, currency, point value, time zone, policies, status). */
export const programsModule = definePlugin({
  id: 'programs',
  version: CORE_VERSION,
  compatibility: `^${CORE_VERSION}`,
  dependsOn: ['audit'],
  entities: [Program, ProgramPointValue],
  migrations: [m0001, m0002],
  setup(ctx) {
    ctx.grant('programs:read', ['admin', 'program-manager', 'finance', 'marketing', 'support'], { apiKeys: true });
    ctx.grant('programs:manage', ['admin', 'program-manager']);
    ctx.locales({ en, pl, ru });
    const programs = createProgramService(ctx.inject(auditServiceRef));
    ctx.provide(programServiceRef, programs);
    ctx.routes(programRoutes(() => programs));
    ctx.seed(async (seedCtx) => {
      if (await programs.findByCode(seedCtx, DEMO_PROGRAM_CODE)) return;
      const program = await programs.create(seedCtx, {
        code: DEMO_PROGRAM_CODE,
        name: { en: 'Laurel Demo Partner Program', pl: 'Program partnerski Laurel Demo', ru: 'Партнёрская программа Laurel Demo' },
        currency: 'PLN',
        pointValueMinorPerThousand: 1000,
      });
      await programs.changeStatus(seedCtx, program.id, { status: 'live', reason: 'demo data' });
    });
  },
});

export { programServiceRef };
export type { PointValue, ProgramService, ProgramView, ProgramInput } from './program.service.ts';
export type { ExpiryPolicy, LocalizedText, ProgramStatus, RepSplitPolicy } from './program.entity.ts';
