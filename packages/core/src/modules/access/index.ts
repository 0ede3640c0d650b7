import { createServiceRef, definePlugin } from '@laurel/plugin-sdk';
import { CORE_VERSION } from '../../version.ts';
import { DEMO_ADMIN_EMAIL, DEMO_PASSWORD } from '../demo.ts';
import { authenticatorRef } from '../../platform/auth.ts';
import { auditServiceRef } from '../audit/index.ts';
import { mailServiceRef } from '../mail/index.ts';
import { ApiKey, OneTimeToken, Session, User } from './access.entity.ts';
import { accessRoutes } from './access.routes.ts';
import { createAccessService, type AccessService } from './access.service.ts';
import { migration as m0001 } from './migrations/0001_access.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** See admins and partner users. */
    'users:read': true;
    /** Invite people, change their roles and status. */
    'users:manage': true;
    /** Create and revoke API keys for integrations. */
    'api-keys:manage': true;
    /** A partner admin's: invite and remove colleagues of the same partner. */
    'team:manage': true;
  }
}

export const accessServiceRef = createServiceRef<AccessService>('access.service');

/** Core module `access`: people, roles and permissions, sign-in and sessions, invitations, password reset, API keys. */
export const accessModule = definePlugin({
  id: 'access',
  version: CORE_VERSION,
  compatibility: `^${CORE_VERSION}`,
  dependsOn: ['audit', 'mail'],
  entities: [User, Session, OneTimeToken, ApiKey],
  migrations: [m0001],
  setup(ctx) {
    ctx.grant('users:read', ['admin', 'program-manager', 'support'], { apiKeys: true });
    ctx.grant('users:manage', ['admin']);
    ctx.grant('api-keys:manage', ['admin']);
    ctx.grant('team:manage', ['partner-admin']);
    ctx.locales({ en, pl, ru });
    const audit = ctx.inject(auditServiceRef);
    const mail = ctx.inject(mailServiceRef);
    const access = createAccessService({ audit, mail, permissionsOf: (roles) => ctx.permissions.of(roles), apiKeyPermissions: () => ctx.permissions.forApiKeys() });
    ctx.provide(accessServiceRef, access);
    ctx.provide(authenticatorRef, access);
    ctx.routes(accessRoutes(() => access));
    ctx.seed(async (seedCtx) => {
      if (await access.findUserByEmail(seedCtx, DEMO_ADMIN_EMAIL)) return;
      await access.createActiveUser(seedCtx, { email: DEMO_ADMIN_EMAIL, displayName: 'Demo Admin', password: DEMO_PASSWORD, kind: 'admin', roles: ['admin'], locale: 'pl' });
    });
  },
});

export type { AccessService, ApiKeyView, UserView } from './access.service.ts';
