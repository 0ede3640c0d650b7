import type { AdminPage } from '@laurel/plugin-sdk';

/**
 * The admin panel's "Kudos" page: give kudos (a form whose fields are derived from the POST /kudos body schema), the
 * kudos given, newest first, and approve or reject those awaiting approval.
 */
export const kudosPage: AdminPage = {
  id: 'kudos',
  nav: { label: 'ui.nav', icon: 'users', permission: 'template:write', order: 50 },
  title: 'ui.title',
  description: 'ui.description',
  sections: [
    // No `fields`: they come from the route's body (partnerId, message, level), labelled ui.fields.<name>.
    { kind: 'form', id: 'give', title: 'ui.give.title', route: '/kudos', labelPrefix: 'ui.fields', submit: 'ui.give.submit', success: 'ui.give.done' },
    {
      kind: 'table',
      id: 'kudos',
      title: 'ui.list.title',
      route: '/kudos',
      empty: 'ui.list.empty',
      columns: [
        { key: 'createdAt', label: 'ui.list.given', format: 'datetime' },
        { key: 'partnerId', label: 'ui.fields.partnerId', format: 'code' },
        { key: 'level', label: 'ui.fields.level', format: 'status', statusLabels: 'levels', tones: { thanks: 'neutral', great: 'info', outstanding: 'success' } },
        { key: 'message', label: 'ui.fields.message' },
        { key: 'status', label: 'ui.list.status', format: 'status', statusLabels: 'ui.status', tones: { 'awaiting-approval': 'warning', approved: 'info', granted: 'success', rejected: 'danger', expired: 'neutral' } },
        { key: 'points', label: 'ui.list.points', format: 'points', align: 'end' },
      ],
      actions: [
        { id: 'approve', label: 'ui.approve.label', route: '/kudos/:id/decision', body: { decision: 'approve' }, confirm: 'ui.approve.confirm', success: 'ui.approve.done', when: { key: 'status', in: ['awaiting-approval'] } },
        { id: 'reject', label: 'ui.reject.label', route: '/kudos/:id/decision', body: { decision: 'reject' }, confirm: 'ui.reject.confirm', success: 'ui.reject.done', tone: 'danger', when: { key: 'status', in: ['awaiting-approval'] } },
      ],
    },
  ],
};
