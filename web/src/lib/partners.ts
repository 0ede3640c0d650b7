import type { paths } from '#lib/api/client.ts';
import type { StatusTone } from '#lib/ui/StatusBadge.svelte';

export type Partner =
	paths['/api/v1/partners/{id}']['get']['responses'][200]['content']['application/json'];
export type PartnerType = Partner['type'];
export type PartnerStatus = Partner['status'];
export type Program =
	paths['/api/v1/programs/']['get']['responses'][200]['content']['application/json']['items'][number];

export const PARTNER_TYPES: readonly PartnerType[] = ['distributor', 'wholesaler', 'reseller', 'dealer', 'integrator'];
export const PARTNER_STATUSES: readonly PartnerStatus[] = ['applied', 'active', 'suspended', 'closed'];

export function isPartnerType(value: unknown): value is PartnerType {
	return typeof value === 'string' && (PARTNER_TYPES as readonly string[]).includes(value);
}

export function isPartnerStatus(value: unknown): value is PartnerStatus {
	return typeof value === 'string' && (PARTNER_STATUSES as readonly string[]).includes(value);
}

/**
 * Poland's voivodeships: the value stored on partners (the Polish name, lower case) and the key of
 * its translated name under `partners:regions`.
 */
export const REGIONS = {
	dolnośląskie: 'lowerSilesian',
	'kujawsko-pomorskie': 'kuyavianPomeranian',
	lubelskie: 'lublin',
	lubuskie: 'lubusz',
	łódzkie: 'lodz',
	małopolskie: 'lesserPoland',
	mazowieckie: 'masovian',
	opolskie: 'opole',
	podkarpackie: 'subcarpathian',
	podlaskie: 'podlaskie',
	pomorskie: 'pomeranian',
	śląskie: 'silesian',
	świętokrzyskie: 'holyCross',
	'warmińsko-mazurskie': 'warmianMasurian',
	wielkopolskie: 'greaterPoland',
	zachodniopomorskie: 'westPomeranian'
} as const;

export type RegionValue = keyof typeof REGIONS;
export type RegionKey = (typeof REGIONS)[RegionValue];

export function regionKeyOf(value: string | null | undefined): RegionKey | undefined {
	return value && value in REGIONS ? REGIONS[value as RegionValue] : undefined;
}

/** Badge tone of a partner status; the badge's text carries the meaning. */
export function partnerStatusTone(status: PartnerStatus): StatusTone {
	switch (status) {
		case 'applied':
			return 'info';
		case 'active':
			return 'success';
		case 'suspended':
			return 'warning';
		case 'closed':
			return 'neutral';
	}
}

/** What may happen to a partner next (the API enforces the same rules). */
export type PartnerAction = 'approve' | 'reject' | 'suspend' | 'reactivate' | 'close';

export function partnerActionsFor(status: PartnerStatus): PartnerAction[] {
	switch (status) {
		case 'applied':
			return ['approve', 'reject'];
		case 'active':
			return ['suspend', 'close'];
		case 'suspended':
			return ['reactivate', 'close'];
		case 'closed':
			return [];
	}
}

/** A program's name in the UI language (names are stored in en, pl and ru). */
export function programName(
	name: { en: string; pl: string; ru: string } | null | undefined,
	locale: 'en' | 'pl' | 'ru'
): string | undefined {
	return name ? name[locale] || name.en : undefined;
}
