import { defineEntity, p, partnerScoped, type Locale, type Role } from '@laurel/plugin-sdk';

export type UserStatus = 'invited' | 'active' | 'disabled';

/** A person: an admin (staff of the program owner) or a partner user. Partner users see only their partner's users. */
export const User = defineEntity({
  name: 'User',
  tableName: 'access_user',
  filters: partnerScoped('partnerId'),
  properties: {
    id: p.uuid().primary(),
    email: p.string(),
    displayName: p.string(),
    kind: p.string().$type<'admin' | 'partner'>(),
    partnerId: p.uuid().nullable(),
    programIds: p.json<string[]>().nullable(),
    roles: p.json<Role[]>(),
    locale: p.string().$type<Locale>(),
    passwordHash: p.text().nullable(),
    status: p.string().$type<UserStatus>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    lastSignInAt: p.datetime().nullable(),
  },
});

export const Session = defineEntity({
  name: 'Session',
  tableName: 'access_session',
  properties: {
    id: p.uuid().primary(),
    user: () => p.manyToOne(User),
    tokenHash: p.string(),
    csrfToken: p.string(),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
    lastSeenAt: p.datetime(),
    ip: p.string().nullable(),
    userAgent: p.text().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});

export const OneTimeToken = defineEntity({
  name: 'OneTimeToken',
  tableName: 'access_one_time_token',
  properties: {
    id: p.uuid().primary(),
    user: () => p.manyToOne(User),
    purpose: p.string().$type<'invitation' | 'password-reset'>(),
    tokenHash: p.string(),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
  },
});

export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'access_api_key',
  properties: {
    id: p.uuid().primary(),
    name: p.string(),
    prefix: p.string(),
    secretHash: p.string(),
    permissions: p.json<string[]>(),
    programId: p.uuid().nullable(),
    createdAt: p.datetime(),
    createdBy: p.json<unknown>(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});
