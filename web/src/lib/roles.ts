/** Roles of program staff (admin users) and of partner users, as the API names them. */
export const ADMIN_ROLES = ['admin', 'program-manager', 'finance', 'marketing', 'support'] as const;
export const PARTNER_ROLES = ['partner-admin', 'partner-user'] as const;

export type AdminRole = (typeof ADMIN_ROLES)[number];
export type PartnerRole = (typeof PARTNER_ROLES)[number];
export type Role = AdminRole | PartnerRole;

export function isAdminRole(value: unknown): value is AdminRole {
	return typeof value === 'string' && (ADMIN_ROLES as readonly string[]).includes(value);
}

export function isPartnerRole(value: unknown): value is PartnerRole {
	return typeof value === 'string' && (PARTNER_ROLES as readonly string[]).includes(value);
}

export function isRole(value: unknown): value is Role {
	return isAdminRole(value) || isPartnerRole(value);
}

/**
 * Permissions an API key may carry (those the API grants to keys; anything else is refused with a
 * field error), each with the key of its description under `admin:apiKeys.scopes` (i18next
 * reserves `:` for namespaces).
 */
export const API_KEY_SCOPES = {
	'partners:read': 'partnersRead',
	'partners:write': 'partnersWrite',
	'programs:read': 'programsRead',
	'users:read': 'usersRead',
	'audit:read': 'auditRead',
	'system:operate': 'systemOperate'
} as const;
export type ApiKeyScope = keyof typeof API_KEY_SCOPES;
