import type { FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_ROLES, PARTNER_ROLES, Type, type PluginRouter } from '@laurel/plugin-sdk';
import { SESSION_COOKIE } from '../../platform/auth.ts';
import { PASSWORD_MAX_LENGTH } from './secrets.ts';
import type { AccessService } from './access.service.ts';

const Uuid = Type.String({ format: 'uuid' });
const Locale = Type.Union([Type.Literal('en'), Type.Literal('pl'), Type.Literal('ru')]);
const Email = Type.String({ format: 'email', maxLength: 254 });
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
const DisplayName = Type.String({ minLength: 1, maxLength: 200 });
const AnyRole = Type.String({ enum: [...ADMIN_ROLES, ...PARTNER_ROLES] });

const UserSchema = Type.Object({
  id: Uuid,
  email: Type.String(),
  displayName: Type.String(),
  kind: Type.Union([Type.Literal('admin'), Type.Literal('partner')]),
  partnerId: Type.Union([Uuid, Type.Null()]),
  programIds: Type.Union([Type.Array(Uuid), Type.Null()]),
  roles: Type.Array(Type.String()),
  locale: Locale,
  status: Type.Union([Type.Literal('invited'), Type.Literal('active'), Type.Literal('disabled')]),
  createdAt: Type.String({ format: 'date-time' }),
  lastSignInAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const SessionSchema = Type.Object({ user: UserSchema, csrfToken: Type.String(), permissions: Type.Array(Type.String()) });

const ApiKeySchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  prefix: Type.String(),
  permissions: Type.Array(Type.String()),
  programId: Type.Union([Uuid, Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: Date): void {
  void reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', expires: expiresAt });
}

function userAgent(request: FastifyRequest): string | null {
  const ua = request.headers['user-agent'];
  return typeof ua === 'string' ? ua.slice(0, 500) : null;
}

export function accessRoutes(access: () => AccessService) {
  return (router: PluginRouter): void => {
    router.post(
      '/sign-in',
      {
        config: { access: 'public' },
        schema: {
          tags: ['access'],
          summary: 'Sign in with e-mail and password; sets the session cookie',
          body: Type.Object({ email: Type.String({ minLength: 3, maxLength: 254 }), password: Password }, { additionalProperties: false }),
          response: { 200: SessionSchema },
        },
      },
      async (request, reply) => {
        const session = await access().signIn(request.ctx, { ...request.body, userAgent: userAgent(request) });
        setSessionCookie(request, reply, session.token, session.expiresAt);
        return { user: session.user, csrfToken: session.csrfToken, permissions: session.permissions };
      },
    );

    router.get(
      '/session',
      { config: { access: 'signed-in' }, schema: { tags: ['access'], summary: 'The signed-in person, their permissions and CSRF token', response: { 200: SessionSchema } } },
      async (request) => {
        const actor = request.ctx.actor;
        const user = await access().me(request.ctx);
        return { user, csrfToken: request.csrfToken ?? '', permissions: actor.kind === 'user' ? actor.permissions : [] };
      },
    );

    router.post(
      '/sign-out',
      { config: { access: 'signed-in' }, schema: { tags: ['access'], summary: 'Sign out of this browser' } },
      async (request, reply) => {
        await access().signOut(request.ctx);
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.status(204).send();
      },
    );

    router.post(
      '/sign-out-everywhere',
      { config: { access: 'signed-in' }, schema: { tags: ['access'], summary: 'Sign out of every browser and device', response: { 200: Type.Object({ sessions: Type.Integer() }) } } },
      async (request, reply) => {
        const sessions = await access().signOutEverywhere(request.ctx);
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { sessions };
      },
    );

    router.patch(
      '/me',
      {
        config: { access: 'signed-in' },
        schema: {
          tags: ['access'],
          summary: 'Change your own name and language',
          body: Type.Object({ displayName: Type.Optional(DisplayName), locale: Type.Optional(Locale) }, { additionalProperties: false }),
          response: { 200: UserSchema },
        },
      },
      async (request) => access().updateProfile(request.ctx, request.body),
    );

    router.post(
      '/invitations/accept',
      {
        config: { access: 'public' },
        schema: {
          tags: ['access'],
          summary: 'Accept an invitation: choose a password and sign in',
          body: Type.Object({ token: Type.String({ minLength: 20, maxLength: 200 }), password: Password, displayName: Type.Optional(DisplayName) }, { additionalProperties: false }),
          response: { 200: SessionSchema },
        },
      },
      async (request, reply) => {
        const session = await access().acceptInvitation(request.ctx, { ...request.body, userAgent: userAgent(request) });
        setSessionCookie(request, reply, session.token, session.expiresAt);
        return { user: session.user, csrfToken: session.csrfToken, permissions: session.permissions };
      },
    );

    router.post(
      '/password-reset',
      {
        config: { access: 'public' },
        schema: {
          tags: ['access'],
          summary: 'Ask for a password-reset link by e-mail (answers the same whether the account exists or not)',
          body: Type.Object({ email: Type.String({ minLength: 3, maxLength: 254 }) }, { additionalProperties: false }),
          response: { 202: Type.Object({ status: Type.Literal('accepted') }) },
        },
      },
      async (request, reply) => {
        await access().requestPasswordReset(request.ctx, { email: request.body.email, baseUrl: request.publicOrigin });
        return reply.status(202).send({ status: 'accepted' as const });
      },
    );

    router.post(
      '/password-reset/complete',
      {
        config: { access: 'public' },
        schema: {
          tags: ['access'],
          summary: 'Set a new password from a reset link; signs out every session',
          body: Type.Object({ token: Type.String({ minLength: 20, maxLength: 200 }), password: Password }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        await access().completePasswordReset(request.ctx, request.body);
        return reply.status(204).send();
      },
    );

    router.get(
      '/users',
      {
        config: { access: 'users:read' },
        schema: {
          tags: ['access'],
          summary: 'People: admins and partner users',
          querystring: Type.Object({ kind: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('partner')])), partnerId: Type.Optional(Uuid) }),
          response: { 200: Type.Object({ items: Type.Array(UserSchema) }) },
        },
      },
      async (request) => ({ items: await access().listUsers(request.ctx, request.query) }),
    );

    router.post(
      '/users',
      {
        config: { access: 'users:manage' },
        schema: {
          tags: ['access'],
          summary: 'Invite a person (an admin, or a user of a partner); the invitation goes out by e-mail',
          body: Type.Object(
            {
              email: Email,
              displayName: DisplayName,
              kind: Type.Union([Type.Literal('admin'), Type.Literal('partner')]),
              partnerId: Type.Optional(Uuid),
              roles: Type.Array(AnyRole, { minItems: 1, maxItems: 5 }),
              programIds: Type.Optional(Type.Union([Type.Array(Uuid), Type.Null()])),
              locale: Locale,
            },
            { additionalProperties: false },
          ),
          response: { 201: UserSchema },
        },
      },
      async (request, reply) => {
        const { user } = await access().inviteUser(request.ctx, { ...request.body, baseUrl: request.publicOrigin });
        return reply.status(201).send(user);
      },
    );

    router.patch(
      '/users/:id',
      {
        config: { access: 'users:manage' },
        schema: {
          tags: ['access'],
          summary: "Change a person's roles, program scope or status (disabling signs them out)",
          params: Type.Object({ id: Uuid }),
          body: Type.Object(
            {
              roles: Type.Optional(Type.Array(AnyRole, { minItems: 1, maxItems: 5 })),
              status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
              programIds: Type.Optional(Type.Union([Type.Array(Uuid), Type.Null()])),
            },
            { additionalProperties: false },
          ),
          response: { 200: UserSchema },
        },
      },
      async (request) => access().updateUser(request.ctx, request.params.id, request.body),
    );

    router.get(
      '/team',
      { config: { access: 'team:manage' }, schema: { tags: ['access'], summary: "Your partner's team", response: { 200: Type.Object({ items: Type.Array(UserSchema) }) } } },
      async (request) => ({ items: await access().team(request.ctx) }),
    );

    router.post(
      '/team/invitations',
      {
        config: { access: 'team:manage' },
        schema: {
          tags: ['access'],
          summary: 'Invite a colleague to your partner',
          body: Type.Object(
            { email: Email, displayName: DisplayName, role: Type.Union([Type.Literal('partner-admin'), Type.Literal('partner-user')]), locale: Locale },
            { additionalProperties: false },
          ),
          response: { 201: UserSchema },
        },
      },
      async (request, reply) => {
        const { user } = await access().inviteTeamMember(request.ctx, { ...request.body, baseUrl: request.publicOrigin });
        return reply.status(201).send(user);
      },
    );

    router.delete(
      '/team/:userId',
      {
        config: { access: 'team:manage' },
        schema: { tags: ['access'], summary: 'Remove a colleague (their account is disabled; history stays)', params: Type.Object({ userId: Uuid }), response: { 200: UserSchema } },
      },
      async (request) => access().removeTeamMember(request.ctx, request.params.userId),
    );

    router.get(
      '/api-keys',
      { config: { access: 'api-keys:manage' }, schema: { tags: ['access'], summary: 'API keys for integrations', response: { 200: Type.Object({ items: Type.Array(ApiKeySchema) }) } } },
      async (request) => ({ items: await access().listApiKeys(request.ctx) }),
    );

    router.post(
      '/api-keys',
      {
        config: { access: 'api-keys:manage' },
        schema: {
          tags: ['access'],
          summary: 'Create an API key; the key is shown only in this response',
          body: Type.Object(
            { name: Type.String({ minLength: 1, maxLength: 100 }), scopes: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 50 }), programId: Type.Optional(Uuid) },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ key: Type.String(), apiKey: ApiKeySchema }) },
        },
      },
      async (request, reply) => reply.status(201).send(await access().createApiKey(request.ctx, { name: request.body.name, permissions: request.body.scopes, programId: request.body.programId ?? null })),
    );

    router.delete(
      '/api-keys/:id',
      { config: { access: 'api-keys:manage' }, schema: { tags: ['access'], summary: 'Revoke an API key', params: Type.Object({ id: Uuid }), response: { 200: ApiKeySchema } } },
      async (request) => access().revokeApiKey(request.ctx, request.params.id),
    );
  };
}
