import type { PluginDefinition } from '@laurel/plugin-sdk';
import { accessModule } from './access/index.ts';
import { auditModule } from './audit/index.ts';
import { catalogueModule } from './catalogue/index.ts';
import { earningModule } from './earning/index.ts';
import { ledgerModule } from './ledger/index.ts';
import { mailModule } from './mail/index.ts';
import { partnersModule } from './partners/index.ts';
import { programsModule } from './programs/index.ts';
import { systemModule } from './system/index.ts';
import { tiersModule } from './tiers/index.ts';
import { webhooksModule } from './webhooks/index.ts';

/** Core modules, registered through the same plugin API third parties use (set up in dependency order). */
export const coreModules: PluginDefinition[] = [auditModule, mailModule, accessModule, programsModule, partnersModule, ledgerModule, earningModule, tiersModule, systemModule, catalogueModule, webhooksModule] as PluginDefinition[];
