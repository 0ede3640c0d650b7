import type { AdminPage, AdminTone } from '@laurel/plugin-sdk';

/* The admin panel's "CSV sources" and "CSV imports" pages, as data rendered by the panel (docs/plugins.md 3.12). */

const IMPORT_TONES: Record<string, AdminTone> = { done: 'success', failed: 'danger', queued: 'neutral', reading: 'warning', posting: 'warning' };
const importStatus = { key: 'status', label: 'ui.csv.imports.status', format: 'status', statusLabels: 'ui.csv.importStatus', tones: IMPORT_TONES } as const;
const progress = [
  { key: 'progress.percent', label: 'ui.csv.imports.percent', format: 'percent' },
  { key: 'progress.rowsRead', label: 'ui.csv.imports.rowsRead', format: 'number' },
  { key: 'progress.rowsTotal', label: 'ui.csv.imports.rowsTotal', format: 'number' },
  { key: 'progress.rowsRejected', label: 'ui.csv.imports.rowsRejected', format: 'number' },
  { key: 'progress.invoicesValid', label: 'ui.csv.imports.invoicesValid', format: 'number' },
  { key: 'progress.invoicesRejected', label: 'ui.csv.imports.invoicesRejected', format: 'number' },
  { key: 'progress.eventsPosted', label: 'ui.csv.imports.eventsPosted', format: 'number' },
  { key: 'progress.eventsReplayed', label: 'ui.csv.imports.eventsReplayed', format: 'number' },
  { key: 'progress.eventsRefused', label: 'ui.csv.imports.eventsRefused', format: 'number' },
] as const;

export const csvSourcesPage: AdminPage = {
  id: 'csv-sources',
  nav: { label: 'ui.csv.sources.nav', icon: 'database', permission: 'erp:read', order: 30 },
  title: 'ui.csv.sources.title',
  description: 'ui.csv.sources.description',
  sections: [
    {
      kind: 'table',
      id: 'sources',
      title: 'ui.csv.sources.listTitle',
      route: '/csv/sources',
      items: 'items',
      empty: 'ui.csv.sources.empty',
      columns: [
        { key: 'code', label: 'ui.csv.sources.code', format: 'code', link: 'detail' },
        { key: 'name', label: 'ui.csv.sources.name' },
        { key: 'mapping.encoding', label: 'ui.csv.sources.encoding', format: 'code' },
        { key: 'mapping.delimiter', label: 'ui.csv.sources.delimiter', format: 'code' },
        { key: 'mapping.dateFormat', label: 'ui.csv.sources.dateFormat', format: 'code' },
        { key: 'updatedAt', label: 'ui.csv.sources.updatedAt', format: 'datetime' },
      ],
    },
    {
      kind: 'form',
      id: 'create',
      title: 'ui.csv.sources.createTitle',
      description: 'ui.csv.sources.createDescription',
      route: '/csv/source-forms',
      labelPrefix: 'ui.csv.fields',
      submit: 'ui.csv.sources.submit',
      success: 'ui.csv.sources.created',
      permission: 'erp:write',
    },
  ],
  detail: {
    route: '/csv/sources/:id',
    title: 'ui.csv.sources.detailTitle',
    parts: [
      {
        kind: 'fields',
        values: [
          { key: 'code', label: 'ui.csv.sources.code', format: 'code' },
          { key: 'name', label: 'ui.csv.sources.name' },
          { key: 'programId', label: 'ui.csv.fields.programId', format: 'code' },
          { key: 'version', label: 'ui.csv.sources.version', format: 'number' },
          { key: 'updatedAt', label: 'ui.csv.sources.updatedAt', format: 'datetime' },
        ],
      },
      { kind: 'code', title: 'ui.csv.sources.mapping', key: 'mapping', language: 'json' },
    ],
  },
};

export const csvImportsPage: AdminPage = {
  id: 'csv-imports',
  nav: { label: 'ui.csv.imports.nav', icon: 'upload', permission: 'erp:read', order: 31 },
  title: 'ui.csv.imports.title',
  description: 'ui.csv.imports.description',
  sections: [
    {
      kind: 'upload',
      id: 'upload',
      title: 'ui.csv.imports.uploadTitle',
      description: 'ui.csv.imports.uploadDescription',
      route: '/csv/imports',
      fileField: 'file',
      accept: '.csv,.txt,text/csv',
      permission: 'erp:write',
      fields: [
        { name: 'sourceId', label: 'ui.csv.imports.sourceId', hint: 'ui.csv.imports.sourceIdHint', input: 'uuid', required: true },
        { name: 'kind', label: 'ui.csv.imports.kind', input: 'select', options: ['invoices', 'payments'], optionLabels: 'ui.csv.kind', defaultValue: 'invoices', required: true },
      ],
      submit: 'ui.csv.imports.submit',
      result: { message: 'ui.csv.imports.uploaded', detailKey: 'id', values: [importStatus, { key: 'fileName', label: 'ui.csv.imports.fileName' }, { key: 'sourceCode', label: 'ui.csv.imports.source', format: 'code' }] },
    },
    {
      kind: 'table',
      id: 'imports',
      title: 'ui.csv.imports.listTitle',
      route: '/csv/imports',
      items: 'items',
      paging: { next: 'nextBefore', param: 'before' },
      empty: 'ui.csv.imports.empty',
      columns: [
        { key: 'createdAt', label: 'ui.csv.imports.uploadedAt', format: 'datetime', link: 'detail' },
        { key: 'sourceCode', label: 'ui.csv.imports.source', format: 'code' },
        { key: 'kind', label: 'ui.csv.imports.kind', format: 'status', statusLabels: 'ui.csv.kind' },
        { key: 'fileName', label: 'ui.csv.imports.fileName' },
        importStatus,
        ...progress.slice(0, 2),
        { key: 'progress.rowsRejected', label: 'ui.csv.imports.rowsRejected', format: 'number', align: 'end' },
        { key: 'progress.eventsPosted', label: 'ui.csv.imports.eventsPosted', format: 'number', align: 'end' },
      ],
    },
  ],
  detail: {
    route: '/csv/import-reports/:id',
    title: 'ui.csv.imports.detailTitle',
    parts: [
      { kind: 'fields', values: [importStatus, { key: 'sourceCode', label: 'ui.csv.imports.source', format: 'code' }, { key: 'fileName', label: 'ui.csv.imports.fileName' }, ...progress, { key: 'failure.message', label: 'ui.csv.imports.failure' }, { key: 'finishedAt', label: 'ui.csv.imports.finishedAt', format: 'datetime' }] },
      {
        kind: 'list',
        title: 'ui.csv.imports.reportTitle',
        key: 'report',
        empty: 'ui.csv.imports.reportEmpty',
        columns: [
          { key: 'row', label: 'ui.csv.imports.row', format: 'number' },
          { key: 'column', label: 'ui.csv.imports.column', format: 'code' },
          { key: 'invoiceNumber', label: 'ui.csv.imports.invoiceNumber', format: 'code' },
          { key: 'message', label: 'ui.csv.imports.message' },
        ],
      },
    ],
  },
};
