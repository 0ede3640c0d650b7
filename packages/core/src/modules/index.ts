import type { PluginDefinition } from '@laurel/plugin-sdk';
import { auditModule } from './audit/index.ts';
import { systemModule } from './system/index.ts';

/** Core modules, registered through the same plugin API third parties use. */
export const coreModules: PluginDefinition[] = [auditModule, systemModule] as PluginDefinition[];
