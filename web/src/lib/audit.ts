/** Audit actions the core modules record, each with a translated name under `admin:audit.actions`. */
export const AUDIT_ACTIONS = [
	'access.api-key.created',
	'access.api-key.revoked',
	'access.invitation.accepted',
	'access.password.reset',
	'access.session.revoked-all',
	'access.user.created',
	'access.user.invited',
	'access.user.profile-updated',
	'access.user.updated',
	'partners.application.approved',
	'partners.application.rejected',
	'partners.partner.applied',
	'partners.partner.created',
	'partners.partner.status-changed',
	'partners.partner.updated',
	'partners.relation.linked',
	'partners.import.started',
	'partners.import.finished',
	'programs.program.created',
	'programs.program.status-changed',
	'programs.program.updated',
	'system.approval.requested',
	'system.approval.decision-sent',
	'system.dead-letter.replayed'
] as const;
export type KnownAuditAction = (typeof AUDIT_ACTIONS)[number];

export function isKnownAuditAction(action: string): action is KnownAuditAction {
	return (AUDIT_ACTIONS as readonly string[]).includes(action);
}

/** Subject types, each with a translated name under `admin:audit.subjects`. */
export const AUDIT_SUBJECT_TYPES = [
	'partner',
	'user',
	'program',
	'api-key',
	'approval',
	'partner-import',
	'outbox-delivery'
] as const;
export type KnownSubjectType = (typeof AUDIT_SUBJECT_TYPES)[number];

export function isKnownSubjectType(type: string): type is KnownSubjectType {
	return (AUDIT_SUBJECT_TYPES as readonly string[]).includes(type);
}

/** Who did it, from the record's `actor` (as the API describes actors). */
export type AuditActor =
	| { kind: 'user'; email: string; partnerId: string | null }
	| { kind: 'api-key'; name: string }
	| { kind: 'system'; name: string }
	| { kind: 'anonymous' }
	| { kind: 'unknown' };

export function auditActorOf(actor: unknown): AuditActor {
	if (typeof actor !== 'object' || actor === null) return { kind: 'unknown' };
	const value = actor as Record<string, unknown>;
	const text = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : '');
	switch (value.kind) {
		case 'user':
			return { kind: 'user', email: text('email'), partnerId: text('partnerId') || null };
		case 'api-key':
			return { kind: 'api-key', name: text('name') };
		case 'system':
			return { kind: 'system', name: text('name') };
		case 'anonymous':
			return { kind: 'anonymous' };
		default:
			return { kind: 'unknown' };
	}
}

export interface AuditChange {
	field: string;
	before: string | undefined;
	after: string | undefined;
}

function show(value: unknown): string | undefined {
	if (value === undefined) return undefined;
	if (typeof value === 'string') return value;
	return JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A record's data made readable: the fields that changed between `before` and `after` (all of
 * `after` for something new), and everything else the record carries (a reason, counts).
 */
export function describeAuditData(data: Record<string, unknown>): {
	changes: AuditChange[];
	other: Array<{ field: string; value: string }>;
} {
	const before = isRecord(data.before) ? data.before : {};
	const after = isRecord(data.after) ? data.after : {};
	const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
	const changes = fields
		.map((field) => ({ field, before: show(before[field]), after: show(after[field]) }))
		.filter((change) => change.before !== change.after);
	const other = Object.entries(data)
		.filter(([field]) => field !== 'before' && field !== 'after')
		.map(([field, value]) => ({ field, value: show(value) ?? '' }));
	return { changes, other };
}
