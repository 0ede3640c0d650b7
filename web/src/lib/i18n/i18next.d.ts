// Types translation keys against the English resources, so `t('health:title')` is checked by
// svelte-check. The other locales must have the same keys (see scripts/check-i18n.ts).
import 'i18next';
import type admin from './locales/en/admin.json';
import type auth from './locales/en/auth.json';
import type catalogue from './locales/en/catalogue.json';
import type common from './locales/en/common.json';
import type disputes from './locales/en/disputes.json';
import type earning from './locales/en/earning.json';
import type health from './locales/en/health.json';
import type home from './locales/en/home.json';
import type ledger from './locales/en/ledger.json';
import type partners from './locales/en/partners.json';
import type portal from './locales/en/portal.json';
import type tiers from './locales/en/tiers.json';
import type webhooks from './locales/en/webhooks.json';

declare module 'i18next' {
	interface CustomTypeOptions {
		defaultNS: 'common';
		returnNull: false;
		resources: {
			admin: typeof admin;
			auth: typeof auth;
			catalogue: typeof catalogue;
			common: typeof common;
			disputes: typeof disputes;
			earning: typeof earning;
			health: typeof health;
			home: typeof home;
			ledger: typeof ledger;
			partners: typeof partners;
			portal: typeof portal;
			tiers: typeof tiers;
			webhooks: typeof webhooks;
		};
	}
}
