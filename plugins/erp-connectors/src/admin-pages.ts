import type { AdminPage, AdminTone } from '@laurel/plugin-sdk';

const STATUS_TONES: Record<string, AdminTone> = { posted: 'success', refused: 'warning', rejected: 'danger', duplicate: 'neutral' };
const status = { key: 'status', label: 'ui.documents.status', format: 'status', statusLabels: 'ui.status', tones: STATUS_TONES } as const;

/**
 * The admin panel's "ERP documents" page: upload a UBL or KSeF document and see what was read, the events sent and the
 * inbox's answers (or the refusal with its reason and line); the documents received, newest first; one document with
 * the raw XML.
 */
export const documentsPage: AdminPage = {
  id: 'documents',
  nav: { label: 'ui.documents.nav', icon: 'file', permission: 'erp:read', order: 10 },
  title: 'ui.documents.title',
  description: 'ui.documents.description',
  sections: [
    {
      kind: 'upload',
      id: 'upload',
      title: 'ui.upload.title',
      description: 'ui.upload.description',
      route: '/documents',
      fileField: 'document',
      accept: '.xml,application/xml,text/xml',
      permission: 'erp:write',
      fields: [
        { name: 'source', label: 'ui.upload.source', hint: 'ui.upload.sourceHint', required: true, defaultValue: 'admin-upload', maxLength: 100 },
        { name: 'programId', label: 'ui.upload.programId', hint: 'ui.upload.programIdHint', input: 'uuid' },
      ],
      submit: 'ui.upload.submit',
      result: {
        message: 'ui.upload.done',
        detailKey: 'id',
        values: [
          status,
          { key: 'format', label: 'ui.documents.format', statusLabels: 'ui.format', format: 'status' },
          { key: 'kind', label: 'ui.documents.kind', statusLabels: 'ui.kind', format: 'status' },
          { key: 'number', label: 'ui.documents.number', format: 'code' },
          { key: 'reading.issueDate', label: 'ui.reading.issueDate', format: 'date' },
          { key: 'reading.currency', label: 'ui.reading.currency', format: 'code' },
          { key: 'reading.seller.name', label: 'ui.reading.seller' },
          { key: 'reading.buyer.name', label: 'ui.reading.buyer' },
          { key: 'reading.lines', label: 'ui.reading.lines', format: 'count' },
          { key: 'reading.netTotal', label: 'ui.reading.netTotal', format: 'money', currencyKey: 'reading.currency' },
          { key: 'events', label: 'ui.documents.events', format: 'count' },
          { key: 'notes', label: 'ui.documents.notes', format: 'json' },
        ],
      },
    },
    {
      kind: 'table',
      id: 'documents',
      title: 'ui.documents.listTitle',
      route: '/documents',
      items: 'items',
      paging: { next: 'nextBefore', param: 'before' },
      filters: [{ name: 'status', label: 'ui.documents.status', input: 'select', options: ['posted', 'refused', 'rejected', 'duplicate'], optionLabels: 'ui.status' }],
      empty: 'ui.documents.empty',
      columns: [
        { key: 'createdAt', label: 'ui.documents.received', format: 'datetime', link: 'detail' },
        { key: 'number', label: 'ui.documents.number', format: 'code' },
        status,
        { key: 'format', label: 'ui.documents.format', statusLabels: 'ui.format', format: 'status' },
        { key: 'source', label: 'ui.documents.source' },
        { key: 'fileName', label: 'ui.documents.fileName' },
        { key: 'rejection.reason', label: 'ui.documents.reason' },
        { key: 'rejection.line', label: 'ui.documents.line', format: 'number', align: 'end' },
      ],
    },
  ],
  detail: {
    route: '/documents/:id',
    title: 'ui.detail.title',
    parts: [
      {
        kind: 'fields',
        values: [
          status,
          { key: 'number', label: 'ui.documents.number', format: 'code' },
          { key: 'format', label: 'ui.documents.format', statusLabels: 'ui.format', format: 'status' },
          { key: 'kind', label: 'ui.documents.kind', statusLabels: 'ui.kind', format: 'status' },
          { key: 'source', label: 'ui.documents.source' },
          { key: 'fileName', label: 'ui.documents.fileName' },
          { key: 'createdAt', label: 'ui.documents.received', format: 'datetime' },
          { key: 'reading.issueDate', label: 'ui.reading.issueDate', format: 'date' },
          { key: 'reading.currency', label: 'ui.reading.currency', format: 'code' },
          { key: 'reading.seller.name', label: 'ui.reading.seller' },
          { key: 'reading.seller.key', label: 'ui.reading.sellerKey', format: 'code' },
          { key: 'reading.buyer.name', label: 'ui.reading.buyer' },
          { key: 'reading.buyer.key', label: 'ui.reading.buyerKey', format: 'code' },
          { key: 'reading.netTotal', label: 'ui.reading.netTotal', format: 'money', currencyKey: 'reading.currency' },
          { key: 'reading.corrects.number', label: 'ui.reading.corrects', format: 'code' },
          { key: 'rejection.code', label: 'ui.rejection.code', format: 'code' },
          { key: 'rejection.reason', label: 'ui.documents.reason' },
          { key: 'rejection.line', label: 'ui.documents.line', format: 'number' },
          { key: 'rejection.path', label: 'ui.rejection.path', format: 'code' },
          { key: 'rawSha256', label: 'ui.detail.sha256', format: 'code' },
        ],
      },
      {
        kind: 'list',
        title: 'ui.reading.linesTitle',
        key: 'reading.lines',
        empty: 'ui.reading.noLines',
        columns: [
          { key: 'number', label: 'ui.reading.lineNumber', format: 'code' },
          { key: 'sku', label: 'ui.reading.sku', format: 'code' },
          { key: 'name', label: 'ui.reading.itemName' },
          { key: 'quantity', label: 'ui.reading.quantity' },
          { key: 'netAmount', label: 'ui.reading.netAmount', format: 'number' },
          { key: 'before', label: 'ui.reading.before' },
        ],
      },
      {
        kind: 'list',
        title: 'ui.events.title',
        key: 'events',
        empty: 'ui.events.none',
        columns: [
          { key: 'type', label: 'ui.events.type', format: 'code' },
          { key: 'externalId', label: 'ui.events.externalId', format: 'code' },
          { key: 'occurredAt', label: 'ui.events.occurredAt', format: 'datetime' },
          { key: 'lines', label: 'ui.reading.lines', format: 'count' },
        ],
      },
      {
        kind: 'list',
        title: 'ui.outcomes.title',
        key: 'outcomes',
        empty: 'ui.outcomes.none',
        columns: [
          { key: 'index', label: 'ui.outcomes.index', format: 'number' },
          { key: 'event.status', label: 'ui.outcomes.status', format: 'code' },
          { key: 'problem.code', label: 'ui.outcomes.problem', format: 'code' },
          { key: 'problem.detail', label: 'ui.outcomes.detail' },
        ],
      },
      { kind: 'code', title: 'ui.detail.notes', key: 'notes', language: 'json' },
      { kind: 'code', title: 'ui.detail.raw', route: '/documents/:id/raw', language: 'xml' },
    ],
  },
};
