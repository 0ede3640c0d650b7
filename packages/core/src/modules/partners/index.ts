import { definePlugin, partnerDirectoryRef } from '@laurel/plugin-sdk';
import { CORE_VERSION } from '../../version.ts';
import { DEMO_ADMIN_EMAIL, DEMO_PARTNERS, DEMO_PASSWORD, DEMO_PROGRAM_CODE, demoNip, demoPartnerEmail } from '../demo.ts';
import { accessServiceRef } from '../access/index.ts';
import { auditServiceRef } from '../audit/index.ts';
import { programServiceRef } from '../programs/index.ts';
import { migration as m0001 } from './migrations/0001_partner.ts';
import { Partner, PartnerRelation } from './partner.entity.ts';
import { partnerRoutes } from './partner.routes.ts';
import { createPartnerService, partnerServiceRef } from './partner.service.ts';
import { createPartnerDirectory } from './partner.directory.ts';
import { createImportService } from './import.service.ts';
import { PartnerImport } from './import.entity.ts';
import { migration as m0002 } from './migrations/0002_import.ts';
import { migration as m0003 } from './migrations/0003_identifier_lookup.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

declare module '@laurel/plugin-sdk' {
  interface LaurelEvents {
    /** A validated CSV import waits to be carried out in the background. */
    'partners.import.requested': { importId: string };
  }
  interface LaurelPermissions {
    /** Search and read partners. */
    'partners:read': true;
    /** Add and change partners, change their status. */
    'partners:write': true;
    /** Approve or reject applications. */
    'partners:approve': true;
    /** A partner user's: read their own company's profile. */
    'partner-profile:read': true;
  }
}

/** Core module `partners`: companies in a program, their identifiers, lifecycle and onboarding. */
export const partnersModule = definePlugin({
  id: 'partners',
  version: CORE_VERSION,
  compatibility: `^${CORE_VERSION}`,
  dependsOn: ['audit', 'access', 'programs'],
  entities: [Partner, PartnerRelation, PartnerImport],
  migrations: [m0001, m0002, m0003],
  setup(ctx) {
    ctx.grant('partners:read', ['admin', 'program-manager', 'finance', 'marketing', 'support'], { apiKeys: true });
    ctx.grant('partners:write', ['admin', 'program-manager', 'support'], { apiKeys: true });
    ctx.grant('partners:approve', ['admin', 'program-manager']);
    ctx.grant('partner-profile:read', ['partner-admin', 'partner-user']);
    ctx.locales({ en, pl, ru });
    const accessService = ctx.inject(accessServiceRef);
    const programService = ctx.inject(programServiceRef);
    const partners = createPartnerService({ audit: ctx.inject(auditServiceRef), access: accessService, programs: programService });
    ctx.provide(partnerServiceRef, partners);
    // The public directory of the plugin SDK: partners by PartnerID, NIP, REGON or EU VAT.
    ctx.provide(partnerDirectoryRef, createPartnerDirectory(() => partners));
    const imports = createImportService({ partners: () => partners, programs: programService, access: accessService, audit: ctx.inject(auditServiceRef) });
    ctx.on('partners.import.requested', (event, listenerCtx) => imports.run(listenerCtx, event.payload.importId), { name: 'run-import', maxAttempts: 5 });
    ctx.routes(partnerRoutes(() => partners, () => imports));
    ctx.seed(async (seedCtx) => {
      const program = await programService().findByCode(seedCtx, DEMO_PROGRAM_CODE);
      const manager = await accessService().findUserByEmail(seedCtx, DEMO_ADMIN_EMAIL);
      if (!program || !manager) return;
      for (const [i, demo] of DEMO_PARTNERS.entries()) {
        const nip = demoNip(String(521_000_000 + i * 7_919));
        if ((await partners.list(seedCtx, { programId: program.id, q: nip, limit: 1 })).items.length > 0) continue;
        const partner = await partners.create(seedCtx, { programId: program.id, legalName: demo.legalName, nip, type: demo.type, region: demo.region, accountManagerId: manager.id });
        await accessService().createActiveUser(seedCtx, {
          email: demoPartnerEmail(i),
          displayName: `${demo.legalName.split(' ')[0]} Admin`,
          password: DEMO_PASSWORD,
          kind: 'partner',
          roles: ['partner-admin'],
          partnerId: partner.id,
          locale: demo.locale,
        });
      }
    });
  },
});

export { partnerServiceRef };
export type { PartnerService, PartnerView, PartnerInput } from './partner.service.ts';
export type { PartnerStatus, PartnerType } from './partner.entity.ts';
