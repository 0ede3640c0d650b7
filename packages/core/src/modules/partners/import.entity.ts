import { defineEntity, p, programScoped } from '@laurel/plugin-sdk';
import type { PartnerInput } from './partner.service.ts';

export interface ImportProblem {
  line: number;
  column: string;
  code: string;
  message: string;
}

/** A CSV import of partners: validated up front, then created in the background with progress. */
export const PartnerImport = defineEntity({
  name: 'PartnerImport',
  tableName: 'partners_import',
  filters: programScoped('programId'),
  properties: {
    id: p.uuid().primary(),
    programId: p.uuid(),
    status: p.string().$type<'running' | 'done' | 'failed'>(),
    total: p.integer(),
    processed: p.integer(),
    created: p.integer(),
    skipped: p.integer(),
    rows: p.json<(PartnerInput & { line: number })[]>(),
    problems: p.json<ImportProblem[]>(),
    createdBy: p.json<unknown>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
    failure: p.text().nullable(),
  },
});
