import type { AdminPage, AdminTone } from '@laurel/plugin-sdk';
import { PRESETS } from './mapping.ts';

/*
 * The admin panel's pages for signed webhooks in, through the SDK's declarative admin pages: the sources (add one from
 * a preset — its secret shown once —, rotate a secret — the new one shown once, the old one kept until the date given —,
 * the list, one source with its mapping) and the delivery log of every source.
 */

const RESULT_TONES: Record<string, AdminTone> = { posted: 'success', replayed: 'info', ignored: 'neutral', rejected: 'danger', refused: 'warning', unauthorized: 'danger', failed: 'danger', processing: 'info' };
const RESULTS = Object.keys(RESULT_TONES);

export const webhookSourcesPage: AdminPage = {
  id: 'webhook-sources',
  nav: { label: 'ui.webhooks.nav', icon: 'key', permission: 'erp:read', order: 20 },
  title: 'ui.webhooks.title',
  description: 'ui.webhooks.description',
  sections: [
    {
      kind: 'table',
      id: 'sources',
      title: 'ui.webhooks.listTitle',
      route: '/webhook-sources',
      items: 'items',
      empty: 'ui.webhooks.empty',
      columns: [
        { key: 'name', label: 'ui.webhooks.name', link: 'detail' },
        { key: 'mapping.type', label: 'ui.webhooks.type', format: 'code' },
        { key: 'eventSource', label: 'ui.webhooks.eventSource', format: 'code' },
        { key: 'path', label: 'ui.webhooks.path', format: 'code' },
        { key: 'secretHint', label: 'ui.webhooks.secretHint', format: 'code' },
        { key: 'previousSecretExpiresAt', label: 'ui.webhooks.previousSecretExpiresAt', format: 'datetime' },
        { key: 'lastDeliveryAt', label: 'ui.webhooks.lastDeliveryAt', format: 'datetime' },
      ],
    },
    {
      kind: 'form',
      id: 'create',
      title: 'ui.webhooks.createTitle',
      description: 'ui.webhooks.createDescription',
      route: '/webhook-sources',
      permission: 'erp:webhooks',
      fields: [
        { name: 'programId', label: 'ui.webhooks.programId', input: 'uuid', required: true },
        { name: 'name', label: 'ui.webhooks.name', required: true, maxLength: 200 },
        { name: 'eventSource', label: 'ui.webhooks.eventSource', hint: 'ui.webhooks.eventSourceHint', required: true, maxLength: 100 },
        { name: 'preset', label: 'ui.webhooks.preset', hint: 'ui.webhooks.presetHint', input: 'select', options: PRESETS.map((p) => p.id), optionLabels: 'ui.webhooks.presets', required: true },
      ],
      submit: 'ui.webhooks.createSubmit',
      success: 'ui.webhooks.created',
    },
    {
      kind: 'form',
      id: 'rotate',
      title: 'ui.webhooks.rotateTitle',
      description: 'ui.webhooks.rotateDescription',
      route: '/webhook-secret-rotations',
      permission: 'erp:webhooks',
      fields: [
        { name: 'sourceId', label: 'ui.webhooks.sourceId', input: 'uuid', required: true },
        { name: 'previousSecretExpiresAt', label: 'ui.webhooks.previousSecretExpiresAt', hint: 'ui.webhooks.expiryHint', input: 'date', required: true },
      ],
      submit: 'ui.webhooks.rotateSubmit',
      success: 'ui.webhooks.rotated',
    },
  ],
  detail: {
    route: '/webhook-sources/:id',
    title: 'ui.webhooks.detailTitle',
    parts: [
      {
        kind: 'fields',
        values: [
          { key: 'id', label: 'ui.webhooks.sourceId', format: 'code' },
          { key: 'programId', label: 'ui.webhooks.programId', format: 'code' },
          { key: 'path', label: 'ui.webhooks.path', format: 'code' },
          { key: 'eventSource', label: 'ui.webhooks.eventSource', format: 'code' },
          { key: 'preset', label: 'ui.webhooks.preset', format: 'code' },
          { key: 'mapping.type', label: 'ui.webhooks.type', format: 'code' },
          { key: 'secretHint', label: 'ui.webhooks.secretHint', format: 'code' },
          { key: 'secretRotatedAt', label: 'ui.webhooks.secretRotatedAt', format: 'datetime' },
          { key: 'previousSecretHint', label: 'ui.webhooks.previousSecretHint', format: 'code' },
          { key: 'previousSecretExpiresAt', label: 'ui.webhooks.previousSecretExpiresAt', format: 'datetime' },
          { key: 'lastDeliveryAt', label: 'ui.webhooks.lastDeliveryAt', format: 'datetime' },
          { key: 'createdAt', label: 'ui.webhooks.createdAt', format: 'datetime' },
        ],
      },
      { kind: 'code', title: 'ui.webhooks.mapping', key: 'mapping', language: 'json' },
    ],
  },
};

export const webhookDeliveriesPage: AdminPage = {
  id: 'webhook-deliveries',
  nav: { label: 'ui.deliveries.nav', icon: 'history', permission: 'erp:read', order: 21 },
  title: 'ui.deliveries.title',
  description: 'ui.deliveries.description',
  sections: [
    {
      kind: 'table',
      id: 'deliveries',
      route: '/webhook-deliveries',
      items: 'items',
      paging: { next: 'nextBefore', param: 'before' },
      filters: [
        { name: 'sourceId', label: 'ui.webhooks.sourceId', input: 'uuid' },
        { name: 'result', label: 'ui.deliveries.result', input: 'select', options: RESULTS, optionLabels: 'ui.deliveries.results' },
      ],
      empty: 'ui.deliveries.empty',
      columns: [
        { key: 'receivedAt', label: 'ui.deliveries.receivedAt', format: 'datetime' },
        { key: 'sourceName', label: 'ui.webhooks.name' },
        { key: 'webhookId', label: 'ui.deliveries.webhookId', format: 'code' },
        { key: 'result', label: 'ui.deliveries.result', format: 'status', statusLabels: 'ui.deliveries.results', tones: RESULT_TONES },
        { key: 'httpStatus', label: 'ui.deliveries.httpStatus', format: 'number', align: 'end' },
        { key: 'secretUsed', label: 'ui.deliveries.secretUsed', format: 'code' },
        { key: 'error.code', label: 'ui.deliveries.errorCode', format: 'code' },
        { key: 'error.field', label: 'ui.deliveries.errorField', format: 'code' },
        { key: 'error.eventField', label: 'ui.deliveries.eventField', format: 'code' },
        { key: 'error.reason', label: 'ui.deliveries.reason' },
      ],
    },
  ],
};
