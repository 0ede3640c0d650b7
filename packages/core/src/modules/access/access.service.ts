import { AppError, ADMIN_ROLES, PARTNER_ROLES, describeActor, type Actor, type InferEntity, type Locale, type RequestContext, type Role } from '@laurel/plugin-sdk';
import type { EntityManager } from '@mikro-orm/postgresql';
import { uuidv7 } from '../../platform/ids.ts';
import type { Authentication, AuthenticationInput } from '../../platform/auth.ts';
import type { AuditService } from '../audit/index.ts';
import { ApiKey, OneTimeToken, Session, User, type UserStatus } from './access.entity.ts';
import { API_KEY_PATTERN, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, hashPassword, newApiKey, randomToken, sameSecret, sha256, verifyPassword } from './secrets.ts';

type UserRow = InferEntity<typeof User>;

export interface UserView {
  id: string;
  email: string;
  displayName: string;
  kind: 'admin' | 'partner';
  partnerId: string | null;
  programIds: string[] | null;
  roles: Role[];
  locale: Locale;
  status: UserStatus;
  createdAt: string;
  lastSignInAt: string | null;
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  permissions: string[];
  programId: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** What the mail module offers (kept as a narrow interface so access depends on the contract only). */
export interface MailSender {
  send(ctx: RequestContext, message: { to: string; locale: Locale; template: string; params: Record<string, unknown> }): void;
}

export interface AccessDeps {
  audit: () => AuditService;
  mail: () => MailSender;
  /** Resolve roles to permissions (granted by every enabled plugin). */
  permissionsOf: (roles: readonly Role[]) => string[];
  /** Permissions an API key may hold. */
  apiKeyPermissions: () => string[];
}

export const SESSION_TTL_MS = 30 * 24 * 3600_000;
export const SESSION_IDLE_MS = 7 * 24 * 3600_000;
const SESSION_TOUCH_MS = 5 * 60_000;
export const INVITATION_TTL_MS = 7 * 24 * 3600_000;
export const RESET_TTL_MS = 2 * 3600_000;
const FAILURE_WINDOW = "interval '15 minutes'";
const MAX_FAILURES_PER_EMAIL = 5;
const MAX_FAILURES_PER_IP = 30;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function userView(u: UserRow): UserView {
  return {
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    kind: u.kind,
    partnerId: u.partnerId ?? null,
    programIds: u.programIds ?? null,
    roles: u.roles,
    locale: u.locale,
    status: u.status,
    createdAt: u.createdAt.toISOString(),
    lastSignInAt: u.lastSignInAt ? u.lastSignInAt.toISOString() : null,
  };
}

function apiKeyView(k: InferEntity<typeof ApiKey>): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    permissions: k.permissions,
    programId: k.programId ?? null,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt ? k.lastUsedAt.toISOString() : null,
    revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
  };
}

function checkPassword(password: string, field = '/body/password'): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw new AppError('ACCESS_PASSWORD_TOO_WEAK', 422, {
      params: { min: PASSWORD_MIN_LENGTH },
      fields: [{ field, messageKey: 'access:errors.ACCESS_PASSWORD_TOO_WEAK', params: { min: PASSWORD_MIN_LENGTH } }],
    });
  }
}

function checkRoles(kind: 'admin' | 'partner', roles: readonly string[]): Role[] {
  const allowed: readonly string[] = kind === 'admin' ? ADMIN_ROLES : PARTNER_ROLES;
  if (roles.length === 0 || roles.some((r) => !allowed.includes(r))) {
    throw new AppError('ACCESS_ROLE_INVALID', 422, {
      params: { allowed: allowed.join(', ') },
      fields: [{ field: '/body/roles', messageKey: 'access:errors.ACCESS_ROLE_INVALID', params: { allowed: allowed.join(', ') } }],
    });
  }
  return [...new Set(roles)] as Role[];
}

/** Sign-in, sessions, invitations, password reset, users and API keys. */
export function createAccessService(deps: AccessDeps) {
  const unscoped = { filters: false } as const;

  async function issueToken(em: EntityManager, userId: string, purpose: 'invitation' | 'password-reset', ttlMs: number): Promise<string> {
    const token = randomToken();
    const now = new Date();
    // A new token replaces earlier unused ones of the same purpose.
    await em.nativeUpdate(OneTimeToken, { user: userId, purpose, usedAt: null }, { usedAt: now }, unscoped);
    em.persist(em.create(OneTimeToken, { id: uuidv7(), user: userId, purpose, tokenHash: sha256(token), createdAt: now, expiresAt: new Date(now.getTime() + ttlMs), usedAt: null }));
    return token;
  }

  async function consumeToken(em: EntityManager, token: string, purpose: 'invitation' | 'password-reset'): Promise<UserRow> {
    const row = await em.findOne(OneTimeToken, { tokenHash: sha256(token), purpose }, unscoped);
    if (!row || row.usedAt || row.expiresAt.getTime() < Date.now()) throw new AppError('ACCESS_TOKEN_INVALID', 410);
    const user = await em.findOne(User, { id: row.user.id }, unscoped);
    if (!user || user.status === 'disabled') throw new AppError('ACCESS_TOKEN_INVALID', 410);
    row.usedAt = new Date();
    return user;
  }

  async function openSession(em: EntityManager, user: UserRow, ctx: RequestContext, userAgent: string | null): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
    const token = randomToken();
    const csrfToken = randomToken(24);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    em.persist(em.create(Session, { id: uuidv7(), user, tokenHash: sha256(token), csrfToken, createdAt: now, expiresAt, lastSeenAt: now, ip: ctx.ip, userAgent, revokedAt: null }));
    user.lastSignInAt = now;
    return { token, csrfToken, expiresAt };
  }

  function invite(ctx: RequestContext, user: UserRow, token: string, baseUrl: string, inviterName: string, programName: string): void {
    deps.mail().send(ctx, {
      to: user.email,
      locale: user.locale,
      template: 'invitation',
      params: { inviterName, programName, link: `${baseUrl}/invitation/${token}`, expiresAt: new Date(Date.now() + INVITATION_TTL_MS).toISOString() },
    });
  }

  function inviterName(ctx: RequestContext): string {
    return ctx.actor.kind === 'user' ? ctx.actor.email : 'Laurel';
  }

  const service = {
    /** Resolve a bearer API key or a session cookie to an actor (used by the platform for every API request). */
    async authenticate(input: AuthenticationInput, em: EntityManager): Promise<Authentication | null> {
      const bearer = input.authorization?.startsWith('Bearer ') ? input.authorization.slice(7).trim() : null;
      if (bearer) {
        const match = API_KEY_PATTERN.exec(bearer);
        const key = match ? await em.findOne(ApiKey, { prefix: match[1]! }) : null;
        if (!match || !key || key.revokedAt || !sameSecret(key.secretHash, sha256(match[2]!))) throw new AppError('UNAUTHORIZED', 401);
        if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > 60_000) {
          await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: new Date() });
        }
        const allowed = new Set(deps.apiKeyPermissions());
        return {
          actor: { kind: 'api-key', keyId: key.id, name: key.name, permissions: key.permissions.filter((p) => allowed.has(p)), programId: key.programId ?? null },
          via: 'bearer',
          csrfToken: null,
          locale: null,
        };
      }
      if (!input.sessionToken) return null;
      const session = await em.findOne(Session, { tokenHash: sha256(input.sessionToken) }, unscoped);
      const now = Date.now();
      if (!session || session.revokedAt || session.expiresAt.getTime() < now || now - session.lastSeenAt.getTime() > SESSION_IDLE_MS) return null;
      const user = await em.findOne(User, { id: session.user.id }, unscoped);
      if (!user || user.status !== 'active') return null;
      if (now - session.lastSeenAt.getTime() > SESSION_TOUCH_MS) await em.nativeUpdate(Session, { id: session.id }, { lastSeenAt: new Date(now) }, unscoped);
      const actor: Actor = {
        kind: 'user',
        userId: user.id,
        email: user.email,
        partnerId: user.partnerId ?? null,
        roles: user.roles,
        programIds: user.programIds ?? null,
        permissions: deps.permissionsOf(user.roles),
        sessionId: session.id,
      };
      return { actor, via: 'session', csrfToken: session.csrfToken, locale: user.locale };
    },

    /** Password sign-in. Wrong e-mail and wrong password answer alike; repeated failures are throttled. */
    async signIn(ctx: RequestContext, input: { email: string; password: string; userAgent: string | null }) {
      const email = normalizeEmail(input.email);
      const ip = ctx.ip ?? 'unknown';
      const [counts] = await ctx.em.execute<{ by_email: string; by_ip: string }[]>(
        `select (select count(*) from access_sign_in_failure where email = ? and at > now() - ${FAILURE_WINDOW})::text as by_email,
                (select count(*) from access_sign_in_failure where ip = ? and at > now() - ${FAILURE_WINDOW})::text as by_ip`,
        [email, ip],
      );
      if (Number(counts?.by_email) >= MAX_FAILURES_PER_EMAIL || Number(counts?.by_ip) >= MAX_FAILURES_PER_IP) {
        throw new AppError('ACCESS_SIGN_IN_THROTTLED', 429);
      }
      const user = await ctx.em.findOne(User, { email }, unscoped);
      const ok = await verifyPassword(user?.status === 'active' ? user.passwordHash : null, input.password);
      if (!user || !ok) {
        // Record the failure; failures older than a day no longer count and are removed on the way.
        await ctx.em.execute(
          "with expired as (delete from access_sign_in_failure where at < now() - interval '1 day') insert into access_sign_in_failure (email, ip) values (?, ?)",
          [email, ip],
        );
        throw new AppError('ACCESS_INVALID_CREDENTIALS', 401);
      }
      await ctx.em.execute('delete from access_sign_in_failure where email = ?', [email]);
      const session = await openSession(ctx.em, user, ctx, input.userAgent);
      await ctx.em.flush();
      return { ...session, user: userView(user), permissions: deps.permissionsOf(user.roles) };
    },

    async signOut(ctx: RequestContext): Promise<void> {
      if (ctx.actor.kind !== 'user') return;
      await ctx.em.nativeUpdate(Session, { id: ctx.actor.sessionId, revokedAt: null }, { revokedAt: new Date() }, unscoped);
    },

    /** Revoke every session of the signed-in person (all browsers and devices). */
    async signOutEverywhere(ctx: RequestContext): Promise<number> {
      if (ctx.actor.kind !== 'user') return 0;
      const n = await ctx.em.nativeUpdate(Session, { user: ctx.actor.userId, revokedAt: null }, { revokedAt: new Date() }, unscoped);
      deps.audit().record(ctx, { action: 'access.session.revoked-all', subjectType: 'user', subjectId: ctx.actor.userId, data: { sessions: n } });
      await ctx.em.flush();
      return n;
    },

    async me(ctx: RequestContext): Promise<UserView> {
      if (ctx.actor.kind !== 'user') throw new AppError('UNAUTHORIZED', 401);
      const user = await ctx.em.findOneOrFail(User, { id: ctx.actor.userId }, unscoped);
      return userView(user);
    },

    async updateProfile(ctx: RequestContext, input: { displayName?: string; locale?: Locale }): Promise<UserView> {
      if (ctx.actor.kind !== 'user') throw new AppError('UNAUTHORIZED', 401);
      const user = await ctx.em.findOneOrFail(User, { id: ctx.actor.userId }, unscoped);
      const before = { displayName: user.displayName, locale: user.locale };
      if (input.displayName !== undefined) user.displayName = input.displayName.trim();
      if (input.locale !== undefined) user.locale = input.locale;
      user.updatedAt = new Date();
      deps.audit().record(ctx, { action: 'access.user.profile-updated', subjectType: 'user', subjectId: user.id, data: { before, after: { displayName: user.displayName, locale: user.locale } } });
      await ctx.em.flush();
      return userView(user);
    },

    /** Create an invited user and mail the invitation (admins for staff; partner admins for their colleagues). */
    async inviteUser(
      ctx: RequestContext,
      input: {
        email: string;
        displayName: string;
        kind: 'admin' | 'partner';
        partnerId?: string | null;
        roles: string[];
        programIds?: string[] | null;
        locale: Locale;
        baseUrl: string;
        /** What the invitation names, in the invitee's language (a partner's program); defaults to Laurel. */
        programName?: string;
      },
    ): Promise<{ user: UserView; invitationToken: string }> {
      const email = normalizeEmail(input.email);
      const roles = checkRoles(input.kind, input.roles);
      if (await ctx.em.findOne(User, { email }, unscoped)) {
        throw new AppError('ACCESS_EMAIL_TAKEN', 409, { params: { email }, fields: [{ field: '/body/email', messageKey: 'access:errors.ACCESS_EMAIL_TAKEN', params: { email } }] });
      }
      const now = new Date();
      const user = ctx.em.create(User, {
        id: uuidv7(),
        email,
        displayName: input.displayName.trim(),
        kind: input.kind,
        partnerId: input.kind === 'partner' ? (input.partnerId ?? null) : null,
        programIds: input.kind === 'admin' ? (input.programIds ?? null) : null,
        roles,
        locale: input.locale,
        passwordHash: null,
        status: 'invited',
        createdAt: now,
        updatedAt: now,
        lastSignInAt: null,
      });
      ctx.em.persist(user);
      const token = await issueToken(ctx.em, user.id, 'invitation', INVITATION_TTL_MS);
      invite(ctx, user, token, input.baseUrl, inviterName(ctx), input.programName ?? 'Laurel');
      deps.audit().record(ctx, { action: 'access.user.invited', subjectType: 'user', subjectId: user.id, data: { after: { email, roles, kind: input.kind, partnerId: user.partnerId ?? null } } });
      await ctx.em.flush();
      return { user: userView(user), invitationToken: token };
    },

    /** Accept an invitation: set the password, activate, sign in. */
    async acceptInvitation(ctx: RequestContext, input: { token: string; password: string; displayName?: string; userAgent: string | null }) {
      checkPassword(input.password);
      const result = await ctx.em.transactional(async (em) => {
        const user = await consumeToken(em, input.token, 'invitation');
        user.passwordHash = await hashPassword(input.password);
        user.status = 'active';
        if (input.displayName) user.displayName = input.displayName.trim();
        user.updatedAt = new Date();
        const session = await openSession(em, user, ctx, input.userAgent);
        deps.audit().record({ ...ctx, em }, { action: 'access.invitation.accepted', subjectType: 'user', subjectId: user.id });
        return { ...session, user: userView(user), permissions: deps.permissionsOf(user.roles) };
      });
      return result;
    },

    /** Always succeeds from the caller's view (no account enumeration); mails a link when the account exists. */
    async requestPasswordReset(ctx: RequestContext, input: { email: string; baseUrl: string }): Promise<void> {
      const user = await ctx.em.findOne(User, { email: normalizeEmail(input.email) }, unscoped);
      if (!user || user.status !== 'active') return;
      const token = await issueToken(ctx.em, user.id, 'password-reset', RESET_TTL_MS);
      deps.mail().send(ctx, {
        to: user.email,
        locale: user.locale,
        template: 'passwordReset',
        params: { link: `${input.baseUrl}/password-reset/${token}`, expiresAt: new Date(Date.now() + RESET_TTL_MS).toISOString() },
      });
      await ctx.em.flush();
    },

    /** Set a new password from a reset link; every session of the account is revoked. */
    async completePasswordReset(ctx: RequestContext, input: { token: string; password: string }): Promise<void> {
      checkPassword(input.password);
      await ctx.em.transactional(async (em) => {
        const user = await consumeToken(em, input.token, 'password-reset');
        user.passwordHash = await hashPassword(input.password);
        user.updatedAt = new Date();
        await em.nativeUpdate(Session, { user: user.id, revokedAt: null }, { revokedAt: new Date() }, unscoped);
        deps.audit().record({ ...ctx, em }, { action: 'access.password.reset', subjectType: 'user', subjectId: user.id });
      });
    },

    /** Users the caller may see: all for staff; their own partner's for partner users (partner scope filter). */
    async listUsers(ctx: RequestContext, query: { kind?: 'admin' | 'partner'; partnerId?: string }): Promise<UserView[]> {
      const where: Record<string, unknown> = {};
      if (query.kind) where.kind = query.kind;
      if (query.partnerId) where.partnerId = query.partnerId;
      const rows = await ctx.em.find(User, where, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: 1000 });
      return rows.map(userView);
    },

    async updateUser(ctx: RequestContext, id: string, input: { roles?: string[]; status?: 'active' | 'disabled'; programIds?: string[] | null }): Promise<UserView> {
      const user = await ctx.em.findOne(User, { id });
      if (!user) throw new AppError('ACCESS_USER_NOT_FOUND', 404, { params: { id } });
      if (ctx.actor.kind === 'user' && ctx.actor.userId === id && (input.status === 'disabled' || input.roles)) throw new AppError('ACCESS_CANNOT_CHANGE_SELF', 409);
      const before = { roles: user.roles, status: user.status, programIds: user.programIds ?? null };
      if (input.roles) user.roles = checkRoles(user.kind, input.roles);
      if (input.status) {
        if (user.status === 'invited' && input.status === 'active') throw new AppError('ACCESS_USER_NOT_ACTIVATED', 409);
        user.status = input.status;
      }
      if (input.programIds !== undefined && user.kind === 'admin') user.programIds = input.programIds;
      user.updatedAt = new Date();
      if (user.status === 'disabled') await ctx.em.nativeUpdate(Session, { user: user.id, revokedAt: null }, { revokedAt: new Date() }, unscoped);
      deps.audit().record(ctx, { action: 'access.user.updated', subjectType: 'user', subjectId: user.id, data: { before, after: { roles: user.roles, status: user.status, programIds: user.programIds ?? null } } });
      await ctx.em.flush();
      return userView(user);
    },

    /** A partner admin's team: the signed-in partner's users. */
    async team(ctx: RequestContext): Promise<UserView[]> {
      if (ctx.actor.kind !== 'user' || !ctx.actor.partnerId) throw new AppError('FORBIDDEN', 403);
      return service.listUsers(ctx, { partnerId: ctx.actor.partnerId });
    },

    async inviteTeamMember(ctx: RequestContext, input: { email: string; displayName: string; role: 'partner-admin' | 'partner-user'; locale: Locale; baseUrl: string; programName?: string }) {
      if (ctx.actor.kind !== 'user' || !ctx.actor.partnerId) throw new AppError('FORBIDDEN', 403);
      return service.inviteUser(ctx, { ...input, kind: 'partner', partnerId: ctx.actor.partnerId, roles: [input.role] });
    },

    /** Remove a colleague from the partner's team: the account is disabled and signed out (history stays). */
    async removeTeamMember(ctx: RequestContext, userId: string): Promise<UserView> {
      if (ctx.actor.kind !== 'user' || !ctx.actor.partnerId) throw new AppError('FORBIDDEN', 403);
      const user = await ctx.em.findOne(User, { id: userId, partnerId: ctx.actor.partnerId });
      if (!user) throw new AppError('ACCESS_USER_NOT_FOUND', 404, { params: { id: userId } });
      return service.updateUser(ctx, userId, { status: 'disabled' });
    },

    async createApiKey(ctx: RequestContext, input: { name: string; permissions: string[]; programId?: string | null }): Promise<{ key: string; apiKey: ApiKeyView }> {
      const allowed = new Set(deps.apiKeyPermissions());
      const bad = input.permissions.filter((p) => !allowed.has(p));
      if (input.permissions.length === 0 || bad.length > 0) {
        const params = { scopes: bad.join(', ') || '—', allowed: [...allowed].join(', ') };
        throw new AppError('ACCESS_SCOPE_INVALID', 422, { params, fields: [{ field: '/body/scopes', messageKey: 'access:errors.ACCESS_SCOPE_INVALID', params }] });
      }
      const { key, prefix, secretHash } = newApiKey();
      const row = ctx.em.create(ApiKey, {
        id: uuidv7(),
        name: input.name.trim(),
        prefix,
        secretHash,
        permissions: [...new Set(input.permissions)].sort(),
        programId: input.programId ?? null,
        createdAt: new Date(),
        createdBy: describeActor(ctx.actor),
        lastUsedAt: null,
        revokedAt: null,
      });
      ctx.em.persist(row);
      deps.audit().record(ctx, { action: 'access.api-key.created', subjectType: 'api-key', subjectId: row.id, data: { after: { name: row.name, scopes: row.permissions } } });
      await ctx.em.flush();
      return { key, apiKey: apiKeyView(row) };
    },

    async listApiKeys(ctx: RequestContext): Promise<ApiKeyView[]> {
      return (await ctx.em.find(ApiKey, {}, { orderBy: { createdAt: 'desc' } })).map(apiKeyView);
    },

    async revokeApiKey(ctx: RequestContext, id: string): Promise<ApiKeyView> {
      const row = await ctx.em.findOne(ApiKey, { id });
      if (!row) throw new AppError('ACCESS_API_KEY_NOT_FOUND', 404, { params: { id } });
      if (!row.revokedAt) {
        row.revokedAt = new Date();
        deps.audit().record(ctx, { action: 'access.api-key.revoked', subjectType: 'api-key', subjectId: id, data: { name: row.name } });
        await ctx.em.flush();
      }
      return apiKeyView(row);
    },

    /** For `laurel admin create` and demo data: an active admin with a password, no mail involved. */
    async createActiveUser(
      ctx: RequestContext,
      input: { email: string; displayName: string; password: string; kind: 'admin' | 'partner'; roles: string[]; partnerId?: string | null; locale: Locale },
    ): Promise<UserView> {
      checkPassword(input.password, 'password');
      const email = normalizeEmail(input.email);
      if (await ctx.em.findOne(User, { email }, unscoped)) throw new AppError('ACCESS_EMAIL_TAKEN', 409, { params: { email } });
      const now = new Date();
      const user = ctx.em.create(User, {
        id: uuidv7(),
        email,
        displayName: input.displayName,
        kind: input.kind,
        partnerId: input.kind === 'partner' ? (input.partnerId ?? null) : null,
        programIds: null,
        roles: checkRoles(input.kind, input.roles),
        locale: input.locale,
        passwordHash: await hashPassword(input.password),
        status: 'active',
        createdAt: now,
        updatedAt: now,
        lastSignInAt: null,
      });
      ctx.em.persist(user);
      deps.audit().record(ctx, { action: 'access.user.created', subjectType: 'user', subjectId: user.id, data: { after: { email, roles: user.roles, kind: user.kind } } });
      await ctx.em.flush();
      return userView(user);
    },

    /** Contact details of a staff member (an account manager) as partners see them. */
    async staffContact(ctx: RequestContext, userId: string): Promise<{ id: string; displayName: string; email: string } | null> {
      const user = await ctx.em.findOne(User, { id: userId, kind: 'admin' }, unscoped);
      return user && user.status !== 'disabled' ? { id: user.id, displayName: user.displayName, email: user.email } : null;
    },

    async findUserByEmail(ctx: RequestContext, email: string): Promise<UserView | null> {
      const user = await ctx.em.findOne(User, { email: normalizeEmail(email) }, unscoped);
      return user ? userView(user) : null;
    },
  };
  return service;
}

export type AccessService = ReturnType<typeof createAccessService>;
